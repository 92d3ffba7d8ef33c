//! A DNS server on the host's loopback (a Python process under `timeout`,
//! killed on drop) that answers over UDP and TCP: `svc.cove.test` is
//! 192.0.2.44, `many.cove.test` has [`MANY`] addresses — an answer over
//! 512 bytes, which over UDP comes back truncated (TC) so the resolver
//! must ask again over TCP. And a way to run cove with the host's
//! resolv.conf pointing at it (a private mount namespace), so the built-in
//! forwarder at 10.0.2.3 asks it.

use crate::common::*;
use std::net::{SocketAddr, UdpSocket};
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// Addresses of `many.cove.test` (16 bytes each in the answer).
pub const MANY: usize = 60;

/// The running server and the resolv.conf naming it.
pub struct DnsServer {
    child: Child,
    /// Its address (a 127.53.x.y, port 53).
    pub ip: String,
    /// A resolv.conf with only this server.
    pub resolv: PathBuf,
}

impl DnsServer {
    /// Starts it (root only: port 53); `Err` says why it cannot.
    pub fn start() -> Result<DnsServer, String> {
        if !is_root() {
            return Err("a DNS server on port 53 needs root".into());
        }
        let n = std::process::id();
        let ip = format!("127.53.{}.{}", (n >> 8) % 250 + 1, n % 250 + 1);
        let script = format!("{PY_DNS}\nserve({ip:?}, {MANY})\n");
        // Its own process group, so drop kills python3 and not only `timeout`.
        let child = Command::new("timeout")
            .args(["-s", "KILL", "300", "python3", "-c", &script])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .map_err(|e| format!("start python3: {e}"))?;
        let resolv = std::env::temp_dir().join(format!("cove-net-dns-{n}"));
        std::fs::write(&resolv, format!("nameserver {ip}\n")).map_err(|e| format!("write resolv.conf: {e}"))?;
        let server = DnsServer { child, ip, resolv };
        let probe = UdpSocket::bind("127.0.0.1:0").map_err(|e| format!("bind probe: {e}"))?;
        probe.set_read_timeout(Some(Duration::from_millis(200))).expect("timeout");
        let target: SocketAddr = format!("{}:53", server.ip).parse().expect("address");
        crate::testhost::wait_until("the DNS server to answer", || {
            let _ = probe.send_to(&crate::testhost::DNS_PROBE, target);
            probe.recv(&mut [0u8; 512]).is_ok()
        });
        Ok(server)
    }

    /// Runs `cmd` with the host's /etc/resolv.conf replaced by
    /// [`DnsServer::resolv`] (a private mount namespace, under a deadline).
    pub fn run(&self, cmd: &Cove) -> Out {
        let bind = format!("mount --bind {} /etc/resolv.conf && exec \"$@\"", self.resolv.display());
        let via = ["timeout", "-s", "KILL", "60", "unshare", "-m", "sh", "-c", &bind, "sh"];
        let out = cmd.command_via(&via).output().expect("run cove under unshare");
        use std::os::unix::process::ExitStatusExt;
        let desc = format!("unshare -m (resolv.conf: {}) {}", self.ip, cmd.describe());
        Out { desc, code: out.status.code(), signal: out.status.signal(), stdout: out.stdout, stderr: out.stderr }
    }
}

impl Drop for DnsServer {
    fn drop(&mut self) {
        if let Some(group) = rustix::process::Pid::from_raw(self.child.id() as i32) {
            let _ = rustix::process::kill_process_group(group, rustix::process::Signal::KILL);
        }
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.resolv);
    }
}

const PY_DNS: &str = r#"
import socket, struct, threading
def answer(q, many, udp):
    qend = 12
    while q[qend] != 0:
        qend += 1 + q[qend]
    qend += 5
    qtype, name = q[qend-4:qend-2], q[12:qend-4].lower()
    ips = {b"\x03svc\x04cove\x04test\x00": [bytes([192, 0, 2, 44])],
           b"\x04many\x04cove\x04test\x00": [bytes([198, 18, i // 250, i % 250 + 1]) for i in range(many)]}.get(name)
    rcode = 0 if ips else 3
    ans = ips if ips and qtype == b"\x00\x01" else []
    body = q[12:qend] + b"".join(b"\xc0\x0c\x00\x01\x00\x01\x00\x00\x00\x3c\x00\x04" + a for a in ans)
    flags = 0x8180 | rcode
    if udp and 12 + len(body) > 512:
        return q[:2] + struct.pack(">HHHHH", flags | 0x0200, 1, 0, 0, 0) + q[12:qend]
    return q[:2] + struct.pack(">HHHHH", flags, 1, len(ans), 0, 0) + body
def tcp(l, many):
    while True:
        c, _ = l.accept(); c.settimeout(5)
        try:
            while True:
                n = c.recv(2)
                if len(n) < 2: break
                q = b""
                while len(q) < struct.unpack(">H", n)[0]: q += c.recv(65535)
                a = answer(q, many, False); c.sendall(struct.pack(">H", len(a)) + a)
        except Exception: pass
        c.close()
def serve(ip, many):
    l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); l.bind((ip, 53)); l.listen(64)
    threading.Thread(target=tcp, args=(l, many), daemon=True).start()
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind((ip, 53))
    while True:
        d, a = s.recvfrom(65535)
        try: s.sendto(answer(d, many, True), a)
        except Exception: pass
"#;
