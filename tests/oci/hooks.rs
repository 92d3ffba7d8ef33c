//! Issue 9: all six hook kinds at the runtime-spec's points (order,
//! namespaces, where the path resolves, state, args, env, timeout) and how
//! a failing hook fails its operation; a working directory that cannot be
//! used fails `create` (or `start`, naming the step).

use crate::common::*;
use crate::oci_support::*;
use serde_json::{Value, json};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

/// A script `#!/bin/sh` at `path`, mode 0755: appends `$1 HOSTNAME STATE`
/// to `log` (the state read from stdin).
fn logging_script(path: &Path, log: &str) {
    let text = format!("#!/bin/sh\nread -r s\necho \"$1\" $(cat /proc/sys/kernel/hostname) \"$s\" >> {log}\n");
    std::fs::write(path, text).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

fn lines(log: &Path) -> Vec<String> {
    std::fs::read_to_string(log).unwrap_or_default().lines().map(str::to_owned).collect()
}

/// Field 0: the hook; 1: the hostname it saw; 2..: the state JSON.
fn parts(line: &str) -> (String, String, Value) {
    let mut it = line.splitn(3, ' ');
    let (name, host) = (it.next().unwrap().to_owned(), it.next().unwrap_or("").to_owned());
    (name, host, serde_json::from_str(it.next().unwrap_or("null")).unwrap_or(Value::Null))
}

/// prestart, createRuntime (runtime namespaces), createContainer (the
/// container's namespaces, before pivot_root: a host-only path), then at
/// start startContainer (a path that exists only in the container) before
/// the process, poststart, and poststop at delete; args, env and the state
/// on stdin reach each.
#[test]
fn all_six_hooks_run_in_order_at_their_points() {
    for mode in modes() {
        let Some(b) = Bundle::new(mode, "hooks6", &["sh", "-c", "echo process >> /hooks.log; sleep 20"]) else {
            continue;
        };
        let log = b.rootfs.join("hooks.log");
        let host_script = b.dir.join("host-hook.sh");
        logging_script(&host_script, &log.display().to_string());
        logging_script(&b.rootfs.join("in-container.sh"), "/hooks.log");
        let host = |name: &str| json!({"path": host_script, "args": ["host-hook", name], "timeout": 10});
        // createContainer names itself through its environment
        let cc = format!("exec {} \"$X\"", host_script.display());
        b.edit(|c| {
            c["hooks"] = json!({
                "prestart": [host("prestart")],
                "createRuntime": [host("createRuntime")],
                "createContainer": [{"path": "/bin/sh", "args": ["sh", "-c", cc], "env": ["X=createContainer"]}],
                "startContainer": [{"path": "/in-container.sh", "args": ["c", "startContainer"], "timeout": 10}],
                "poststart": [host("poststart")],
                "poststop": [host("poststop")],
            });
            c["hostname"] = json!("inside");
        });
        b.create(&[]).ok();
        let l = lines(&log);
        let names: Vec<String> = l.iter().map(|x| parts(x).0).collect();
        assert_eq!(names, ["prestart", "createRuntime", "createContainer"], "[{}] after create: {l:?}", mode.label());
        let pid = b.state()["pid"].clone();
        let (_, runtime_host, s) = parts(&l[1]);
        assert_eq!((s["status"].as_str(), &s["pid"]), (Some("creating"), &pid), "{l:?}");
        assert_ne!(runtime_host, "inside", "createRuntime ran in the container's UTS namespace");
        let (_, container_host, s) = parts(&l[2]);
        assert_eq!(container_host, "inside", "[{}] createContainer not in the container: {l:?}", mode.label());
        assert_eq!(s["id"].as_str(), Some(b.id.as_str()));
        b.oci(&["start", &b.id]).ok();
        assert!(wait_until(|| lines(&log).len() >= 6), "[{}] after start: {:?}", mode.label(), lines(&log));
        let l = lines(&log);
        let (name, host, s) = parts(&l[3]);
        assert_eq!((name.as_str(), host.as_str()), ("startContainer", "inside"), "{l:?}");
        assert_eq!((s["status"].as_str(), &s["pid"]), (Some("created"), &pid));
        let mut rest: Vec<String> = l[4..].iter().map(|x| parts(x).0).collect();
        rest.sort();
        assert_eq!(rest, ["poststart", "process"], "[{}] {l:?}", mode.label());
        b.oci(&["delete", "--force", &b.id]).ok();
        let l = lines(&log);
        assert_eq!(l.last().map(|x| parts(x).0), Some("poststop".into()), "{l:?}");
    }
}

/// A failing (or timed-out) createContainer hook fails `create`: nothing
/// is left and poststop ran. A failing startContainer hook fails `start`
/// and the process never runs.
#[test]
fn failing_container_hooks_fail_their_operation() {
    for mode in modes() {
        let Some(b) = Bundle::new(mode, "hookfail", &["sh", "-c", "touch /ran; sleep 20"]) else { continue };
        let log = b.rootfs.join("poststop.log");
        let poststop = json!([{"path": "/bin/sh", "args": ["sh", "-c", format!("cat > {}", log.display())]}]);
        b.edit(|c| c["hooks"] = json!({"createContainer": [{"path": "/bin/false"}], "poststop": poststop}));
        b.create(&[]).code(1).stderr_has("createContainer hook 0 (/bin/false)");
        assert!(!b.root.join(&b.id).exists(), "[{}] a failed createContainer left state", mode.label());
        let s: Value = serde_json::from_str(&std::fs::read_to_string(&log).unwrap_or_default()).unwrap_or_default();
        assert_eq!(s["status"], "stopped", "[{}] poststop after a failed create", mode.label());
        b.edit(|c| {
            c["hooks"] = json!({"createContainer": [{"path": "/bin/sleep", "args": ["sleep", "5"], "timeout": 1}]})
        });
        b.create(&[]).code(1).stderr_has("timed out after 1 s");
        let fail = json!([{"path": "/bin/sh", "args": ["sh", "-c", "echo no >&2; exit 3"]}]);
        b.edit(|c| c["hooks"] = json!({"startContainer": fail}));
        b.create(&[]).ok();
        b.oci(&["start", &b.id]).code(1).stderr_has("startContainer hook 0 (/bin/sh)").stderr_has("no");
        assert!(wait_until(|| b.state()["status"] == "stopped"), "[{}] still alive", mode.label());
        assert!(!b.rootfs.join("ran").exists(), "[{}] the process ran after a failed hook", mode.label());
        b.oci(&["delete", &b.id]).ok();
    }
}

/// A working directory that does not exist, or leads out of the root
/// (`/proc/self/fd/N`), fails `create`; a program that cannot be executed,
/// or a directory the user may not enter, fails `start` naming the step,
/// and nothing runs.
#[test]
fn bad_cwd_fails_create_or_start() {
    for mode in modes() {
        let Some(b) = Bundle::new(mode, "cwd", &["sh", "-c", "touch /ran"]) else { continue };
        for cwd in ["/no/such/dir", "/proc/self/fd/9"] {
            b.edit(|c| c["process"]["cwd"] = json!(cwd));
            b.create(&[]).code(1).stderr_has("working directory").stderr_has(cwd);
            assert!(!b.root.join(&b.id).exists(), "[{}] cwd {cwd}: state left", mode.label());
        }
        b.edit(|c| {
            c["process"]["cwd"] = json!("/");
            c["process"]["args"] = json!(["/no/such/program"]);
        });
        b.create(&[]).ok();
        b.oci(&["start", &b.id]).code(1).stderr_has("cannot execute /no/such/program");
        b.oci(&["delete", "--force", &b.id]).ok();
        // Only a root runtime without a user namespace has a second user.
        if mode != Mode::Root {
            continue;
        }
        let secret = b.rootfs.join("secret");
        std::fs::create_dir(&secret).unwrap();
        std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o700)).unwrap();
        b.edit(|c| {
            c["process"]["cwd"] = json!("/secret");
            c["process"]["args"] = json!(["sh", "-c", "touch /ran"]);
            c["process"]["user"] = json!({"uid": 1000, "gid": 1000});
        });
        b.create(&[]).ok();
        b.oci(&["start", &b.id]).code(1).stderr_has("chdir to working directory /secret");
        assert!(!b.rootfs.join("ran").exists(), "the process ran without its working directory");
        b.oci(&["delete", "--force", &b.id]).ok();
    }
}
