//! Stored containers (issue 5): `run -d`, `create`/`start`, `ps`, `logs`,
//! `stop`, `kill`, `rm`, `inspect`, `wait`, `attach`, `rename`, `top`,
//! restart policies and `--rm`, Docker's errors and exit codes. Each test
//! uses its own store (`COVE_ROOT`) and removes whatever it started, also
//! when it fails. Crash safety is in lifecycle_crash.rs.

mod common;

use common::store::{Store, assert_gone};
use common::*;
use std::time::{Duration, Instant};

#[test]
fn detached_container_from_run_to_rm() {
    for mode in modes() {
        let s = Store::new(mode);
        let script = format!("echo out; echo err >&2; {}", s.sleeper());
        let out = s.cove(&["run", "-d", "--name", "web", "--", "sh", "-c", &script]);
        out.ok();
        let id = out.stdout().trim().to_owned();
        assert!(id.len() == 64 && id.bytes().all(|b| b.is_ascii_hexdigit()), "{}: id {id:?}", out.desc);
        let ps = s.cove(&["ps"]);
        ps.ok().stdout_has("CONTAINER ID").stdout_has(&id[..12]).stdout_has("web").stdout_has("Up ");
        s.cove(&["ps", "-q"]).ok().stdout_is(&format!("{}\n", &id[..12]));
        let v = s.until("web", Duration::from_secs(5), |v| v["State"]["Running"] == true);
        let pid = v["State"]["Pid"].as_i64().unwrap();
        assert!(pid > 0 && std::path::Path::new(&format!("/proc/{pid}")).exists(), "{v:#}");
        assert_eq!(v["Name"], "/web");
        assert_eq!(v["Id"], id.as_str());
        // logs: each stream to its own
        let end = Instant::now() + Duration::from_secs(5);
        let logs = loop {
            let l = s.cove(&["logs", "web"]);
            if l.stdout() == "out\n" || Instant::now() > end {
                break l;
            }
        };
        logs.ok().stdout_is("out\n").stderr_is("err\n");
        s.cove(&["logs", "-t", &id[..8]]).ok().stdout_has("Z out\n");
        s.cove(&["inspect", "-f", "{{.State.Status}} {{.HostConfig.RestartPolicy.Name}}", "web"])
            .ok()
            .stdout_is("running no\n");
        // rm of a running container needs -f
        s.cove(&["rm", "web"]).code(1).stderr_has("is running");
        // sh as pid 1 ignores SIGTERM: stop ends with SIGKILL after -t
        let started = Instant::now();
        s.cove(&["stop", "-t", "1", "web"]).ok().stdout_is("web\n");
        assert!(started.elapsed() < Duration::from_secs(8), "stop took {:?}", started.elapsed());
        s.cove(&["wait", "web"]).ok().stdout_is("137\n");
        s.cove(&["ps", "-a", "--format", "{{.Names}} {{.State}}"]).ok().stdout_is("web exited\n");
        s.cove(&["ps", "-q"]).ok().stdout_is("");
        assert_gone(pid);
        s.cove(&["rm", "web"]).ok().stdout_is("web\n");
        s.cove(&["ps", "-a", "-q"]).ok().stdout_is("");
        s.assert_no_processes();
        let left: Vec<_> =
            std::fs::read_dir(s.root.join("containers")).unwrap().flatten().map(|e| e.file_name()).collect();
        assert_eq!(left, vec![std::ffi::OsString::from(".lock")], "store not empty after rm");
    }
}

#[test]
fn errors_match_docker() {
    for mode in modes() {
        let s = Store::new(mode);
        s.cove(&["run", "-d", "--name", "dup", "--", "sh", "-c", &s.sleeper()]).ok();
        s.cove(&["run", "-d", "--name", "dup", "--", "true"]).code(125).stderr_has("already in use");
        s.cove(&["create", "--name", "bad/name", "--", "true"]).code(125).stderr_has("invalid container name");
        for verb in ["rm", "stop", "kill", "wait", "logs", "start"] {
            s.cove(&[verb, "nosuch"]).code(1).stderr_has("No such container: nosuch");
        }
        // inspect looks at images too (Docker's words); container inspect does not.
        s.cove(&["inspect", "nosuch"]).code(1).stderr_has("No such object: nosuch");
        s.cove(&["container", "inspect", "nosuch"]).code(1).stderr_has("No such container: nosuch");
        s.cove(&["run", "-d", "--", "no-such-command"]).code(127).stderr_has("executable file not found");
        s.cove(&["run", "-d", "--restart", "sometimes", "--", "true"]).code(125).stderr_has("--restart");
        s.cove(&["ps", "--filter", "colour=red"]).code(125);
        s.cove(&["run", "--restart", "always", "--", "true"]).code(125).stderr_has("needs -d");
        // a stopped container cannot be killed
        s.cove(&["create", "--name", "idle", "--", "true"]).ok();
        s.cove(&["ps", "-a", "--filter", "status=created", "--format", "{{.Names}}"]).ok().stdout_is("idle\n");
        s.cove(&["kill", "idle"]).code(1).stderr_has("not running");
        // two concurrent starts run it once
        let once = format!("sleep 60; : once-{}", s.marker);
        s.cove(&["create", "--name", "once", "--", "sh", "-c", &once]).ok();
        let starts: Vec<_> = (0..2)
            .map(|_| {
                let c = cove(mode).env("COVE_ROOT", s.root.to_str().unwrap()).args(["start", "once"]);
                std::thread::spawn(move || c.run())
            })
            .collect();
        for st in starts {
            st.join().unwrap().ok();
        }
        std::thread::sleep(Duration::from_millis(300));
        let shells = processes_with(&format!("once-{}", s.marker));
        assert_eq!(shells.len(), 1, "{shells:?}");
        s.cove(&["rm", "-f", "once"]).ok();
        s.cove(&["rm", "-f", "dup", "idle"]).ok().stdout_is("dup\nidle\n");
        s.assert_no_processes();
    }
}

#[test]
fn exit_codes_restart_policies_and_auto_remove() {
    for mode in modes() {
        let s = Store::new(mode);
        s.cove(&["run", "-d", "--name", "three", "--", "sh", "-c", "exit 3"]).ok();
        s.cove(&["wait", "three"]).ok().stdout_is("3\n");
        s.cove(&["inspect", "-f", "{{.State.ExitCode}} {{.State.Running}}", "three"]).ok().stdout_is("3 false\n");
        // create + start -a: output and exit code
        s.cove(&["create", "--name", "later", "--", "sh", "-c", "echo started; exit 4"]).ok();
        s.cove(&["start", "-a", "later"]).code(4).stdout_is("started\n");
        // on-failure:2 → started three times in all
        s.cove(&["run", "-d", "--name", "flaky", "--restart", "on-failure:2", "--", "sh", "-c", "echo run; exit 1"])
            .ok();
        let v =
            s.until("flaky", Duration::from_secs(15), |v| v["State"]["Status"] == "exited" && v["RestartCount"] == 2);
        assert_eq!(v["State"]["ExitCode"], 1);
        s.cove(&["logs", "flaky"]).ok().stdout_is("run\nrun\nrun\n");
        // always, then stop: stays stopped
        s.cove(&["run", "-d", "--name", "always", "--restart", "always", "--", "sh", "-c", "sleep 0.2"]).ok();
        s.until("always", Duration::from_secs(15), |v| v["RestartCount"].as_u64() >= Some(1));
        s.cove(&["stop", "-t", "1", "always"]).ok();
        let v = s.until("always", Duration::from_secs(5), |v| v["State"]["Status"] == "exited");
        std::thread::sleep(Duration::from_millis(600));
        assert_eq!(s.inspect("always")["RestartCount"], v["RestartCount"], "restarted after stop");
        // --rm: gone once it ends
        let out = s.cove(&["run", "-d", "--rm", "--name", "gone", "--", "true"]);
        out.ok();
        let end = Instant::now() + Duration::from_secs(10);
        while s.cove(&["inspect", "gone"]).code.unwrap_or(0) == 0 {
            assert!(Instant::now() < end, "--rm container still there");
            std::thread::sleep(Duration::from_millis(50));
        }
        // kill -s: delivered to the command
        let trap = format!("trap 'exit 7' TERM; while :; do sleep 0.1; done; : {}", s.marker);
        s.cove(&["run", "-d", "--name", "trap", "--", "sh", "-c", &trap]).ok();
        std::thread::sleep(Duration::from_millis(300));
        s.cove(&["kill", "-s", "TERM", "trap"]).ok().stdout_is("trap\n");
        s.cove_with(&["wait", "trap"], Duration::from_secs(10)).ok().stdout_is("7\n");
        // --stop-signal and --stop-timeout are what stop uses
        let usr1 = format!("trap 'exit 9' USR1; while :; do sleep 0.1; done; : {}", s.marker);
        s.cove(&[
            "run",
            "-d",
            "--name",
            "usr1",
            "--stop-signal",
            "USR1",
            "--stop-timeout",
            "5",
            "--",
            "sh",
            "-c",
            &usr1,
        ])
        .ok();
        s.cove(&["inspect", "-f", "{{.Config.StopSignal}} {{.Config.StopTimeout}}", "usr1"]).ok().stdout_is("10 5\n");
        std::thread::sleep(Duration::from_millis(300));
        s.cove(&["stop", "usr1"]).ok();
        s.cove(&["wait", "usr1"]).ok().stdout_is("9\n");
        // rename
        s.cove(&["rename", "trap", "caught"]).ok();
        s.cove(&["rename", "caught", "three"]).code(1).stderr_has("already in use");
        s.cove(&["inspect", "-f", "{{.Name}}", "caught"]).ok().stdout_is("/caught\n");
        s.cove(&["container", "prune", "-f"]).ok();
        s.cove(&["ps", "-aq"]).ok().stdout_is("");
        s.assert_no_processes();
    }
}

#[test]
fn logs_attach_top_and_restart() {
    for mode in modes() {
        let s = Store::new(mode);
        s.cove(&["run", "-d", "--name", "counter", "--", "sh", "-c", "for i in 1 2 3 4 5; do echo line$i; done"]).ok();
        s.cove_with(&["wait", "counter"], Duration::from_secs(10)).ok().stdout_is("0\n");
        s.cove(&["logs", "--tail", "2", "counter"]).ok().stdout_is("line4\nline5\n");
        s.cove(&["logs", "-n", "0", "counter"]).ok().stdout_is("");
        s.cove(&["logs", "--since", "1h", "counter"]).ok().stdout_has("line1\n");
        s.cove(&["logs", "--since", "2099-01-01T00:00:00Z", "counter"]).ok().stdout_is("");
        s.cove(&["logs", "--tail", "x", "counter"]).code(125).stderr_has("--tail");
        // start -a shows only the new run's output
        s.cove(&["start", "-a", "counter"]).ok().stdout_is("line1\nline2\nline3\nline4\nline5\n");
        s.cove(&["attach", "counter"]).code(1).stderr_has("not running");
        // attach follows a running container to its end and takes its code
        let script = format!("sleep 1; echo late; exit 6; : {}", s.marker);
        s.cove(&["run", "-d", "--name", "slow", "--", "sh", "-c", &script]).ok();
        s.cove_with(&["attach", "slow"], Duration::from_secs(10)).code(6).stdout_is("late\n");
        // top lists the container's processes
        s.cove(&["run", "-d", "--name", "busy", "--", "sh", "-c", &s.sleeper()]).ok();
        s.until("busy", Duration::from_secs(5), |v| v["State"]["Running"] == true);
        s.cove(&["top", "busy"]).ok().stdout_has("PID").stdout_has("sleep 60");
        // restart: a new init process, still running
        let before = s.inspect("busy")["State"]["Pid"].clone();
        s.cove(&["restart", "-t", "0", "busy"]).ok().stdout_is("busy\n");
        let after = s.until("busy", Duration::from_secs(5), |v| v["State"]["Running"] == true);
        assert_ne!(before, after["State"]["Pid"]);
        // an id prefix shared by two containers is refused
        let ids = s.ids();
        let prefix = common_prefix(&ids);
        if !prefix.is_empty() {
            s.cove(&["inspect", &prefix]).code(1).stderr_has("multiple containers");
        }
        s.cove(&["rm", "-f", "busy"]).ok();
        s.assert_no_processes();
    }
}

/// The longest prefix two of `ids` share (empty when none do).
fn common_prefix(ids: &[String]) -> String {
    let mut best = String::new();
    for (i, a) in ids.iter().enumerate() {
        for b in &ids[i + 1..] {
            let n = a.bytes().zip(b.bytes()).take_while(|(x, y)| x == y).count();
            if n > best.len() {
                best = a[..n].to_owned();
            }
        }
    }
    best
}

#[test]
fn log_rotation_and_drivers() {
    for mode in modes() {
        let s = Store::new(mode);
        let script = "i=0; while [ $i -lt 100 ]; do echo line$i; i=$((i+1)); done";
        let rot = ["--log-opt", "max-size=1k", "--log-opt", "max-file=3"];
        s.cove(&[&["run", "-d", "--name", "rot"][..], &rot, &["--", "sh", "-c", script]].concat()).ok();
        s.cove_with(&["wait", "rot"], Duration::from_secs(10)).ok().stdout_is("0\n");
        let dir = std::fs::read_dir(s.root.join("containers")).unwrap().flatten().find(|e| e.path().is_dir()).unwrap();
        let files: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().contains("-json.log"))
            .collect();
        assert_eq!(files.len(), 3, "max-file=3: {files:?}");
        assert!(files.iter().all(|f| f.metadata().unwrap().len() <= 1024), "max-size=1k: {files:?}");
        // logs reads the rotated files oldest first: a consecutive run ending at line99
        let out = s.cove(&["logs", "rot"]);
        let lines = out.ok().lines();
        let first: usize = lines[0].trim_start_matches("line").parse().unwrap();
        assert!(first > 0, "old lines were dropped by rotation");
        let want: Vec<String> = (first..100).map(|i| format!("line{i}")).collect();
        assert_eq!(lines, want);
        s.cove(&["logs", "--tail", "2", "rot"]).ok().stdout_is("line98\nline99\n");
        // -f goes on across rotations
        let slow = "sleep 1; i=0; while [ $i -lt 80 ]; do echo line$i; i=$((i+1)); sleep 0.02; done";
        s.cove(&[&["run", "-d", "--name", "slowrot"][..], &rot, &["--", "sh", "-c", slow]].concat()).ok();
        let out = s.cove_with(&["logs", "-f", "slowrot"], Duration::from_secs(20));
        let want: Vec<String> = (0..80).map(|i| format!("line{i}")).collect();
        assert_eq!(out.ok().lines(), want, "logs -f across rotations");
        // --log-driver none: nothing kept, logs refuses as Docker's does
        s.cove(&["run", "-d", "--name", "quiet", "--log-driver", "none", "--", "echo", "hi"]).ok();
        s.cove_with(&["wait", "quiet"], Duration::from_secs(10)).ok();
        s.cove(&["logs", "quiet"]).code(1).stderr_has("does not support reading");
        s.cove(&["run", "-d", "--log-driver", "syslog", "--", "true"]).code(125).stderr_has("not supported");
        s.cove(&["create", "--log-opt", "max-file=2", "--", "true"]).code(125).stderr_has("needs max-size");
        s.cove(&["create", "--log-opt", "max-size=lots", "--", "true"]).code(125).stderr_has("max-size");
    }
}
