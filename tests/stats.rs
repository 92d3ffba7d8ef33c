//! Issue 6, stats: the Linux reader (`cove_backend_linux::stats::sample`)
//! against real running containers: from the container's cgroups when it
//! has limits (a busy `--cpus 0.5` container reads about 50 % CPU and its
//! `--memory` as the limit), and from its processes in /proc when it has
//! none (rootless on this host).

mod common;

use common::*;
use cove_core::stats::{cpu_percent, memory_percent};
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
