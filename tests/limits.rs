//! Issue 6, first step: `--memory`, `--cpus` and `--pids-limit` are real or
//! refused. In each mode the expectation follows `cove info`'s `cgroups`
//! feature (which runs the same detection as `cove run`): a controller it
//! lists as usable must limit for real; otherwise the flag must fail with
//! 125 before anything starts, naming cgroup delegation and `cove info`.
//! On this dev host (hybrid cgroups) root uses v1 and covetest is refused.

mod common;

use common::*;
use std::time::{Duration, Instant};

/// The refusal every limit flag gets where its controller is not usable.
fn expect_refused(out: &Out, flag: &str, mode: Mode) {
    out.cove_error(flag).cove_error("cove info");
    if mode == Mode::Rootless {
        out.cove_error("cgroup delegation");
    }
}

/// Runs `flags -- CMD…` and checks that no cgroup of that cove is left.
fn run_clean(mode: Mode, flags: &[&str], cmd: &[&str]) -> Out {
    let running = cove(mode).arg("run").args(flags).arg("--").args(cmd).spawn();
    let pid = running.pid();
    let out = running.wait();
    let left = cgroup_dirs(pid);
    if !left.is_empty() {
        out.fail(&format!("no cgroup left after the run (left: {left:?})"));
    }
    out
}

#[test]
fn memory_limit_oom_kills_with_137() {
    for mode in modes() {
        // tail buffers /dev/zero looking for a newline: it grows until killed
        let out = run_clean(mode, &["--memory", "32m"], &["tail", "/dev/zero"]);
        if usable(mode, "memory") {
            out.code(137).stderr_has("OOM-killed");
        } else {
            expect_refused(&out, "--memory", mode);
        }
    }
}

#[test]
fn memory_limit_leaves_room_below_it() {
    for mode in modes().into_iter().filter(|m| usable(*m, "memory")) {
        run_clean(mode, &["--memory", "64m"], &["sh", "-c", "head -c 8m /dev/zero | tail -c 1 | wc -c"]).ok();
    }
}

#[test]
fn pids_limit_stops_forks() {
    for mode in modes() {
        let script = "for i in $(seq 50); do sleep 2 & done; wait";
        let out = run_clean(mode, &["--pids-limit", "10"], &["sh", "-c", script]);
        if usable(mode, "pids") {
            out.failed();
            if !out.stderr().to_lowercase().contains("fork") {
                out.fail("the shell reporting that it cannot fork");
            }
        } else {
            expect_refused(&out, "--pids-limit", mode);
        }
    }
}

#[test]
fn unlimited_pids_as_docker() {
    for mode in modes() {
        for n in ["-1", "0"] {
            run_clean(mode, &["--pids-limit", n], &["true"]).ok();
        }
    }
}

#[test]
fn cpus_become_a_cfs_quota() {
    for mode in modes() {
        if !usable(mode, "cpu") {
            expect_refused(&run_clean(mode, &["--cpus", "0.5"], &["true"]), "--cpus", mode);
            continue;
        }
        let running = cove(mode).args(["run", "--cpus", "0.5", "--", "sh", "-c", "echo up; sleep 2"]).spawn();
        running.expect_stdout("up");
        let quota: Vec<String> = cgroup_dirs(running.pid())
            .iter()
            .filter_map(|d| {
                std::fs::read_to_string(d.join("cpu.cfs_quota_us"))
                    .or_else(|_| std::fs::read_to_string(d.join("cpu.max")))
                    .ok()
            })
            .collect();
        let pid = running.pid();
        let out = running.wait();
        out.ok();
        if quota.len() != 1 || !quota[0].trim().starts_with("50000") {
            out.fail(&format!("one cgroup with a quota of 50000 while it ran (got {quota:?})"));
        }
        if !cgroup_dirs(pid).is_empty() {
            out.fail("no cgroup left after the run");
        }
    }
}

#[test]
fn cgroup_namespace_is_rooted_at_the_container() {
    for mode in modes().into_iter().filter(|m| usable(*m, "memory")) {
        let out = run_clean(mode, &["--memory", "64m"], &["sh", "-c", "grep -E '(:memory:|^0::)' /proc/self/cgroup"]);
        out.ok();
        if out.lines().iter().any(|l| !l.ends_with(":/")) {
            out.fail("the container's own cgroups shown as / (a cgroup namespace made after joining them)");
        }
    }
}

#[test]
fn bad_values_are_refused_before_spawn() {
    for mode in modes() {
        let bad: [(&[&str], &str); 5] = [
            (&["--memory", "1m"], "minimum is 6m"),
            (&["--memory", "lots"], "--memory"),
            (&["--cpus", "0"], "--cpus"),
            (&["--cpus", "0.001"], "minimum is 0.01"),
            (&["--pids-limit", "-5"], "--pids-limit"),
        ];
        for (flags, needle) in bad {
            cove(mode).arg("run").args(flags).args(["--", "true"]).run().cove_error(needle);
        }
        if usable(mode, "cpu") {
            run_clean(mode, &["--cpus", "100000"], &["true"]).cove_error("CPUs are available");
        }
    }
}

/// A SIGKILLed cove cannot remove its cgroup; the next run does.
#[test]
fn stale_cgroup_of_a_killed_cove_is_swept() {
    for mode in modes().into_iter().filter(|m| usable(*m, "memory")) {
        let running = cove(mode).args(["run", "--memory", "64m", "--", "sh", "-c", "echo up; sleep 30"]).spawn();
        running.expect_stdout("up");
        let pid = running.pid();
        let dirs = cgroup_dirs(pid);
        running.signal(rustix::process::Signal::KILL);
        let _ = running.wait();
        // the kernel kills the container (pdeathsig); wait until it is gone
        let deadline = Instant::now() + Duration::from_secs(5);
        while dirs.iter().any(|d| std::fs::read_to_string(d.join("cgroup.procs")).is_ok_and(|p| !p.trim().is_empty())) {
            assert!(Instant::now() < deadline, "container still in {dirs:?} 5 s after cove was killed");
            std::thread::sleep(Duration::from_millis(20));
        }
        run_clean(mode, &["--memory", "64m"], &["true"]).ok();
        let left: Vec<_> = dirs.iter().filter(|d| d.exists()).collect();
        assert!(left.is_empty(), "stale cgroups of the killed cove {pid} not removed by the next run: {left:?}");
    }
}
