//! A test host to reach over the network: a network namespace with a veth
//! pair and its own address (test-recipes.md), servers started in it with
//! `ip netns exec`, all killed and removed on drop. Only such namespaces
//! and loopback are ever traffic targets.
#![allow(dead_code)]

use std::net::{SocketAddr, TcpStream, UdpSocket};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

static NEXT: AtomicU32 = AtomicU32::new(0);

/// The namespace, its address and its servers.
pub struct TestHost {
    ns: String,
    host_if: String,
    /// The test host's address (the namespace's end of the veth).
    pub ip: String,
    children: Vec<Child>,
    /// A directory the HTTP server serves.
    pub www: PathBuf,
}

fn ip(args: &[&str]) -> Result<(), String> {
    let out = Command::new("ip").args(args).stdin(Stdio::null()).output().map_err(|e| format!("ip: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!("ip {}: {}", args.join(" "), String::from_utf8_lossy(&out.stderr).trim()))
    }
}

impl TestHost {
    /// Creates the namespace (root only); `Err` says why it cannot.
    pub fn new() -> Result<TestHost, String> {
        if !rustix::process::geteuid().is_root() {
            return Err("creating a network namespace and veth pair needs root".into());
        }
        let n = (std::process::id() % 15) * 16 + NEXT.fetch_add(1, Ordering::Relaxed) % 16;
        let ns = format!("cvn{n}");
        let host_if = format!("cvn{n}a");
        let _ = ip(&["netns", "del", &ns]);
        let _ = ip(&["link", "del", &host_if]);
        let www = std::env::temp_dir().join(format!("cove-net-www-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&www).map_err(|e| format!("mkdir {}: {e}", www.display()))?;
        let host = TestHost { ns, host_if, ip: format!("10.252.{n}.2"), children: Vec::new(), www };
        let peer = format!("cvn{n}b");
        let (mine, theirs) = (format!("10.252.{n}.1/24"), format!("{}/24", host.ip));
        ip(&["netns", "add", &host.ns])?;
        ip(&["link", "add", &host.host_if, "type", "veth", "peer", "name", &peer])?;
        ip(&["link", "set", &peer, "netns", &host.ns])?;
        ip(&["addr", "add", &mine, "dev", &host.host_if])?;
        ip(&["link", "set", &host.host_if, "up"])?;
        ip(&["-n", &host.ns, "addr", "add", &theirs, "dev", &peer])?;
        ip(&["-n", &host.ns, "link", "set", &peer, "up"])?;
        ip(&["-n", &host.ns, "link", "set", "lo", "up"])?;
        Ok(host)
    }

    /// Starts `args` inside the namespace; it is killed on drop.
    pub fn spawn(&mut self, args: &[&str]) {
        let child = Command::new("ip")
            .args(["netns", "exec", &self.ns])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("start {args:?} in {}: {e}", self.ns));
        self.children.push(child);
    }

    /// An HTTP server on port 8080 serving [`TestHost::www`]; waits until
    /// it answers. Python's, with a listen backlog of 1024: busybox httpd
    /// listens with a backlog of 9, and a burst of clients (the
    /// 200-connection test) overflows it; the kernel then drops handshake
    /// ACKs, and a client whose connection the server never accepted waits
    /// for its retransmits for minutes, which looks like a hang of the
    /// network under test.
    pub fn httpd(&mut self) {
        let (ip, www) = (self.ip.to_string(), self.www.display().to_string());
        let script = format!("{PY_HTTPD}\nserve({ip:?}, 8080, {www:?})\n");
        self.spawn(&["python3", "-c", &script]);
        let target: SocketAddr = format!("{ip}:8080").parse().expect("address");
        wait_until("test httpd to listen", || TcpStream::connect_timeout(&target, Duration::from_millis(200)).is_ok());
    }

    /// A Python UDP server on `port`: echoes, or with `dns` answers A
    /// queries for svc.cove.test with 192.0.2.44; waits until it answers.
    pub fn udp_server(&mut self, port: u16, dns: bool) {
        let script = format!("{}\nserve({:?}, {port}, {})\n", PY_UDP, self.ip, if dns { "True" } else { "False" });
        self.spawn(&["python3", "-c", &script]);
        let target: SocketAddr = format!("{}:{port}", self.ip).parse().expect("address");
        let probe = UdpSocket::bind("0.0.0.0:0").expect("bind probe");
        probe.set_read_timeout(Some(Duration::from_millis(200))).expect("timeout");
        wait_until("test UDP server to answer", || {
            let _ = probe.send_to(&DNS_PROBE, target);
            probe.recv(&mut [0u8; 512]).is_ok()
        });
    }
}

/// A DNS query for svc.cove.test (A), also a fine echo payload.
pub const DNS_PROBE: [u8; 31] = [
    0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 3, b's', b'v', b'c', 4, b'c', b'o', b'v', b'e', 4, b't', b'e', b's',
    b't', 0, 0, 1, 0, 1,
];

const PY_UDP: &str = r#"
import socket
def answer(q):
    qend = 12
    while q[qend] != 0:
        qend += 1 + q[qend]
    qend += 5
    qtype = q[qend-4:qend-2]
    name = q[12:qend-4]
    hit = name == b"\x03svc\x04cove\x04test\x00"
    rcode = 0 if hit else 3
    an = 1 if hit and qtype == b"\x00\x01" else 0
    head = q[:2] + bytes([0x81, 0x80 | rcode, 0, 1, 0, an, 0, 0, 0, 0])
    body = q[12:qend]
    if an:
        body += b"\xc0\x0c\x00\x01\x00\x01\x00\x00\x00\x3c\x00\x04" + bytes([192, 0, 2, 44])
    return head + body
def serve(ip, port, dns):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((ip, port))
    while True:
        d, a = s.recvfrom(65535)
        try:
            s.sendto(answer(d) if dns else d, a)
        except Exception:
            pass
"#;

/// Polls `ok` for up to 10 s; panics naming `what` otherwise.
pub fn wait_until(what: &str, mut ok: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if ok() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("timed out waiting for {what}");
}

impl Drop for TestHost {
    fn drop(&mut self) {
        for c in &mut self.children {
            let _ = c.kill();
            let _ = c.wait();
        }
        let _ = ip(&["netns", "del", &self.ns]);
        let _ = ip(&["link", "del", &self.host_if]);
        let _ = std::fs::remove_dir_all(&self.www);
    }
}

/// The test host's HTTP server (`serve(ip, port, dir)`).
const PY_HTTPD: &str = r#"
import functools, http.server
class Server(http.server.ThreadingHTTPServer):
    request_queue_size = 1024
    daemon_threads = True
class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args): pass
def serve(ip, port, www):
    Server((ip, port), functools.partial(Quiet, directory=www)).serve_forever()
"#;
