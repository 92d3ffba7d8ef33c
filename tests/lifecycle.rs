//! Stored containers (issue 5): `run -d`, `create`/`start`, `ps`, `logs`,
//! `stop`, `kill`, `rm`, `inspect`, `wait`, `rename`, restart policies and
//! `--rm`, Docker's errors, a killed monitor, a killed CLI, and parallel
//! runs racing `ps` and `rm -f`. Each test uses its own store (`COVE_ROOT`)
//! and removes whatever it started, also when it fails.

mod common;

use common::*;
use serde_json::Value;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// A private store for one mode; dropping it removes every container in it.
struct Store {
    mode: Mode,
    _dir: TestDir,
    root: PathBuf,
    marker: String,
}

impl Store {
    fn new(mode: Mode) -> Store {
        let dir = TestDir::new(mode, "lifecycle");
        let root = dir.join("store");
        Store { mode, _dir: dir, root, marker: unique("cove-lc-marker") }
    }

    fn cove(&self, args: &[&str]) -> Out {
        self.cove_with(args, Duration::from_secs(30))
    }

    fn cove_with(&self, args: &[&str], limit: Duration) -> Out {
        cove(self.mode).env("COVE_ROOT", self.root.to_str().unwrap()).args(args).timeout(limit).run()
    }

    /// A long-running command that carries this store's marker.
    fn sleeper(&self) -> String {
        format!("sleep 60; : {}", self.marker)
    }

    fn inspect(&self, name: &str) -> Value {
        let out = self.cove(&["inspect", name]);
        out.ok();
        let v: Value = serde_json::from_str(&out.stdout()).unwrap_or_else(|e| out.fail(&format!("JSON ({e})")));
        v[0].clone()
    }

    /// Polls `inspect` until `f` holds (at most `limit`).
    fn until(&self, name: &str, limit: Duration, f: impl Fn(&Value) -> bool) -> Value {
        let end = Instant::now() + limit;
        loop {
            let v = self.inspect(name);
            if f(&v) {
                return v;
            }
            assert!(Instant::now() < end, "[{}] {name}: condition not reached in {limit:?}: {v:#}", self.mode.label());
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn ids(&self) -> Vec<String> {
        let out = self.cove(&["ps", "-aq", "--no-trunc"]);
        out.ok();
        out.lines()
    }

    /// Nothing of this store runs any more.
    fn assert_no_processes(&self) {
        let end = Instant::now() + Duration::from_secs(5);
        while !processes_with(&self.marker).is_empty() {
            assert!(Instant::now() < end, "processes left: {:?}", processes_with(&self.marker));
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// Waits up to 5 s for host process `pid` to be gone (reaped).
fn assert_gone(pid: i64) {
    let end = Instant::now() + Duration::from_secs(5);
    while std::path::Path::new(&format!("/proc/{pid}")).exists() {
        assert!(Instant::now() < end, "process {pid} still exists 5 s later");
        std::thread::sleep(Duration::from_millis(20));
    }
}

impl Drop for Store {
    fn drop(&mut self) {
        let ids = self.ids();
        if !ids.is_empty() {
            let mut args = vec!["rm", "-f"];
            args.extend(ids.iter().map(String::as_str));
            let _ = self.cove(&args);
        }
        for (pid, _) in processes_with(&self.marker) {
            if let Some(p) = rustix::process::Pid::from_raw(pid) {
                let _ = rustix::process::kill_process(p, rustix::process::Signal::KILL);
            }
        }
    }
}

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
        for verb in ["rm", "stop", "kill", "inspect", "wait", "logs", "start"] {
            s.cove(&[verb, "nosuch"]).code(1).stderr_has("No such container: nosuch");
        }
        s.cove(&["run", "-d", "--", "no-such-command"]).code(127).stderr_has("executable file not found");
        s.cove(&["run", "-d", "--restart", "sometimes", "--", "true"]).code(125).stderr_has("--restart");
        s.cove(&["ps", "--filter", "colour=red"]).code(125);
        // a stopped container cannot be killed
        s.cove(&["create", "--name", "idle", "--", "true"]).ok();
        s.cove(&["ps", "-a", "--filter", "status=created", "--format", "{{.Names}}"]).ok().stdout_is("idle\n");
        s.cove(&["kill", "idle"]).code(1).stderr_has("not running");
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
fn killed_monitor_is_reported_and_cleaned() {
    for mode in modes() {
        let s = Store::new(mode);
        s.cove(&["run", "-d", "--name", "orphan", "--", "sh", "-c", &s.sleeper()]).ok();
        let v = s.until("orphan", Duration::from_secs(5), |v| v["State"]["Running"] == true);
        let monitor = v["Cove"]["MonitorPid"].as_i64().unwrap() as i32;
        let init = v["State"]["Pid"].as_i64().unwrap();
        let p = rustix::process::Pid::from_raw(monitor).unwrap();
        rustix::process::kill_process(p, rustix::process::Signal::KILL).unwrap();
        // the container dies with its monitor and is reported as exited
        s.assert_no_processes();
        assert_gone(init);
        s.cove(&["ps", "-a", "--format", "{{.Names}} {{.Status}}"]).ok().stdout_is("orphan Exited (unknown)\n");
        s.cove(&["inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}", "orphan"]).ok().stdout_is("exited -1\n");
        s.cove(&["rm", "orphan"]).ok();
        s.cove(&["ps", "-aq"]).ok().stdout_is("");
    }
}

#[test]
fn parallel_runs_race_ps_and_rm() {
    const N: usize = 20;
    for mode in modes() {
        let s = std::sync::Arc::new(Store::new(mode));
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        // ps and rm -f race the runs; every answer must be clean
        let racer = {
            let (s, stop) = (s.clone(), stop.clone());
            std::thread::spawn(move || {
                let mut rounds = 0;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let ps = s.cove(&["ps", "-a", "--format", "json"]);
                    ps.ok();
                    for line in ps.lines() {
                        serde_json::from_str::<Value>(&line).unwrap_or_else(|e| ps.fail(&format!("JSON lines ({e})")));
                    }
                    let victim = format!("p{}", rounds % N);
                    let rm = s.cove(&["rm", "-f", &victim]);
                    assert!(rm.code == Some(0) || rm.stderr().contains("No such container"), "{}", rm.stderr());
                    rounds += 1;
                }
                rounds
            })
        };
        let runs: Vec<_> = (0..N)
            .map(|i| {
                let s = s.clone();
                std::thread::spawn(move || {
                    s.cove(&["run", "-d", "--name", &format!("p{i}"), "--", "sh", "-c", &s.sleeper()])
                })
            })
            .collect();
        for r in runs {
            let out = r.join().unwrap();
            out.ok();
            assert_eq!(out.stdout().trim().len(), 64, "{}", out.desc);
        }
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        assert!(racer.join().unwrap() > 0);
        let ids = s.ids();
        let mut args = vec!["rm", "-f"];
        args.extend(ids.iter().map(String::as_str));
        if !ids.is_empty() {
            s.cove(&args).ok();
        }
        s.cove(&["ps", "-aq"]).ok().stdout_is("");
        s.assert_no_processes();
    }
}

#[test]
fn killed_cli_leaves_a_truthful_store() {
    for mode in modes() {
        let s = Store::new(mode);
        for delay_ms in [0u64, 2, 5, 10, 20, 40, 80] {
            let c = cove(mode).env("COVE_ROOT", s.root.to_str().unwrap()).args([
                "run",
                "-d",
                "--",
                "sh",
                "-c",
                &s.sleeper(),
            ]);
            let mut child =
                c.command().stdout(std::process::Stdio::null()).stderr(std::process::Stdio::null()).spawn().unwrap();
            std::thread::sleep(Duration::from_millis(delay_ms));
            let _ = child.kill();
            let _ = child.wait();
        }
        // whatever got stored is listed with a real status and removable
        let ps = s.cove(&["ps", "-a", "--format", "{{.State}}"]);
        ps.ok();
        for state in ps.lines() {
            assert!(["created", "running", "exited"].contains(&state.as_str()), "{state:?} in {}", ps.stdout());
        }
        let ids = s.ids();
        if !ids.is_empty() {
            let mut args = vec!["rm", "-f"];
            args.extend(ids.iter().map(String::as_str));
            s.cove(&args).ok();
        }
        s.cove(&["ps", "-aq"]).ok().stdout_is("");
        s.assert_no_processes();
        let left: Vec<_> =
            std::fs::read_dir(s.root.join("containers")).unwrap().flatten().map(|e| e.file_name()).collect();
        assert!(left.iter().all(|n| n == ".lock" || n.to_string_lossy().starts_with(".tmp-")), "{left:?}");
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
fn oom_kill_is_recorded() {
    if !modes().contains(&Mode::Root) {
        return;
    }
    let s = Store::new(Mode::Root);
    // more than 8 MiB in one shell variable
    let hog = "x=a; while :; do x=$x$x; done";
    s.cove(&["run", "-d", "--name", "hog", "--memory", "8m", "--", "sh", "-c", hog]).ok();
    let v = s.until("hog", Duration::from_secs(20), |v| v["State"]["Status"] == "exited");
    assert_eq!(v["State"]["ExitCode"], 137, "{v:#}");
    assert_eq!(v["State"]["OOMKilled"], true, "{v:#}");
    assert_eq!(v["HostConfig"]["Memory"], 8 * 1024 * 1024);
}
