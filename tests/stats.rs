//! Issue 6, stats: the Linux reader (`cove_backend_linux::stats::sample`)
//! against real running containers: from the container's cgroups when it
//! has limits (a busy `--cpus 0.5` container reads about 50 % CPU and its
//! `--memory` as the limit), and from its processes in /proc when it has
//! none (rootless on this host); and the `cove stats` verb over stored
//! containers (`run -d`), in Docker's columns and JSON fields.

mod common;

use common::*;
use cove_core::stats::{cpu_percent, memory_percent};
use std::path::PathBuf;
use std::time::Duration;

/// The container's first process: in its cgroup, or cove's child.
fn first_process(cove_pid: i32) -> Option<i32> {
    let from_cgroup = cgroup_dirs(cove_pid)
        .iter()
        .find_map(|d| std::fs::read_to_string(d.join("cgroup.procs")).ok()?.lines().next()?.trim().parse().ok());
    from_cgroup.or_else(|| {
        let children = std::fs::read_to_string(format!("/proc/{cove_pid}/task/{cove_pid}/children")).ok()?;
        children.split_whitespace().next()?.parse().ok()
    })
}

/// Samples a busy container twice, a second apart: (CPU %, last sample).
fn busy(mode: Mode, flags: &[&str]) -> (f64, cove_core::stats::Sample, Out) {
    let script = "echo up; timeout 3 sh -c 'while :; do :; done'; true";
    let running = cove(mode).arg("run").args(flags).args(["--", "sh", "-c", script]).spawn();
    running.expect_stdout("up");
    let pid = first_process(running.pid()).expect("the container's first process");
    std::thread::sleep(Duration::from_millis(300));
    let first = cove_backend_linux::stats::sample(pid).expect("first sample");
    std::thread::sleep(Duration::from_millis(1000));
    let second = cove_backend_linux::stats::sample(pid).expect("second sample");
    let out = running.wait();
    (cpu_percent(&first, &second), second, out)
}

#[test]
fn busy_container_with_limits_reads_from_its_cgroups() {
    for mode in modes().into_iter().filter(|m| usable(*m, "cpu") && usable(*m, "memory")) {
        let (cpu, s, out) = busy(mode, &["--cpus", "0.5", "--memory", "64m"]);
        out.ok();
        // about 50 %: at most the quota (plus jitter), and clearly busy
        // even when the shared CI host leaves it little
        if !(10.0..=60.0).contains(&cpu) {
            out.fail(&format!("CPU about 50 % under --cpus 0.5 (got {cpu:.1} %, {s:?})"));
        }
        let u = s.usage;
        if u.memory_limit != 64 << 20 || u.memory == 0 || memory_percent(&u) > 100.0 {
            out.fail(&format!("memory > 0 within a 64 MiB limit (got {u:?})"));
        }
        if u.pids < 2 {
            out.fail(&format!("at least the shell and its busy child (got {} pids)", u.pids));
        }
    }
}

#[test]
fn busy_container_without_limits_reads_from_proc() {
    for mode in modes() {
        let (cpu, s, out) = busy(mode, &[]);
        out.ok();
        let u = s.usage;
        if cpu < 10.0 || u.memory == 0 || u.pids < 2 || u.memory_limit == 0 {
            out.fail(&format!(
                "a busy container's CPU > 10 %, memory, host memory as limit, pids (got {cpu:.1} %, {u:?})"
            ));
        }
        if u.net_rx != 0 || u.net_tx != 0 {
            out.fail(&format!("no traffic with --network none (loopback not counted; got {u:?})"));
        }
    }
}

/// A private container store; dropping it removes its containers.
struct Store {
    mode: Mode,
    _dir: TestDir,
    root: PathBuf,
}

impl Store {
    fn new(mode: Mode) -> Store {
        let dir = TestDir::new(mode, "stats");
        let root = dir.join("store");
        Store { mode, _dir: dir, root }
    }

    fn cove(&self, args: &[&str]) -> Out {
        cove(self.mode).env("COVE_ROOT", self.root.to_str().unwrap()).args(args).timeout(Duration::from_secs(30)).run()
    }
}

impl Drop for Store {
    fn drop(&mut self) {
        let ids = self.cove(&["ps", "-aq"]).lines();
        if !ids.is_empty() {
            let mut args = vec!["rm", "-f"];
            args.extend(ids.iter().map(String::as_str));
            self.cove(&args);
        }
    }
}

#[test]
fn stats_verb_shows_busy_and_stopped_containers() {
    for mode in modes() {
        let s = Store::new(mode);
        let limited = usable(mode, "cpu") && usable(mode, "memory");
        let mut flags = vec!["run", "-d", "--name", "busy"];
        if limited {
            flags.extend(["--cpus", "0.5", "--memory", "64m"]);
        }
        flags.extend(["--", "sh", "-c", "while :; do :; done"]);
        s.cove(&flags).ok();
        s.cove(&["run", "-d", "--name", "done", "--", "true"]).ok();
        s.cove(&["wait", "done"]).ok();
        let out = s.cove(&["stats", "--no-stream", "--format", "json", "busy"]);
        out.ok();
        let v: serde_json::Value =
            serde_json::from_str(out.stdout().trim()).unwrap_or_else(|e| out.fail(&format!("one JSON line ({e})")));
        let cpu: f64 = v["CPUPerc"].as_str().and_then(|c| c.trim_end_matches('%').parse().ok()).unwrap_or(-1.0);
        let mem = v["MemUsage"].as_str().unwrap_or_default();
        if v["Name"] != "busy" || !(5.0..=210.0).contains(&cpu) || v["PIDs"] == "0" || mem.starts_with("0B") {
            out.fail("busy: CPU % > 5, memory and pids non-zero");
        }
        if limited && (!mem.ends_with("/ 64MiB") || cpu > 60.0) {
            out.fail("busy: limited to 64MiB and half a CPU");
        }
        // default: running ones only; -a adds the stopped one, with zeros
        let table = s.cove(&["stats", "--no-stream"]);
        table.ok();
        let lines = table.lines();
        let header = "CONTAINER ID   NAME   CPU %";
        if !lines[0].starts_with(header) || !lines[0].ends_with("NET I/O   BLOCK I/O   PIDS") || lines.len() != 2 {
            table.fail("Docker's header and one running container");
        }
        let all = s.cove(&["stats", "--no-stream", "-a"]);
        let stopped = all.lines().into_iter().find(|l| l.contains(" done ")).unwrap_or_default();
        if !stopped.contains("0.00%") || !stopped.trim_end().ends_with(" 0") {
            all.fail("the stopped container listed with zeros");
        }
        s.cove(&["stats", "--no-stream", "nosuchcontainer"]).code(1);
    }
}

/// `inspect` shows the limit flags under Docker's HostConfig keys.
#[test]
fn inspect_shows_the_limit_flags() {
    for mode in modes() {
        let s = Store::new(mode);
        let flags = ["--memory", "64m", "--memory-swap", "-1", "--memory-reservation", "32m", "--cpu-shares", "512"];
        let more = ["--cpuset-cpus", "0", "--ulimit", "nofile=100:200", "--oom-score-adj", "10"];
        let mut args = vec!["create", "--name", "lim"];
        args.extend(flags);
        args.extend(more);
        args.extend(["--", "true"]);
        s.cove(&args).ok();
        let out = s.cove(&["inspect", "lim"]);
        out.ok();
        let v: serde_json::Value =
            serde_json::from_str(&out.stdout()).unwrap_or_else(|e| out.fail(&format!("JSON ({e})")));
        let h = &v[0]["HostConfig"];
        let want = serde_json::json!({
            "Memory": 64 << 20, "MemorySwap": -1, "MemoryReservation": 32 << 20, "CpuShares": 512,
            "CpusetCpus": "0", "OomScoreAdj": 10, "Ulimits": [{"Name": "nofile", "Soft": 100, "Hard": 200}],
        });
        for (k, w) in want.as_object().unwrap() {
            if &h[k] != w {
                out.fail(&format!("HostConfig.{k} = {w} (got {})", h[k]));
            }
        }
    }
}
