//! Stored containers under stress (issue 5): a killed monitor, a CLI
//! killed at many points of `run -d` and `rm -f`, 50 parallel `run -d`
//! racing `ps`, `exec` and `rm -f`, OOM kills and cgroups left by a killed
//! monitor. After each: `ps` tells the truth, `rm -f` cleans everything.

mod common;

use common::store::{Store, assert_gone};
use common::*;
use serde_json::Value;
use std::time::Duration;

#[test]
fn killed_monitor_is_reported_and_cleaned() {
    for mode in modes() {
        let s = Store::new(mode);
        s.cove(&["run", "-d", "--name", "orphan", "--", "sh", "-c", &s.sleeper()]).ok();
        let v = s.until("orphan", Duration::from_secs(5), |v| v["State"]["Running"] == true);
        let monitor = v["Cove"]["MonitorPid"].as_i64().unwrap() as i32;
        let init = v["State"]["Pid"].as_i64().unwrap();
        // the monitor's attach socket, as the kernel lists it
        let id = v["Id"].as_str().unwrap().to_owned();
        let unix = std::fs::read_to_string("/proc/net/unix").unwrap();
        let socket = unix.split_whitespace().find(|w| w.ends_with(&format!("{id}.sock"))).map(std::path::PathBuf::from);
        let socket = socket.unwrap_or_else(|| panic!("no attach socket of {id} in /proc/net/unix"));
        assert!(socket.exists(), "{}", socket.display());
        let p = rustix::process::Pid::from_raw(monitor).unwrap();
        rustix::process::kill_process(p, rustix::process::Signal::KILL).unwrap();
        // the container dies with its monitor and is reported as exited
        s.assert_no_processes();
        assert_gone(init);
        s.cove(&["ps", "-a", "--format", "{{.Names}} {{.Status}}"]).ok().stdout_is("orphan Exited (unknown)\n");
        s.cove(&["inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}", "orphan"]).ok().stdout_is("exited -1\n");
        s.cove(&["rm", "orphan"]).ok();
        s.cove(&["ps", "-aq"]).ok().stdout_is("");
        assert!(!socket.exists(), "rm left the killed monitor's socket {}", socket.display());
    }
}

#[test]
fn parallel_runs_race_ps_exec_and_rm() {
    const N: usize = 50;
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
                    // exec joins a container a run may still be starting or rm removing
                    let target = format!("p{}", (rounds * 7 + 3) % N);
                    let ex = s.cove(&["exec", &target, "true"]);
                    let clear = ["No such container", "is not running"].iter().any(|m| ex.stderr().contains(m));
                    assert!(ex.code == Some(0) || (ex.code == Some(1) && clear), "exec: {}", ex.stderr());
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
        // each run succeeds, or lost to the racing rm -f with a clear error
        for r in runs {
            let out = r.join().unwrap();
            if out.code == Some(0) {
                assert_eq!(out.stdout().trim().len(), 64, "{}", out.desc);
            } else {
                out.code(1).stderr_has("No such container");
            }
        }
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        assert!(racer.join().unwrap() > 0);
        if let Some(out) = s.remove_all() {
            out.ok();
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
        // rm -f killed at points of its own
        for (i, id) in s.ids().iter().enumerate() {
            let c = cove(mode).env("COVE_ROOT", s.root.to_str().unwrap()).args(["rm", "-f", id]);
            let mut child =
                c.command().stdout(std::process::Stdio::null()).stderr(std::process::Stdio::null()).spawn().unwrap();
            std::thread::sleep(Duration::from_millis([0u64, 3, 8, 15][i % 4]));
            let _ = child.kill();
            let _ = child.wait();
        }
        // whatever got stored is listed with a real status and removable
        let ps = s.cove(&["ps", "-a", "--format", "{{.State}}"]);
        ps.ok();
        for state in ps.lines() {
            assert!(["created", "running", "exited"].contains(&state.as_str()), "{state:?} in {}", ps.stdout());
        }
        if let Some(out) = s.remove_all() {
            out.ok();
        }
        s.cove(&["ps", "-aq"]).ok().stdout_is("");
        s.assert_no_processes();
        let left: Vec<_> =
            std::fs::read_dir(s.root.join("containers")).unwrap().flatten().map(|e| e.file_name()).collect();
        assert!(left.iter().all(|n| n == ".lock" || n.to_string_lossy().starts_with(".tmp-")), "{left:?}");
    }
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
    // a killed monitor leaves its cgroup; rm removes it
    s.cove(&["run", "-d", "--name", "limited", "--memory", "16m", "--", "sh", "-c", &s.sleeper()]).ok();
    let v = s.until("limited", Duration::from_secs(5), |v| v["State"]["Running"] == true);
    let cgroups: Vec<String> =
        v["Cove"]["Cgroups"].as_array().unwrap().iter().map(|c| c.as_str().unwrap().to_owned()).collect();
    assert!(!cgroups.is_empty() && cgroups.iter().all(|c| std::path::Path::new(c).is_dir()), "{v:#}");
    let monitor = rustix::process::Pid::from_raw(v["Cove"]["MonitorPid"].as_i64().unwrap() as i32).unwrap();
    rustix::process::kill_process(monitor, rustix::process::Signal::KILL).unwrap();
    s.assert_no_processes();
    s.cove(&["rm", "limited"]).ok();
    for c in &cgroups {
        assert!(!std::path::Path::new(c).exists(), "cgroup {c} left after rm");
    }
}
