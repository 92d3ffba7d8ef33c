//! Issue 7: the built-in user-mode network (`--network bridge`, the default
//! for --rootfs and images) against real servers in a test network
//! namespace (tests/network/testhost.rs) and on loopback: outbound TCP, UDP,
//! DNS, ICMP, floods; published ports are in tests/network_ports.rs.
//! Runs as root and rootless; rootless needs /dev/net/tun usable by the
//! user (scripts/test-all makes it 0666, as most distributions ship it).

mod common;
#[path = "network/dns.rs"]
mod dns;
#[path = "network/support.rs"]
mod support;
#[path = "network/testhost.rs"]
mod testhost;

use common::*;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::time::Duration;
use support::*;

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
        out.timeout(Duration::from_secs(150)).run().ok().stdout_is("200\n");
    }
}

const PY_UDP_CLIENT: &str = "import socket,sys\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\ns.settimeout(2)\n\
for i in range(20):\n  s.sendto(b'ping-%d' % i,(sys.argv[1],7))\n  try:\n    print(s.recv(100).decode()); break\n  except OSError: pass\n";

#[test]
fn udp_echo_and_dns_through_the_stack() {
    let Some(mut host) = test_host("udp") else { return };
    host.udp_server(7, false);
    host.udp_server(53, true);
    for mode in net_modes("udp") {
        let out = cove(mode).args(["run", "--network", "bridge", "--", "python3", "-c", PY_UDP_CLIENT, &host.ip]).run();
        out.ok().stdout_has("ping-");
        // --dns: the container asks the test resolver itself (UDP through the stack)
        let lookup = "import socket; print(socket.gethostbyname('svc.cove.test'))";
        let out =
            cove(mode).args(["run", "--network", "bridge", "--dns", &host.ip, "--", "python3", "-c", lookup]).run();
        out.ok().stdout_is("192.0.2.44\n");
    }
}

/// Lookups through the forwarder, timed: a small answer (UDP), one over
/// 512 bytes (truncated over UDP, so glibc asks again over TCP), an AAAA
/// query (answered empty) and an IPv6 connect (no route: fails at once).
const PY_LOOKUPS: &str = r#"
import socket, time
print("small", socket.gethostbyname("svc.cove.test"))
print("many", len(socket.gethostbyname_ex("many.cove.test")[2]))
t = time.time()
try: socket.getaddrinfo("svc.cove.test", 80, socket.AF_INET6); print("aaaa answered")
except socket.gaierror: print("aaaa none", "fast" if time.time() - t < 2 else "slow")
t = time.time()
try: socket.create_connection(("2001:db8::1", 80), timeout=20); print("v6 connected")
except OSError as e: print("v6", e.errno, "fast" if time.time() - t < 2 else "slow")
"#;

#[test]
fn dns_forwarder_answers_over_udp_and_tcp_and_ipv6_fails_fast() {
    let server = match dns::DnsServer::start() {
        Ok(s) => s,
        Err(why) => return skip("dns_forwarder", &why),
    };
    for mode in net_modes("dns_forwarder") {
        let script = "grep -x 'nameserver 10.0.2.3' /etc/resolv.conf && python3 -c \"$0\"";
        let out = server.run(&cove(mode).args(["run", "--network", "bridge", "--", "sh", "-c", script, PY_LOOKUPS]));
        out.ok().stdout_has("small 192.0.2.44\n").stdout_has(&format!("many {}\n", dns::MANY));
        out.stdout_has("aaaa none fast\n").stdout_has("v6 101 fast\n"); // ENETUNREACH
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
fn network_none_has_no_route_out() {
    let Some(host) = test_host("none") else { return };
    for mode in modes() {
        // (busybox wget crashes on an unreachable network; nc reports it)
        let script = format!("ip route; nc -w 3 {} 8080 </dev/null; echo rc=$?", host.ip);
        let out = sh_root(mode, &rootfs(mode), &["--network", "none"], &script);
        out.ok().stdout_is("rc=1\n").stderr_has("unreachable");
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
