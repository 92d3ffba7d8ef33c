//! Issue 9: cove as an OCI runtime. Bundles are the busybox fixture plus a
//! config.json from `runc spec` / `crun spec` (`--rootless` for the
//! unprivileged mode), run unchanged or with the few edits a test names.
//! Every cove call has a deadline; every created container is deleted with
//! `--force` on drop and its own command ends within seconds anyway.

mod common;

use common::*;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

#[path = "oci/support.rs"]
mod oci_support;
use oci_support::*;

#[test]
fn lifecycle_created_running_stopped() {
    for mode in modes() {
        let Some(b) = Bundle::new(mode, "life", &["sh", "-c", "echo ran > /ran; sleep 20"]) else { continue };
        let pid_file = b.dir.join("pid");
        b.create(&["--pid-file", pid_file.to_str().unwrap()]).ok();
        let st = b.state();
        assert_eq!(st["status"], "created", "[{}] {st}", mode.label());
        assert_eq!(st["id"], b.id.as_str());
        assert_eq!(st["ociVersion"], "1.0.2");
        assert_eq!(st["bundle"], b.dir.path().to_str().unwrap());
        let pid = st["pid"].as_i64().expect("pid");
        assert!(pid > 0);
        assert_eq!(std::fs::read_to_string(&pid_file).unwrap(), pid.to_string(), "pid file");
        std::thread::sleep(Duration::from_millis(200));
        assert!(!b.rootfs.join("ran").exists(), "[{}] the process ran before start", mode.label());
        b.oci(&["start", &b.id]).ok();
        assert!(wait_until(|| b.rootfs.join("ran").exists()), "[{}] start did not run the process", mode.label());
        assert_eq!(b.state()["status"], "running");
        b.oci(&["start", &b.id]).code(1).stderr_has("it is running");
        b.oci(&["delete", &b.id]).code(1).stderr_has("is running");
        b.oci(&["kill", &b.id, "9"]).ok();
        assert!(wait_until(|| b.state()["status"] == "stopped"), "[{}] not stopped after kill 9", mode.label());
        assert_eq!(b.state()["pid"], 0);
        b.oci(&["kill", &b.id, "KILL"]).code(1).stderr_has("not running");
        b.oci(&["delete", &b.id]).ok();
        b.oci(&["state", &b.id]).code(1).stderr_has("does not exist");
    }
}

#[test]
fn delete_of_created_container_never_runs_it() {
    for mode in modes() {
        let Some(b) = Bundle::new(mode, "del", &["sh", "-c", "echo ran > /ran"]) else { continue };
        b.create(&[]).ok();
        let pid = b.state()["pid"].as_i64().unwrap();
        b.oci(&["delete", &b.id]).ok();
        assert!(!Path::new(&format!("/proc/{pid}/cmdline")).exists() || zombie(pid), "pid {pid} still runs");
        assert!(!b.rootfs.join("ran").exists(), "[{}] a deleted created container ran", mode.label());
        assert!(!b.root.join(&b.id).exists(), "state directory left behind");
    }
}

#[test]
fn kill_by_name_number_and_all() {
    let script = "trap 'echo usr1 >> /log' USR1; sleep 30 & sleep 30 & while :; do sleep 0.05; done";
    for mode in modes() {
        let Some(b) = Bundle::new(mode, "kill", &["sh", "-c", script]) else { continue };
        b.create(&[]).ok();
        b.oci(&["start", &b.id]).ok();
        let log = b.rootfs.join("log");
        // One at a time: signals pending together would merge into one.
        for (n, sig) in ["USR1", "SIGUSR1", "10"].iter().enumerate() {
            b.oci(&["kill", &b.id, sig]).ok();
            let seen = || std::fs::read_to_string(&log).is_ok_and(|t| t.lines().count() == n + 1);
            assert!(wait_until(seen), "[{}] kill {sig}: {:?}", mode.label(), std::fs::read_to_string(&log));
        }
        b.oci(&["kill", &b.id, "NOPE"]).code(1).stderr_has("invalid signal");
        let out = b.oci(&["ps", "--format", "json", &b.id]);
        out.ok();
        let pids: Vec<i64> = serde_json::from_slice(&out.stdout).expect("ps json");
        assert!(pids.len() >= 3, "[{}] ps: {pids:?}", mode.label());
        b.oci(&["kill", "--all", &b.id, "KILL"]).ok();
        assert!(wait_until(|| b.state()["status"] == "stopped"));
        let gone = |p: &i64| !Path::new(&format!("/proc/{p}")).exists() || zombie(*p);
        assert!(wait_until(|| pids.iter().all(gone)), "[{}] kill --all left some of {pids:?}", mode.label());
        b.oci(&["delete", &b.id]).ok();
    }
}

/// `runc spec` / `crun spec` configs run unchanged: a terminal, so the
/// master comes over --console-socket; the shell reads from it.
#[test]
fn generated_specs_run_unchanged_with_console_socket() {
    for mode in modes() {
        for tool in ["runc", "crun"] {
            let Some(b) = Bundle::generated(mode, tool) else { continue };
            let console = Console::listen(&b.dir.join("console.sock"));
            b.create(&["--console-socket", console.path.to_str().unwrap()]).ok();
            let master = console.receive();
            assert_eq!(b.state()["status"], "created");
            b.oci(&["start", &b.id]).ok();
            write_all(&master, b"echo hi-$((6*7)) $(hostname); exit\n");
            let out = read_until(&master, "hi-42", Duration::from_secs(10));
            assert!(out.contains(&format!("hi-42 {tool}")), "[{}] {tool} spec: terminal gave {out:?}", mode.label());
            assert!(wait_until(|| b.state()["status"] == "stopped"), "[{}] {tool}: shell did not exit", mode.label());
            b.oci(&["delete", &b.id]).ok();
        }
    }
}

#[test]
fn errors_name_the_problem() {
    for mode in modes() {
        let Some(b) = Bundle::new(mode, "err", &["true"]) else { continue };
        b.oci(&["state", "nosuch"]).code(1).stderr_has("container nosuch does not exist");
        b.oci(&["start", "nosuch"]).code(1).stderr_has("does not exist");
        b.oci(&["state", "../x"]).code(1).stderr_has("invalid container id");
        b.create(&[]).ok();
        b.create(&[]).code(1).stderr_has("already exists");
        b.oci(&["delete", "-f", &b.id]).ok();
        let empty = b.dir.mkdir("empty");
        b.oci(&["create", "--bundle", empty.to_str().unwrap(), "x1"]).code(1).stderr_has("config.json");
        assert!(!b.root.join("x1").exists());
        b.edit(|c| c["linux"]["sysctl"] = json!({"vm.overcommit_memory": "1"}));
        b.create(&[]).code(1).stderr_has("linux.sysctl").stderr_has("not supported");
        b.edit(|c| {
            c["linux"]["sysctl"] = Value::Null;
            c["process"]["terminal"] = json!(true);
        });
        b.create(&[]).code(1).stderr_has("--console-socket");
        assert!(!b.root.join(&b.id).exists(), "a refused create left state behind");
        let log = b.dir.join("log.json");
        b.oci(&["--log", log.to_str().unwrap(), "--log-format", "json", "state", "nosuch"]).code(1);
        let line: Value = serde_json::from_str(std::fs::read_to_string(&log).unwrap().trim()).expect("json log");
        assert_eq!(line["level"], "error");
        assert!(line["msg"].as_str().unwrap().contains("does not exist"), "{line}");
    }
}

/// Engines call `RUNTIME [global flags] VERB`: under the name `cove-oci`
/// (or `runc`, or `*runtime`) the verbs are top level.
#[test]
fn runtime_name_makes_verbs_top_level() {
    let dir = TestDir::new(Mode::Root, "oci-name");
    let link = dir.join("cove-oci");
    std::os::unix::fs::symlink(BIN, &link).unwrap();
    let out = deadline_output(Command::new(&link).args(["--root", dir.join("r").to_str().unwrap(), "state", "x"]));
    assert_eq!(out.0, Some(1), "{out:?}");
    assert!(out.2.contains("container x does not exist"), "{out:?}");
    let version = deadline_output(Command::new(&link).arg("--version"));
    assert_eq!(version.0, Some(0), "{version:?}");
    let features = deadline_output(Command::new(&link).arg("features"));
    let v: Value = serde_json::from_str(&features.1).unwrap_or_else(|e| panic!("features JSON: {e}: {features:?}"));
    assert!(v["linux"]["namespaces"].as_array().unwrap().contains(&json!("user")), "{v}");
    assert_eq!(
        v["hooks"],
        json!(["prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"])
    );
    let plain = deadline_output(Command::new(BIN).args(["state", "x"]));
    assert_ne!(plain.0, Some(0), "plain cove must not take runtime verbs: {plain:?}");
}

/// `linux.resources` goes through cove's cgroup code: enforced as root
/// (the limit file holds the value and the process is in the cgroup; delete
/// removes it), refused with exit 1 where this caller cannot enforce it.
#[test]
fn resources_are_enforced_or_refused() {
    for mode in modes() {
        let Some(b) = Bundle::new(mode, "res", &["sleep", "20"]) else { continue };
        b.edit(|c| c["linux"]["resources"] = json!({"memory": {"limit": 33554432}, "pids": {"limit": 20}}));
        let out = b.create(&[]);
        if out.code != Some(0) {
            assert_eq!(mode, Mode::Rootless, "{}", out.stderr());
            out.code(1).stderr_has("cannot be enforced");
            assert!(!b.root.join(&b.id).exists());
            continue;
        }
        let record: Value =
            serde_json::from_slice(&std::fs::read(b.root.join(&b.id).join("state.json")).unwrap()).unwrap();
        let dirs: Vec<PathBuf> =
            record["cgroups"].as_array().unwrap().iter().map(|d| d.as_str().unwrap().into()).collect();
        let pid = b.state()["pid"].as_i64().unwrap().to_string();
        let memory = dirs.iter().find(|d| d.join("memory.limit_in_bytes").exists() || d.join("memory.max").exists());
        let memory = memory.expect("a memory cgroup");
        let limit =
            ["memory.limit_in_bytes", "memory.max"].iter().find_map(|f| std::fs::read_to_string(memory.join(f)).ok());
        assert_eq!(limit.unwrap().trim(), "33554432");
        let procs = std::fs::read_to_string(memory.join("cgroup.procs")).unwrap();
        assert!(procs.lines().any(|l| l == pid), "pid {pid} not in {}", memory.display());
        b.oci(&["delete", "--force", &b.id]).ok();
        assert!(dirs.iter().all(|d| !d.exists()), "cgroups left after delete: {dirs:?}");
    }
}

/// prestart and createRuntime run at create, poststart after start,
/// poststop at delete, each with the state (status at that point) on
/// stdin; a failing prestart fails create and leaves nothing behind.
#[test]
fn hooks_run_at_their_points_with_the_state() {
    for mode in modes() {
        let Some(b) = Bundle::new(mode, "hooks", &["sleep", "20"]) else { continue };
        let log = b.dir.join("hooks.log");
        let hook = |name: &str| {
            let script = format!("read -r s; echo {name} \"$s\" >> '{}'", log.display());
            json!({"path": "/bin/sh", "args": ["sh", "-c", script], "timeout": 10})
        };
        b.edit(|c| {
            c["hooks"] = json!({"createRuntime": [hook("createRuntime")], "prestart": [hook("prestart")],
                "poststart": [hook("poststart")], "poststop": [hook("poststop")]})
        });
        let lines = || std::fs::read_to_string(&log).unwrap_or_default().lines().map(str::to_owned).collect::<Vec<_>>();
        let state_of = |line: &str| -> Value { serde_json::from_str(line.split_once(' ').unwrap().1).unwrap() };
        b.create(&[]).ok();
        let l = lines();
        assert_eq!(l.len(), 2, "[{}] after create: {l:?}", mode.label());
        assert!(l[0].starts_with("prestart ") && l[1].starts_with("createRuntime "), "{l:?}");
        let s = state_of(&l[0]);
        assert_eq!((s["status"].as_str(), s["id"].as_str()), (Some("creating"), Some(b.id.as_str())));
        assert_eq!(s["pid"], b.state()["pid"]);
        b.oci(&["start", &b.id]).ok();
        let l = lines();
        assert!(l.len() == 3 && l[2].starts_with("poststart "), "[{}] after start: {l:?}", mode.label());
        assert_eq!(state_of(&l[2])["status"], "running");
        b.oci(&["delete", "--force", &b.id]).ok();
        let l = lines();
        assert!(l.len() == 4 && l[3].starts_with("poststop "), "[{}] after delete: {l:?}", mode.label());
        assert_eq!(state_of(&l[3])["status"], "stopped");
        b.edit(|c| c["hooks"] = json!({"prestart": [{"path": "/bin/false"}]}));
        b.create(&[]).code(1).stderr_has("prestart hook 0 (/bin/false)");
        assert!(!b.root.join(&b.id).exists(), "a failed prestart left state behind");
    }
}

/// `exec` joins a running container: its files, hostname and pid
/// namespace; the exit code comes back; `--process` JSON as engines send
/// it; `--detach` with a pid file; refused before `start`.
#[test]
fn exec_runs_in_the_container() {
    for mode in modes() {
        let Some(b) = Bundle::new(mode, "exec", &["sh", "-c", "echo main > /tmp/m; sleep 20"]) else { continue };
        b.create(&[]).ok();
        b.oci(&["exec", &b.id, "true"]).code(1).stderr_has("not running");
        b.oci(&["start", &b.id]).ok();
        assert!(wait_until(|| b.rootfs.join("tmp/m").exists()));
        let out =
            b.oci(&["exec", &b.id, "sh", "-c", "echo $(cat /tmp/m) $(hostname) $(ls /proc | grep -c '^1$'); exit 3"]);
        out.code(3);
        assert_eq!(out.stdout().trim(), "main runc 1", "[{}] exec sees the container", mode.label());
        let process = json!({"args": ["sh", "-c", "echo $FOO $(pwd)"], "env": ["FOO=bar"], "cwd": "/tmp",
            "user": {"uid": 0, "gid": 0}});
        let file = b.dir.write("process.json", process.to_string());
        b.oci(&["exec", "--process", file.to_str().unwrap(), &b.id]).ok().stdout_is("bar /tmp\n");
        let pid_file = b.dir.join("exec.pid");
        b.oci(&["exec", "--detach", "--pid-file", pid_file.to_str().unwrap(), &b.id, "sleep", "1"]).ok();
        let pid: i64 = std::fs::read_to_string(&pid_file).unwrap().parse().unwrap();
        let ns = |p: i64| std::fs::read_link(format!("/proc/{p}/ns/pid")).ok();
        let first = b.state()["pid"].as_i64().unwrap();
        assert!(
            ns(pid).is_none() || ns(pid) == ns(first),
            "[{}] detached exec outside the pid namespace",
            mode.label()
        );
        b.oci(&["exec", &b.id, "nosuchcmd"]).code(1).stderr_has("nosuchcmd");
        b.oci(&["delete", "--force", &b.id]).ok();
    }
}
