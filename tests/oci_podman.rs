//! Issue 9: a real engine drives cove. Debian's podman, as root, with
//! `--runtime` pointing at a `cove-oci` symlink, on a private store
//! (`--root`/`--runroot` in a scratch dir, vfs storage, file events,
//! cgroupfs, no network). Every podman call runs under `timeout -k 5 60`
//! and a test deadline on top; containers are removed on drop.
//!
//! `--ulimit nofile/nproc` are given because podman's defaults raise the
//! hard limits, which needs CAP_SYS_RESOURCE (runc and crun fail the same
//! way without it on hosts that lack it).

mod common;

use common::*;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

#[allow(dead_code)]
#[path = "oci/support.rs"]
mod oci_support;
use oci_support::deadline_output_within;

const IMAGE: &str = "localhost/cove-busybox:1";
const RUN_FLAGS: &[&str] = &[
    "--network",
    "none",
    "--ulimit",
    "nofile=1024:1024",
    "--ulimit",
    "nproc=1024:1024",
    "--security-opt",
    "apparmor=unconfined",
];

struct Podman {
    /// Short (podman refuses a runroot path over 50 characters), under /tmp.
    dir: PathBuf,
    runtime: PathBuf,
}

impl Podman {
    /// A private podman with the busybox fixture imported, or None (SKIP).
    fn new() -> Option<Podman> {
        if !is_root() {
            skip("podman", "runs as root only (rootless podman needs its own user setup)");
            return None;
        }
        let usable = Command::new("timeout").args(["-k", "5", "20", "podman", "--version"]).output();
        if !usable.is_ok_and(|o| o.status.success()) {
            skip("podman", "podman is not installed or does not start (apt-get install podman)");
            return None;
        }
        let rootfs = busybox(Mode::Root)?;
        let dir = PathBuf::from(format!("/tmp/{}", unique("cove-pm")));
        std::fs::create_dir(&dir).unwrap();
        let runtime = dir.join("cove-oci");
        std::os::unix::fs::symlink(BIN, &runtime).unwrap();
        let p = Podman { dir, runtime };
        let import =
            format!("tar -C '{}' -c . | timeout -k 5 60 {} import - {IMAGE}", rootfs.display(), p.base().join(" "));
        let (code, _, err) = deadline_output_within(Command::new("sh").args(["-c", &import]), Duration::from_secs(75));
        assert_eq!(code, Some(0), "podman import: {err}");
        Some(p)
    }

    fn base(&self) -> Vec<String> {
        let d = |p: &str| self.dir.join(p).display().to_string();
        [
            "podman",
            "--root",
            &d("root"),
            "--runroot",
            &d("runroot"),
            "--tmpdir",
            &d("tmp"),
            "--runtime",
            &self.runtime.display().to_string(),
            "--cgroup-manager",
            "cgroupfs",
            "--events-backend",
            "file",
            "--storage-driver",
            "vfs",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    }

    /// `podman ARGS…` under `timeout -k 5 60`: (code, stdout, stderr).
    fn run(&self, args: &[&str]) -> (Option<i32>, String, String) {
        let mut cmd = Command::new("timeout");
        cmd.args(["-k", "5", "60"]).args(self.base()).args(args);
        deadline_output_within(&mut cmd, Duration::from_secs(75))
    }

    fn ok(&self, args: &[&str]) -> String {
        let (code, out, err) = self.run(args);
        assert_eq!(code, Some(0), "podman {args:?}: stdout {out:?} stderr {err:?}");
        out
    }
}

impl Drop for Podman {
    fn drop(&mut self) {
        let _ = self.run(&["rm", "--all", "--force", "--time", "0"]);
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn run_args<'a>(extra: &[&'a str], cmd: &[&'a str]) -> Vec<&'a str> {
    let mut v = vec!["run"];
    v.extend_from_slice(RUN_FLAGS);
    v.extend_from_slice(extra);
    v.push(IMAGE);
    v.extend_from_slice(cmd);
    v
}

#[test]
fn podman_runs_containers_through_cove() {
    let Some(p) = Podman::new() else { return };
    // run --rm: output, hostname from podman, the exit code back
    let out = p.ok(&run_args(&["--rm", "--hostname", "pm1"], &["sh", "-c", "echo hello-$((6*7)) $(hostname)"]));
    assert_eq!(out.trim(), "hello-42 pm1");
    let (code, _, err) = p.run(&run_args(&["--rm"], &["sh", "-c", "exit 7"]));
    assert_eq!(code, Some(7), "exit code through podman: {err}");
    // -t: the terminal comes through conmon's console socket
    let tty = p.ok(&run_args(&["--rm", "-t"], &["sh", "-c", "tty; echo tty-$((6*7))"]));
    assert!(tty.contains("/dev/pts/") && tty.contains("tty-42"), "podman run -t: {tty:?}");
    // detached: logs, stop (SIGTERM to a trapping shell), rm
    let script = "echo up; trap 'exit 0' TERM; while :; do sleep 0.1; done";
    p.ok(&run_args(&["-d", "--name", "d1"], &["sh", "-c", script]));
    let ps = p.ok(&["ps", "--format", "{{.Names}} {{.Status}}"]);
    assert!(ps.contains("d1 Up"), "podman ps: {ps:?}");
    assert_eq!(p.ok(&["logs", "d1"]).trim(), "up");
    // exec: through the runtime's exec (--process, --detach from conmon)
    let (code, out, err) = p.run(&["exec", "d1", "sh", "-c", "echo exec-$((6*7)); exit 4"]);
    assert_eq!((code, out.trim()), (Some(4), "exec-42"), "podman exec: {err}");
    let id = p.ok(&["inspect", "--format", "{{.Id}}", "d1"]).trim().to_owned();
    assert!(Path::new("/run/cove-oci").join(&id).exists(), "cove's state for {id} (podman gives no --root)");
    p.ok(&["stop", "--time", "10", "d1"]);
    let state = p.ok(&["inspect", "--format", "{{.State.Status}} {{.State.ExitCode}}", "d1"]);
    assert_eq!(state.trim(), "exited 0");
    p.ok(&["rm", "d1"]);
    assert!(!Path::new("/run/cove-oci").join(&id).exists(), "podman rm left cove's state for {id}");
}

/// `--memory 64m` reaches cove's cgroup code: a process that buffers 90 MiB
/// is OOM-killed (137) inside the limit.
#[test]
fn podman_memory_limit_is_enforced() {
    let Some(p) = Podman::new() else { return };
    let script = "head -c 100m /dev/zero | tail -c 90m >/dev/null; echo tail=$?";
    let out = p.ok(&run_args(&["--rm", "--memory", "64m"], &["sh", "-c", script]));
    assert_eq!(out.trim(), "tail=137", "a 64m container buffered 90m");
}
