//! Issue 7: published ports (`-p`, `-P`) of the built-in network, reached
//! from the host, and how `cove port`, `ps` and `inspect` show them.
//! Runs as root and rootless (see tests/network.rs).

mod common;
#[path = "network/image.rs"]
mod image;
#[path = "network/support.rs"]
mod support;
#[path = "network/testhost.rs"]
mod testhost;

use common::*;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream, UdpSocket};
use std::time::Duration;
use support::*;
use testhost::wait_until;

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
        // The helpers' ports are checked the same way before anything starts
        // (a missing helper is its own error, tests/network_helpers.rs).
        let out = cove(mode).args(["run", "--network", "slirp4netns", "-p", &publish, "--", "true"]).run();
        let said = String::from_utf8_lossy(&out.stderr).into_owned();
        out.code(125);
        assert!(said.contains("in use") || said.contains("find the helper in PATH"), "{said}");
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
        // ps shows the same ports as `cove port`, in Docker's PORTS form, while it runs.
        let shown = format!("127.0.0.1:{port}->8080/tcp");
        let ps = cove(mode).env("COVE_ROOT", &store).args(["ps", "--format", "json"]).run();
        let row: serde_json::Value = serde_json::from_str(ps.ok().stdout().trim()).expect("ps json");
        assert_eq!(row["Ports"].as_str(), Some(shown.as_str()), "[{}] ps --format json: {row}", mode.label());
        cove(mode).env("COVE_ROOT", &store).arg("ps").run().ok().stdout_has("PORTS").stdout_has(&shown);
        let ps = cove(mode).env("COVE_ROOT", &store).args(["ps", "--format", "{{.Names}} {{.Ports}}"]).run();
        ps.ok().stdout_has(&format!(" {shown}\n"));
        // Stopped: no ports, as Docker (which clears them on stop).
        cove(mode).env("COVE_ROOT", &store).args(["stop", "-t", "1", &id]).timeout(Duration::from_secs(30)).run().ok();
        wait_until("the port to close after stop", || TcpStream::connect(("127.0.0.1", port)).is_err());
        let ps = cove(mode).env("COVE_ROOT", &store).args(["ps", "-a", "--format", "{{.Status}}|{{.Ports}}|"]).run();
        ps.ok().stdout_has("Exited").stdout_has("||\n");
        cove(mode).env("COVE_ROOT", &store).args(["port", &id]).run().ok().stdout_is("");
        cove(mode).env("COVE_ROOT", &store).args(["rm", "-f", &id]).run().ok();
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

/// A published TCP port is forwarded over a socket made in the container's
/// network namespace (not through the user-mode stack): the server inside
/// sees the container's own address as the peer, not the gateway, and 200
/// host clients whose requests are all in flight at once are all served.
#[test]
fn published_port_enters_the_netns_directly_and_serves_200_clients() {
    for mode in net_modes("publish_direct") {
        let dir = TestDir::new(mode, "cgi");
        let cgi = "#!/bin/sh\nsleep \"${QUERY_STRING:-0}\"\nprintf 'Content-Type: text/plain\\r\\n\\r\\npeer=%s\\n' \"$REMOTE_ADDR\"\n";
        let script = dir.write("cgi-bin/peer", cgi);
        let exec = std::os::unix::fs::PermissionsExt::from_mode(0o755);
        std::fs::set_permissions(&script, exec).expect("chmod");
        let port = free_port();
        let publish = format!("127.0.0.1:{port}:8080");
        let vol = format!("{}:/www:ro", dir.path().display());
        let args = ["-p", &publish, "-v", &vol, "--", "httpd", "-f", "-p", "8080", "-h", "/www"];
        let run = cove(mode).arg("run").args(rootfs(mode)).args(args).timeout(Duration::from_secs(120));
        let bg = Background(Some(run.spawn()));
        let get = move |path: &str| -> Result<String, String> {
            let addr = ([127, 0, 0, 1], port).into();
            let mut s =
                TcpStream::connect_timeout(&addr, Duration::from_secs(20)).map_err(|e| format!("connect: {e}"))?;
            s.set_read_timeout(Some(Duration::from_secs(30))).map_err(|e| e.to_string())?;
            s.write_all(format!("GET {path} HTTP/1.0\r\n\r\n").as_bytes()).map_err(|e| format!("write: {e}"))?;
            let mut body = String::new();
            s.read_to_string(&mut body).map_err(|e| format!("read: {e}"))?;
            Ok(body)
        };
        wait_until("the published port to serve", || get("/cgi-bin/peer").is_ok_and(|b| b.contains("peer=")));
        let body = get("/cgi-bin/peer").unwrap_or_default();
        assert!(
            body.contains("10.0.2.100]") || body.contains("peer=10.0.2.100"),
            "{mode:?}: the server inside saw {body:?}"
        );
        // Each request takes 2 s inside, so all 200 are in flight at once;
        // they start 5 ms apart, as busybox httpd listens with a backlog of
        // 9 and a full backlog delays clients by SYN retransmits, not cove.
        let clients: Vec<_> = (0..200)
            .map(|_| {
                std::thread::sleep(Duration::from_millis(5));
                std::thread::spawn(move || get("/cgi-bin/peer?2"))
            })
            .collect();
        let got: Vec<_> = clients.into_iter().map(|c| c.join().unwrap_or_else(|_| Err("panicked".into()))).collect();
        let failed: Vec<_> = got.iter().filter(|r| !r.as_ref().is_ok_and(|b| b.contains("peer="))).collect();
        assert!(
            failed.is_empty(),
            "{mode:?}: {} of 200 not served: {:?}",
            failed.len(),
            &failed[..failed.len().min(5)]
        );
        drop(bg);
    }
}

/// The socket factory failing while the container runs closes the
/// published TCP port (clients are refused, one line on stderr) instead of
/// falling back to another path; the container itself goes on.
#[test]
fn a_killed_socket_factory_closes_the_published_port() {
    for mode in net_modes("factory_killed") {
        let port = free_port();
        let publish = format!("127.0.0.1:{port}:8080");
        let script = "echo up > /tmp/index.html && httpd -p 8080 -h /tmp && echo ready && sleep 1000; true";
        let run = cove(mode).arg("run").args(rootfs(mode)).args(["-p", &publish, "--", "sh", "-c", script]);
        let bg = Background(Some(run.timeout(Duration::from_secs(60)).spawn()));
        let running = bg.0.as_ref().expect("running");
        running.expect_stdout("ready\n");
        wait_until("the published port", || fetch_once(port).contains("up"));
        // The factory: cove's child in the host's pid namespace (the
        // container's first process has its own).
        let own_pidns = std::fs::read_link("/proc/self/ns/pid").expect("own pid ns");
        let children =
            std::fs::read_to_string(format!("/proc/{0}/task/{0}/children", running.pid())).unwrap_or_default();
        let factory: Vec<i32> = children
            .split_whitespace()
            .filter_map(|p| p.parse().ok())
            .filter(|p| std::fs::read_link(format!("/proc/{p}/ns/pid")).is_ok_and(|n| n == own_pidns))
            .collect();
        assert_eq!(factory.len(), 1, "[{}] one socket factory among {children:?}", mode.label());
        let pid = rustix::process::Pid::from_raw(factory[0]).expect("pid");
        rustix::process::kill_process(pid, rustix::process::Signal::KILL).expect("kill the factory");
        wait_until("the published port to close", || TcpStream::connect(("127.0.0.1", port)).is_err());
        assert!(
            running.stderr.wait_for("published ports closed", Duration::from_secs(5)),
            "[{}] no notice",
            mode.label()
        );
        drop(bg);
    }
}

fn fetch_once(port: u16) -> String {
    let mut body = String::new();
    if let Ok(mut s) = TcpStream::connect_timeout(&([127, 0, 0, 1], port).into(), Duration::from_secs(2)) {
        let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
        let _ = s.write_all(b"GET /index.html HTTP/1.0\r\n\r\n").and_then(|()| s.read_to_string(&mut body).map(drop));
    }
    body
}
