//! Issue 7, robustness of the built-in network: a container that opens
//! thousands of connections or sends garbage cannot exhaust the host side
//! (the tables are bounded and refuse fast), and the network ends with the
//! container: a SIGKILLed cove leaves no published port, no process and no
//! network namespace (with its TUN device) behind. Root and rootless.

mod common;
#[path = "network/support.rs"]
mod support;
#[path = "network/testhost.rs"]
mod testhost;

use common::*;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;
use support::*;
use testhost::wait_until;

const PY_FLOOD: &str = r#"
import socket, sys, errno
ip = sys.argv[1]
socks = []
for i in range(600):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM); s.setblocking(False)
    try: s.connect((ip, 9))
    except OSError: pass
    socks.append(s)
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for p in range(1, 700): u.sendto(b"x" * 100, (ip, p))
try:
    r = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    for i in range(500): r.sendto(bytes([0x45, 0, 0, 40]) + bytes([i % 256]) * 36, (ip, 0))
    for i in range(500): r.sendto(bytes([i % 256]) * (i + 1), ("10.0.2.2", 0))
    print("raw sent")
except OSError as e:
    print("raw refused", e)
"#;

#[test]
fn floods_and_garbage_leave_the_stack_working() {
    let Some(host) = test_host("flood") else { return };
    for mode in net_modes("flood") {
        let script = format!(
            "python3 -c \"$0\" {ip} && python3 -c \"import urllib.request as u; print(u.urlopen('http://{ip}:8080/', timeout=10).read().decode())\"",
            ip = host.ip
        );
        let out = cove(mode)
            .args(["run", "--network", "bridge", "--", "sh", "-c", &script, PY_FLOOD])
            .timeout(Duration::from_secs(60))
            .run();
        out.ok().stdout_has("hello from the test host");
    }
}

/// A server on the test host that accepts everything and holds each
/// connection until its peer closes.
const PY_HOLD: &str = r#"
import resource, selectors, socket, sys
resource.setrlimit(resource.RLIMIT_NOFILE, (8192, 8192))
l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); l.bind((sys.argv[1], 7070)); l.listen(4096)
sel = selectors.DefaultSelector(); sel.register(l, selectors.EVENT_READ)
while True:
    for key, _ in sel.select():
        if key.fileobj is l:
            c, _ = l.accept(); sel.register(c, selectors.EVENT_READ)
        else:
            try: d = key.fileobj.recv(4096)
            except OSError: d = b""
            if not d: sel.unregister(key.fileobj); key.fileobj.close()
"#;

/// 3000 connections at once from the container: the table's bound takes
/// some, the rest are refused at once (none hangs); then all are closed
/// and the stack serves a normal request.
const PY_MANY: &str = r#"
import resource, select, socket, sys, time, urllib.request
resource.setrlimit(resource.RLIMIT_NOFILE, (8192, 8192))
ip, n = sys.argv[1], 3000
socks = {}
for i in range(n):
    s = socket.socket(); s.setblocking(False)
    try: s.connect((ip, 7070))
    except BlockingIOError: pass
    socks[s.fileno()] = s
p = select.poll()
for fd in socks: p.register(fd, select.POLLOUT)
done, deadline = {}, time.time() + 40
while len(done) < n and time.time() < deadline:
    for fd, _ in p.poll(1000):
        done[fd] = socks[fd].getsockopt(socket.SOL_SOCKET, socket.SO_ERROR); p.unregister(fd)
ok = sum(1 for e in done.values() if e == 0)
print("connected", ok, "refused", len(done) - ok, "pending", n - len(done), flush=True)
time.sleep(2)
for s in socks.values(): s.close()
for i in range(30):
    try: print(urllib.request.urlopen("http://%s:8080/" % ip, timeout=5).read().decode()); break
    except OSError: time.sleep(0.5)
"#;

#[test]
fn thousands_of_connections_hit_the_bound_and_fail_fast() {
    let Some(mut host) = test_host("many_connections") else { return };
    let ip = host.ip.clone();
    host.spawn(&["python3", "-c", PY_HOLD, &ip]);
    wait_until("the holding server", || TcpStream::connect((ip.as_str(), 7070)).is_ok());
    for mode in net_modes("many_connections") {
        let run = cove(mode).args(["run", "--network", "bridge", "--", "python3", "-c", PY_MANY, &ip]);
        let running = run.timeout(Duration::from_secs(120)).spawn();
        running.expect_stdout("pending 0\n");
        // While they are held: cove's descriptors stay within the table's bound.
        let fds = std::fs::read_dir(format!("/proc/{}/fd", running.pid())).map(|d| d.count()).unwrap_or(0);
        let out = running.wait();
        out.ok().stdout_has("hello from the test host");
        let text = out.stdout();
        let connected: usize = text.split_whitespace().nth(1).and_then(|n| n.parse().ok()).unwrap_or(0);
        if !(100..=512).contains(&connected) || fds > 512 + 64 {
            out.fail(&format!(
                "between 100 and 512 connections taken (the bound), cove with at most 576 fds (had {fds})"
            ));
        }
    }
}

/// The network namespaces (`net:[…]`) other than the host's of the
/// processes whose command line has `marker`.
fn netns_of(marker: &str) -> Vec<String> {
    let host = std::fs::read_link("/proc/self/ns/net").expect("read /proc/self/ns/net").display().to_string();
    let links = processes_with(marker)
        .into_iter()
        .filter_map(|(pid, _)| std::fs::read_link(format!("/proc/{pid}/ns/net")).ok());
    links.map(|l| l.display().to_string()).filter(|n| *n != host).collect()
}

/// Whether any process on the host is in network namespace `ns`.
fn netns_in_use(ns: &str) -> bool {
    let Ok(dir) = std::fs::read_dir("/proc") else { return false };
    dir.flatten().any(|e| std::fs::read_link(e.path().join("ns/net")).is_ok_and(|l| l.display().to_string() == ns))
}

#[test]
fn a_sigkilled_cove_leaves_no_port_process_or_netns() {
    let interfaces_before = interfaces(&std::fs::read_to_string("/proc/net/dev").expect("read /proc/net/dev"));
    for mode in net_modes("sigkill_network") {
        let marker = unique("cove-net-kill");
        let port = free_port();
        let publish = format!("127.0.0.1:{port}:8080");
        let script = "echo up > /tmp/index.html && httpd -p 8080 -h /tmp && echo ready && sleep 1000; true";
        let run = cove(mode).arg("run").args(rootfs(mode)).args(["-p", &publish, "--", "sh", "-c", script, &marker]);
        let running = run.timeout(Duration::from_secs(60)).spawn();
        running.expect_stdout("ready\n");
        wait_until("the published port", || {
            let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) else { return false };
            let mut body = String::new();
            s.write_all(b"GET / HTTP/1.0\r\n\r\n").is_ok() && s.read_to_string(&mut body).is_ok() && body.contains("up")
        });
        let netns = netns_of(&marker);
        assert!(!netns.is_empty(), "[{}] the container's network namespace", mode.label());
        running.signal(rustix::process::Signal::KILL);
        running.wait();
        wait_until("the container and its network to end", || {
            processes_with(&marker).is_empty()
                && !netns.iter().any(|n| netns_in_use(n))
                && TcpStream::connect(("127.0.0.1", port)).is_err()
        });
    }
    let after = interfaces(&std::fs::read_to_string("/proc/net/dev").expect("read /proc/net/dev"));
    let new: Vec<_> = after.difference(&interfaces_before).filter(|i| !i.starts_with("cvn")).collect();
    assert!(new.is_empty(), "interfaces left on the host: {new:?}");
}
