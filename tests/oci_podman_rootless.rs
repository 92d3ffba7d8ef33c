//! Issue 9: rootless podman drives cove. Debian's podman run as the
//! unprivileged `covetest` (its own HOME, XDG_RUNTIME_DIR and store in a
//! scratch dir; vfs storage, file events, cgroupfs) with `--runtime` at a
//! `cove-oci` symlink. Podman runs the runtime as root of its own user
//! namespace; cove then keeps the container there (as crun does) rather
//! than nesting one more. Every podman call runs under `timeout -k 5 60`;
//! on drop the containers are removed and podman's pause process (the
//! holder of its user namespace, which this test started) is killed.

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

struct Rootless {
    dir: PathBuf,
}

impl Rootless {
    fn new() -> Option<Rootless> {
        if !is_root() || test_user().is_none() {
            skip("rootless podman", "needs root to switch to covetest");
            return None;
        }
        let usable = Command::new("timeout").args(["-k", "5", "20", "podman", "--version"]).output();
        if !usable.is_ok_and(|o| o.status.success()) {
            skip("rootless podman", "podman is not installed (apt-get install podman)");
            return None;
        }
        let rootfs = busybox(Mode::Rootless)?;
        let dir = PathBuf::from(format!("/tmp/{}", unique("cove-pr")));
        for sub in ["", "home", "xdg", "root", "runroot", "tmp"] {
            std::fs::create_dir_all(dir.join(sub)).unwrap();
            run_host(Command::new("chown").arg(TEST_USER).arg(dir.join(sub)));
        }
        run_host(Command::new("chmod").arg("0700").arg(dir.join("xdg")));
        std::os::unix::fs::symlink(BIN, dir.join("cove-oci")).unwrap();
        let p = Rootless { dir };
        let import = format!("tar -C '{}' -c . | {} import - {IMAGE}", rootfs.display(), p.base().join(" "));
        let (code, _, err) = deadline_output_within(Command::new("sh").args(["-c", &import]), Duration::from_secs(75));
        assert_eq!(code, Some(0), "podman import: {err}");
        Some(p)
    }

    fn base(&self) -> Vec<String> {
        let d = |p: &str| self.dir.join(p).display().to_string();
        let mut v: Vec<String> = ["timeout", "-k", "5", "60", "setpriv", "--reuid", TEST_USER, "--regid", TEST_USER]
            .iter()
            .map(|s| s.to_string())
            .collect();
        v.extend(["--init-groups", "env", "-i"].map(String::from));
        v.extend([format!("HOME={}", d("home")), format!("XDG_RUNTIME_DIR={}", d("xdg"))]);
        v.push("PATH=/usr/sbin:/usr/bin:/sbin:/bin".into());
        for a in ["podman", "--root", &d("root"), "--runroot", &d("runroot"), "--tmpdir", &d("tmp")] {
            v.push(a.to_owned());
        }
        for a in ["--runtime", &d("cove-oci"), "--cgroup-manager", "cgroupfs", "--events-backend", "file"] {
            v.push(a.to_owned());
        }
        v.extend(["--storage-driver", "vfs"].map(String::from));
        v
    }

    fn run(&self, args: &[&str]) -> (Option<i32>, String, String) {
        let base = self.base();
        let mut cmd = Command::new(&base[0]);
        cmd.args(&base[1..]).args(args).current_dir("/tmp");
        deadline_output_within(&mut cmd, Duration::from_secs(75))
    }

    fn ok(&self, args: &[&str]) -> String {
        let (code, out, err) = self.run(args);
        assert_eq!(code, Some(0), "podman {args:?}: stdout {out:?} stderr {err:?}");
        out
    }
}

impl Drop for Rootless {
    fn drop(&mut self) {
        let _ = self.run(&["rm", "--all", "--force", "--time", "0"]);
        // podman's pause process keeps its user namespace: ours to end
        for file in [self.dir.join("xdg/libpod/tmp/pause.pid"), self.dir.join("tmp/pause.pid")] {
            if let Some(pid) = std::fs::read_to_string(&file).ok().and_then(|t| t.trim().parse::<i32>().ok()) {
                let _ = Command::new("kill").arg("-9").arg(pid.to_string()).status();
            }
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[test]
fn rootless_podman_runs_containers_through_cove() {
    let Some(p) = Rootless::new() else { return };
    let out =
        p.ok(&["run", "--rm", "--hostname", "rl1", IMAGE, "sh", "-c", "echo hello-$((6*7)) $(hostname) $(id -u)"]);
    assert_eq!(out.trim(), "hello-42 rl1 0");
    let (code, _, err) = p.run(&["run", "--rm", IMAGE, "sh", "-c", "exit 7"]);
    assert_eq!(code, Some(7), "exit code through rootless podman: {err}");
    let script = "echo up; trap 'exit 0' TERM; while :; do sleep 0.1; done";
    p.ok(&["run", "-d", "--name", "d1", IMAGE, "sh", "-c", script]);
    let (code, out, err) = p.run(&["exec", "d1", "sh", "-c", "echo exec-$((6*7)); exit 4"]);
    assert_eq!((code, out.trim()), (Some(4), "exec-42"), "rootless podman exec: {err}");
    assert_eq!(p.ok(&["logs", "d1"]).trim(), "up");
    let id = p.ok(&["inspect", "--format", "{{.Id}}", "d1"]).trim().to_owned();
    assert!(Path::new(&p.dir).join("xdg/cove-oci").join(&id).exists(), "cove's state under XDG_RUNTIME_DIR");
    p.ok(&["stop", "--time", "10", "d1"]);
    assert_eq!(p.ok(&["inspect", "--format", "{{.State.Status}} {{.State.ExitCode}}", "d1"]).trim(), "exited 0");
    p.ok(&["rm", "d1"]);
}
