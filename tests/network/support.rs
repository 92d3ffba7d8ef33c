//! What the network tests share (tests/network.rs, tests/network_ports.rs):
//! the modes this host can run the built-in network in, the test host with
//! its HTTP server, the busybox root, and background containers killed on
//! drop.
#![allow(dead_code)]

use crate::common::*;
use crate::testhost::TestHost;
use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt;

/// The modes this host can run the built-in network in (loud skips otherwise).
pub fn net_modes(test: &str) -> Vec<Mode> {
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
pub fn test_host(test: &str) -> Option<TestHost> {
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

pub fn rootfs(mode: Mode) -> Vec<String> {
    let r = busybox(mode).expect("the busybox rootfs (scripts/mkrootfs-busybox)");
    vec!["--rootfs".into(), r.display().to_string()]
}

/// Kills a background cove at the end of a test.
pub struct Background(pub Option<Running>);

impl Drop for Background {
    fn drop(&mut self) {
        if let Some(r) = self.0.take() {
            r.signal(rustix::process::Signal::KILL);
            let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| r.wait()));
        }
    }
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a free port").port()
}
