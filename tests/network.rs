//! Issue 7: the built-in user-mode network (`--network bridge`, the default
//! for --rootfs and images) and published ports, against real servers in a
//! test network namespace (tests/network/testhost.rs) and on loopback.
//! Runs as root and rootless; rootless needs /dev/net/tun usable by the
//! user (scripts/test-all makes it 0666, as most distributions ship it).

mod common;
#[path = "network/image.rs"]
mod image;
#[path = "network/testhost.rs"]
mod testhost;

use common::*;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream, UdpSocket};
use std::os::unix::fs::PermissionsExt;
use std::time::Duration;
use testhost::{TestHost, wait_until};

/// The modes this host can run the built-in network in (loud skips otherwise).
fn net_modes(test: &str) -> Vec<Mode> {
    let open_to_all = std::fs::metadata("/dev/net/tun").is_ok_and(|m| m.permissions().mode() & 0o006 == 0o006);
    modes()
        .into_iter()
        .filter(|m| {
            let ok = *m == Mode::Root || open_to_all;
            if !ok {
                skip(&format!("{test} rootless"), "/dev/net/tun is not 0666 (scripts/test-all makes it so)");
            }
            ok
        })
        .collect()
}

/// The test host with its HTTP server, or a loud skip.
fn test_host(test: &str) -> Option<TestHost> {
    match TestHost::new() {
        Ok(mut h) => {
            std::fs::write(h.www.join("index.html"), "hello from the test host\n").expect("write index");
            h.httpd();
            Some(h)
        }
        Err(why) => {
            skip(test, &why);
            None
        }
    }
}

fn rootfs(mode: Mode) -> Vec<String> {
    let r = busybox(mode).expect("the busybox rootfs (scripts/mkrootfs-busybox)");
    vec!["--rootfs".into(), r.display().to_string()]
}

#[test]
fn outbound_tcp_reaches_the_test_host_with_generated_name_files() {
    let Some(host) = test_host("outbound_tcp") else { return };
    for mode in net_modes("outbound_tcp") {
        let url = format!("http://{}:8080/", host.ip);
        let script = format!("wget -q -O - {url} && cat /etc/resolv.conf /etc/hosts && ip route");
        let out = sh_root(mode, &rootfs(mode), &["--hostname", "netbox"], &script);
        out.ok().stdout_has("hello from the test host").stdout_has("nameserver 10.0.2.3");
        out.stdout_has("10.0.2.100\tnetbox").stdout_has("default via 10.0.2.2");
    }
}

#[test]
fn a_200_mb_transfer_arrives_intact() {
    let Some(host) = test_host("transfer") else { return };
    let data: Vec<u8> = (0..200u32 << 20).map(|i| (i.wrapping_mul(2654435761) >> 13) as u8).collect();
    std::fs::write(host.www.join("big"), &data).expect("write big");
    let want = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&data));
    drop(data);
    for mode in net_modes("transfer") {
        let script = format!("wget -q -O - http://{}:8080/big | sha256sum", host.ip);
        let out = cove(mode).arg("run").args(rootfs(mode)).args(["--", "sh", "-c", &script]);
        out.timeout(Duration::from_secs(120)).run().ok().stdout_has(&want);
    }
}

#[test]
fn two_hundred_concurrent_connections_are_all_served() {
    let Some(host) = test_host("concurrent") else { return };
    for mode in net_modes("concurrent") {
        let script = format!(
            "for i in $(seq 200); do wget -q -O /tmp/o$i http://{}:8080/ & done; wait; \
             cat /tmp/o* | grep -c 'hello from the test host'",
            host.ip
        );
        let out = cove(mode).arg("run").args(rootfs(mode)).args(["--", "sh", "-c", &script]);
        out.timeout(Duration::from_secs(60)).run().ok().stdout_is("200\n");
    }
}

const PY_UDP_CLIENT: &str = "import socket,sys\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\ns.settimeout(2)\n\
for i in range(20):\n  s.sendto(b'ping-%d' % i,(sys.argv[1],7))\n  try:\n    print(s.recv(100).decode()); break\n  except OSError: pass\n";

#[test]
fn udp_echo_and_dns_through_the_stack() {
    let Some(mut host) = test_host("udp") else { return };
    host.udp_server(7, false);
    host.udp_server(53, true);
    let resolv = std::env::temp_dir().join(format!("cove-net-resolv-{}", std::process::id()));
    std::fs::write(&resolv, format!("nameserver {}\n", host.ip)).expect("write resolv.conf");
    for mode in net_modes("udp") {
        let out = cove(mode).args(["run", "--network", "bridge", "--", "python3", "-c", PY_UDP_CLIENT, &host.ip]).run();
        out.ok().stdout_has("ping-");
        // --dns: the container asks the test resolver itself (UDP through the stack)
        let lookup = "import socket; print(socket.gethostbyname('svc.cove.test'))";
        let out =
            cove(mode).args(["run", "--network", "bridge", "--dns", &host.ip, "--", "python3", "-c", lookup]).run();
        out.ok().stdout_is("192.0.2.44\n");
        // the forwarder at 10.0.2.3 asks the host's resolver (here the test
        // resolver, through a private mount of /etc/resolv.conf)
        let bind = format!("mount --bind {} /etc/resolv.conf && exec \"$@\"", resolv.display());
        let cmd = cove(mode).args([
            "run",
            "--network",
            "bridge",
            "--",
            "sh",
            "-c",
            "grep 10.0.2.3 /etc/resolv.conf && python3 -c \"$0\"",
            lookup,
        ]);
        let out =
            cmd.command_via(&["unshare", "-m", "sh", "-c", &bind, "sh"]).output().expect("run cove under unshare");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && stdout.ends_with("192.0.2.44\n"),
            "forwarder lookup: {stdout} {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let _ = std::fs::remove_file(resolv);
}

/// Kills a background cove at the end of a test.
struct Background(Option<Running>);

impl Drop for Background {
    fn drop(&mut self) {
        if let Some(r) = self.0.take() {
            r.signal(rustix::process::Signal::KILL);
            let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| r.wait()));
        }
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a free port").port()
}

#[test]
fn published_tcp_port_reaches_httpd_inside() {
    for mode in net_modes("publish_tcp") {
        let dir = TestDir::new(mode, "www");
        dir.write("index.html", "served from inside\n");
        let port = free_port();
        let publish = format!("127.0.0.1:{port}:8080");
        let vol = format!("{}:/www:ro", dir.path().display());
        let args = ["-p", &publish, "-v", &vol, "--", "httpd", "-f", "-p", "8080", "-h", "/www"];
        let bg = Background(Some(
            cove(mode).arg("run").args(rootfs(mode)).args(args).timeout(Duration::from_secs(60)).spawn(),
        ));
        let mut body = String::new();
        wait_until("the published port to serve", || {
            body.clear();
            let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) else { return false };
            let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
            s.write_all(b"GET /index.html HTTP/1.0\r\n\r\n").is_ok()
                && s.read_to_string(&mut body).is_ok()
                && body.contains("served from inside")
        });
        drop(bg);
    }
}

#[test]
fn published_udp_port_echoes() {
    const SERVER: &str = "import socket\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\ns.bind(('0.0.0.0',9999))\n\
while True:\n  d,a=s.recvfrom(65535); s.sendto(b'echo:'+d,a)\n";
    for mode in net_modes("publish_udp") {
        let port = UdpSocket::bind("127.0.0.1:0").and_then(|s| s.local_addr()).expect("free port").port();
        let publish = format!("127.0.0.1:{port}:9999/udp");
        let run = cove(mode).args(["run", "--network", "bridge", "-p", &publish, "--", "python3", "-c", SERVER]);
        let bg = Background(Some(run.timeout(Duration::from_secs(60)).spawn()));
        let sock = UdpSocket::bind("127.0.0.1:0").expect("bind");
        sock.set_read_timeout(Some(Duration::from_millis(200))).expect("timeout");
        wait_until("the published UDP port to echo", || {
            let _ = sock.send_to(b"hi", ("127.0.0.1", port));
            let mut buf = [0u8; 64];
            sock.recv(&mut buf).is_ok_and(|n| &buf[..n] == b"echo:hi")
        });
        drop(bg);
    }
}

/// An HTTP server on the host's 127.0.0.1 (a thread of the test), until dropped.
fn loopback_server() -> (u16, std::sync::Arc<std::sync::atomic::AtomicBool>) {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    l.set_nonblocking(true).expect("nonblocking");
    let port = l.local_addr().expect("addr").port();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flag = stop.clone();
    std::thread::spawn(move || {
        while !flag.load(std::sync::atomic::Ordering::Relaxed) {
            match l.accept() {
                Ok((mut s, _)) => {
                    let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
                    let _ = s.read(&mut [0u8; 1024]);
                    let _ = s.write_all(b"HTTP/1.0 200 OK\r\nContent-Length: 12\r\n\r\nhost-secret\n");
                }
                Err(_) => std::thread::sleep(Duration::from_millis(20)),
            }
        }
    });
    (port, stop)
}

#[test]
fn host_loopback_is_closed_unless_opted_in() {
    let (port, stop) = loopback_server();
    for mode in net_modes("host_loopback") {
        let script = format!("wget -T 5 -q -O - http://10.0.2.2:{port}/; echo rc=$?");
        let out = sh_root(mode, &rootfs(mode), &[], &script);
        out.ok().stdout_has("rc=1");
        if out.stdout().contains("host-secret") {
            out.fail("no route to the host's loopback without --add-host …:host-gateway");
        }
        let script = format!("wget -q -O - http://host.containers.internal:{port}/");
        let out = sh_root(mode, &rootfs(mode), &["--add-host", "host.containers.internal:host-gateway"], &script);
        out.ok().stdout_is("host-secret\n");
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
}

#[test]
fn bad_and_taken_ports_are_one_clear_error() {
    for mode in modes() {
        let out = cove(mode).args(["run", "--network", "bridge", "-p", "80:0", "--", "true"]).run();
        out.code(125).cove_error("invalid -p \"80:0\"");
        let taken = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = taken.local_addr().expect("addr").port();
        if mode == Mode::Rootless && !net_modes("taken_port").contains(&mode) {
            continue;
        }
        let publish = format!("127.0.0.1:{port}:80");
        let out = cove(mode).args(["run", "--network", "bridge", "-p", &publish, "--", "true"]).run();
        out.code(125).cove_error(&format!("publish 127.0.0.1:{port}/tcp")).cove_error("in use");
        let out = cove(mode).args(["run", "-p", &publish, "--", "true"]).run();
        out.code(125).cove_error("need a network");
    }
}

#[test]
fn network_none_has_no_route_out() {
    let Some(host) = test_host("none") else { return };
    for mode in modes() {
        // (busybox wget crashes on an unreachable network; nc reports it)
        let script = format!("ip route; nc -w 3 {} 8080 </dev/null; echo rc=$?", host.ip);
        let out = sh_root(mode, &rootfs(mode), &["--network", "none"], &script);
        out.ok().stdout_is("rc=1\n").stderr_has("unreachable");
    }
}

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

/// Whether unprivileged ping sockets are allowed for `mode`'s group.
fn ping_allowed(mode: Mode) -> bool {
    let range = std::fs::read_to_string("/proc/sys/net/ipv4/ping_group_range").unwrap_or_default();
    let v: Vec<u32> = range.split_whitespace().filter_map(|x| x.parse().ok()).collect();
    let gid = mode.host_ids().1;
    v.len() == 2 && v[0] <= gid && gid <= v[1]
}

#[test]
fn ping_reaches_the_test_host_through_ping_sockets() {
    let Some(host) = test_host("ping") else { return };
    for mode in net_modes("ping") {
        if !ping_allowed(mode) {
            skip(
                &format!("ping {}", mode.label()),
                "net.ipv4.ping_group_range excludes this group (scripts/test-all widens it)",
            );
            continue;
        }
        let out = sh_root(mode, &rootfs(mode), &[], &format!("ping -c 2 -W 5 {}", host.ip));
        out.ok().stdout_has("2 packets received");
    }
}

#[test]
fn a_detached_container_serves_its_published_port_and_cove_port_lists_it() {
    for mode in net_modes("detached_publish") {
        let dir = TestDir::new(mode, "detached");
        dir.write("www/index.html", "served detached\n");
        let root = dir.mkdir("store");
        let store = root.display().to_string();
        let port = free_port();
        let publish = format!("127.0.0.1:{port}:8080");
        let vol = format!("{}:/www:ro", dir.join("www").display());
        let run =
            cove(mode).env("COVE_ROOT", &store).args(["run", "-d", "-p", &publish, "-v", &vol]).args(rootfs(mode));
        let out = run.args(["--", "httpd", "-f", "-p", "8080", "-h", "/www"]).run();
        out.ok();
        let id = out.stdout().trim().to_owned();
        let mut body = String::new();
        wait_until("the detached container's published port", || {
            body.clear();
            let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) else { return false };
            let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
            s.write_all(b"GET / HTTP/1.0\r\n\r\n").is_ok()
                && s.read_to_string(&mut body).is_ok()
                && body.contains("served detached")
        });
        let out = cove(mode).env("COVE_ROOT", &store).args(["port", &id]).run();
        out.ok().stdout_is(&format!("8080/tcp -> 127.0.0.1:{port}\n"));
        cove(mode)
            .env("COVE_ROOT", &store)
            .args(["port", &id, "8080"])
            .run()
            .ok()
            .stdout_is(&format!("127.0.0.1:{port}\n"));
        cove(mode).env("COVE_ROOT", &store).args(["port", &id, "53/udp"]).run().code(1);
        cove(mode).env("COVE_ROOT", &store).args(["rm", "-f", &id]).run().ok();
        wait_until("the port to close after rm -f", || TcpStream::connect(("127.0.0.1", port)).is_err());
    }
}

/// The host port `cove port ID` shows for `key` (`8080/tcp`), checked non-zero.
fn shown_port(mode: Mode, store: &str, id: &str, key: &str) -> u16 {
    let out = cove(mode).env("COVE_ROOT", store).args(["port", id]).run();
    let text = out.ok().stdout().to_owned();
    let line = text.lines().find(|l| l.starts_with(&format!("{key} -> 0.0.0.0:"))).unwrap_or_else(|| panic!("{text}"));
    let port: u16 = line.rsplit(':').next().and_then(|p| p.parse().ok()).unwrap_or(0);
    assert_ne!(port, 0, "[{}] cove port shows the port the kernel chose: {text}", mode.label());
    port
}

/// Fetches `/` from a published port until it answers with `want`.
fn fetch_until(port: u16, want: &str) {
    wait_until(&format!("{want:?} on host port {port}"), || {
        let Ok(mut s) = TcpStream::connect_timeout(&([127, 0, 0, 1], port).into(), Duration::from_secs(2)) else {
            return false;
        };
        let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
        let mut body = String::new();
        s.write_all(b"GET / HTTP/1.0\r\n\r\n").is_ok() && s.read_to_string(&mut body).is_ok() && body.contains(want)
    });
}

#[test]
fn publish_all_and_kernel_chosen_ports_show_and_serve_their_real_port() {
    for mode in net_modes("publish_all") {
        let dir = TestDir::new(mode, "publish-all");
        dir.write("www/index.html", "served on a chosen port\n");
        let store = dir.mkdir("store").display().to_string();
        let rootfs_dir = busybox(mode).expect("the busybox rootfs (scripts/mkrootfs-busybox)");
        let layout = image::exposing_httpd(&dir, "img", rootfs_dir, 8080);
        cove(mode).env("COVE_ROOT", &store).arg("import").arg(&layout).args(["--tag", "exposed:1"]).run().ok();
        let vol = format!("{}:/www:ro", dir.join("www").display());
        let run = |args: &[&str]| {
            let out = cove(mode).env("COVE_ROOT", &store).args(["run", "-d", "-v", &vol]).args(args).run();
            out.ok().stdout().trim().to_owned()
        };
        // -P: the image's ExposedPorts, on a port the kernel chose.
        let id = run(&["-P", "exposed:1"]);
        let port = shown_port(mode, &store, &id, "8080/tcp");
        fetch_until(port, "served on a chosen port");
        let inspect = cove(mode).env("COVE_ROOT", &store).args(["inspect", &id]).run();
        let v: serde_json::Value = serde_json::from_str(&inspect.ok().stdout()).expect("inspect json");
        let shown = &v[0]["NetworkSettings"]["Ports"]["8080/tcp"][0]["HostPort"];
        assert_eq!(shown.as_str(), Some(port.to_string().as_str()), "{v}");
        cove(mode).env("COVE_ROOT", &store).args(["rm", "-f", &id]).run().ok();
        // -p 8080 (no host port) on a --rootfs run.
        let mut args = vec!["-p".to_owned(), "8080".to_owned()];
        args.extend(rootfs(mode));
        args.extend(["--", "httpd", "-f", "-p", "8080", "-h", "/www"].map(String::from));
        let id = run(&args.iter().map(String::as_str).collect::<Vec<_>>());
        let port = shown_port(mode, &store, &id, "8080/tcp");
        fetch_until(port, "served on a chosen port");
        cove(mode).env("COVE_ROOT", &store).args(["rm", "-f", &id]).run().ok();
    }
}
