//! Issue 7: `--network slirp4netns` and `--network pasta` drive those
//! helpers (when installed) with the built-in network's address plan:
//! outbound TCP to the test host, `-p` from the host, and the helper ends
//! with the container (a SIGKILLed cove leaves no helper and no network
//! namespace). A missing helper is exit 125 with an install hint; pasta as
//! root is exit 125 (it cannot join the container's namespace). Root and
//! rootless; loud skips where a helper is not installed.

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

const HELPERS: [(&str, &str); 2] = [("slirp4netns", "slirp4netns"), ("pasta", "passt")];

fn installed(helper: &str) -> bool {
    let ok = std::process::Command::new("sh")
        .args(["-c", &format!("command -v {helper}")])
        .stdout(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        skip(&format!("--network {helper}"), &format!("{helper} is not installed (scripts/test-all installs it)"));
    }
    ok
}

/// Modes the helper runs in; pasta as root is checked to be refused instead.
fn helper_modes(helper: &str) -> Vec<Mode> {
    modes().into_iter().filter(|m| !(helper == "pasta" && *m == Mode::Root)).collect()
}

#[test]
fn helpers_give_outbound_tcp_and_published_ports() {
    let Some(host) = test_host("network_helpers") else { return };
    for (helper, _) in HELPERS.into_iter().filter(|(h, _)| installed(h)) {
        for mode in helper_modes(helper) {
            let port = free_port();
            let publish = format!("127.0.0.1:{port}:8080");
            let script = format!(
                "wget -q -O - http://{}:8080/ && ip route && echo inside > /tmp/index.html && httpd -p 8080 -h /tmp && echo ready && sleep 30",
                host.ip
            );
            let args = ["--network", helper, "-p", &publish, "--", "sh", "-c", &script];
            let run = cove(mode).arg("run").args(rootfs(mode)).args(args).timeout(Duration::from_secs(60)).spawn();
            let bg = Background(Some(run));
            let running = bg.0.as_ref().expect("running");
            assert!(
                running.stdout.wait_for("ready", Duration::from_secs(30)),
                "[{helper} {}] never ready",
                mode.label()
            );
            let out = String::from_utf8_lossy(&running.stdout.snapshot()).into_owned();
            assert!(out.contains("hello from the test host"), "[{helper} {}] outbound: {out}", mode.label());
            assert!(out.contains("default via 10.0.2.2"), "[{helper} {}] route: {out}", mode.label());
            wait_until("the helper's published port", || fetch(port).contains("inside"));
            drop(bg);
        }
    }
}

fn fetch(port: u16) -> String {
    let mut body = String::new();
    if let Ok(mut s) = TcpStream::connect_timeout(&([127, 0, 0, 1], port).into(), Duration::from_secs(2)) {
        let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
        let _ = s.write_all(b"GET /index.html HTTP/1.0\r\n\r\n").and_then(|()| s.read_to_string(&mut body).map(drop));
    }
    body
}

#[test]
fn a_sigkilled_cove_leaves_no_helper_and_no_netns() {
    for (helper, _) in HELPERS.into_iter().filter(|(h, _)| installed(h)) {
        for mode in helper_modes(helper) {
            let marker = unique("cove-helper-kill");
            let run = cove(mode).arg("run").args(rootfs(mode));
            let run = run.args(["--network", helper, "--", "sh", "-c", "echo ready && sleep 1000; true", &marker]);
            let running = run.timeout(Duration::from_secs(60)).spawn();
            assert!(
                running.stdout.wait_for("ready", Duration::from_secs(30)),
                "[{helper} {}] never ready",
                mode.label()
            );
            let cove_pid = running.pid();
            let dir_mark = format!("cove-net-{cove_pid}-");
            assert!(!processes_with(&dir_mark).is_empty(), "[{helper} {}] no {helper} process", mode.label());
            let host = std::fs::read_link("/proc/self/ns/net").expect("own netns");
            let ns: Vec<_> = processes_with(&marker)
                .into_iter()
                .filter_map(|(p, _)| std::fs::read_link(format!("/proc/{p}/ns/net")).ok())
                .filter(|n| *n != host)
                .collect();
            assert!(!ns.is_empty(), "[{helper} {}] the container's netns", mode.label());
            running.signal(rustix::process::Signal::KILL);
            running.wait();
            wait_until("the container, its helper and its netns to end", || {
                processes_with(&marker).is_empty() && processes_with(&dir_mark).is_empty() && !ns.iter().any(in_use)
            });
        }
    }
}

fn in_use(ns: &std::path::PathBuf) -> bool {
    let Ok(dir) = std::fs::read_dir("/proc") else { return false };
    dir.flatten().any(|e| std::fs::read_link(e.path().join("ns/net")).is_ok_and(|l| l == *ns))
}

#[test]
fn a_missing_helper_and_pasta_as_root_are_clear_errors() {
    for (helper, package) in HELPERS {
        for mode in modes() {
            // A PATH with only what starts cove rootless (setpriv).
            let path = TestDir::new(mode, "path");
            let setpriv = std::process::Command::new("sh").args(["-c", "command -v setpriv"]).output().expect("sh");
            let setpriv = String::from_utf8_lossy(&setpriv.stdout).trim().to_owned();
            std::os::unix::fs::symlink(&setpriv, path.path().join("setpriv")).expect("symlink setpriv");
            let path = path.path().display().to_string();
            let out = cove(mode).env("PATH", &path).arg("run").args(rootfs(mode));
            let out = out.args(["--network", helper, "--", "true"]).timeout(Duration::from_secs(30)).run();
            out.code(125).stderr_has(&format!("--network {helper}: find the helper in PATH"));
            out.stderr_has(&format!("apt-get install {package}"));
        }
    }
    if modes().contains(&Mode::Root) && installed("pasta") {
        let out = cove(Mode::Root).arg("run").args(rootfs(Mode::Root)).args(["--network", "pasta", "--", "true"]);
        out.timeout(Duration::from_secs(30)).run().code(125).stderr_has("pasta does not run as root");
    }
}
