//! Issue 6, second step: the limit flags beyond --memory/--cpus/--pids-limit,
//! each seen where it takes effect (inside: /proc/self/limits,
//! oom_score_adj; outside: the container's cgroup files), bad values
//! refused with 125 before anything runs, and rootless callers refused
//! where they cannot be enforced (on this hybrid host: every cgroup flag,
//! raising a hard ulimit, lowering the OOM score).

mod common;

use common::*;
use std::time::Duration;

/// Runs `flags -- sh -c SCRIPT`.
fn run_sh(mode: Mode, flags: &[&str], script: &str) -> Out {
    cove(mode).arg("run").args(flags).args(["--", "sh", "-c", script]).run()
}

/// Whether cove holds CAP_SYS_RESOURCE in `mode` (root normally does; the
/// dev host's root does not), as `cove info`'s `limits` feature says.
fn sys_resource(mode: Mode) -> bool {
    let out = cove(mode).args(["info", "--format", "json"]).run();
    let v: serde_json::Value = serde_json::from_slice(&out.ok().stdout).expect("cove info JSON");
    let features = v["features"].as_array().expect("features");
    let limits = features.iter().find(|f| f["key"] == "limits").expect("a limits feature");
    limits["detail"].as_str().is_some_and(|d| d.contains("--ulimit: yes"))
}

/// A refusal before spawn: 125 naming `needle`, and the command never ran.
fn refused(out: &Out, needle: &str) {
    out.cove_error(needle);
    if out.stdout().contains("RAN") {
        out.fail("nothing run before the refusal");
    }
}

#[test]
fn ulimits_lowered_are_seen_inside_in_both_modes() {
    for mode in modes() {
        let flags = [
            "--ulimit",
            "nofile=64:128",
            "--ulimit",
            "core=0",
            "--ulimit",
            "nproc=500:600",
            "--ulimit",
            "nofile=100:200",
        ];
        let out = run_sh(mode, &flags, "grep -E '^Max (open files|core file size|processes)' /proc/self/limits");
        out.ok();
        let text = out.stdout();
        let row = |name: &str| {
            text.lines().find(|l| l.starts_with(name)).map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        };
        // the last --ulimit nofile wins
        if row("Max open files").as_deref() != Some("Max open files 100 200 files") {
            out.fail("open files 100/200 (the last --ulimit nofile)");
        }
        if row("Max core file size").as_deref() != Some("Max core file size 0 0 bytes") {
            out.fail("core file size 0/0");
        }
        if row("Max processes").as_deref() != Some("Max processes 500 600 processes") {
            out.fail("processes 500/600");
        }
    }
}

#[test]
fn raising_a_hard_ulimit_needs_root() {
    for mode in modes() {
        let out = run_sh(mode, &["--ulimit", "nofile=1024:900000"], "echo RAN; ulimit -Hn");
        if sys_resource(mode) {
            out.ok().stdout_has("900000");
        } else {
            refused(&out, "--ulimit cannot be enforced: nofile: raising the hard limit");
        }
        // above the kernel's fs.nr_open: nobody
        refused(&run_sh(mode, &["--ulimit", "nofile=-1"], "echo RAN"), "fs.nr_open");
    }
}

#[test]
fn oom_score_adj_is_set_and_lowering_needs_root() {
    for mode in modes() {
        run_sh(mode, &["--oom-score-adj", "500"], "cat /proc/self/oom_score_adj").ok().stdout_is("500\n");
        let out = run_sh(mode, &["--oom-score-adj", "-500"], "echo RAN; cat /proc/self/oom_score_adj");
        if sys_resource(mode) {
            out.ok().stdout_is("RAN\n-500\n");
        } else {
            refused(&out, "--oom-score-adj cannot be enforced");
        }
    }
}

#[test]
fn bad_values_are_refused_before_spawn() {
    for mode in modes() {
        let bad: &[(&[&str], &str)] = &[
            (&["--memory-swap", "64m"], "needs --memory"),
            (&["--memory", "64m", "--memory-swap", "32m"], "cannot be below --memory"),
            (&["--memory", "16m", "--memory-reservation", "32m"], "--memory-reservation"),
            (&["--memory-reservation", "1m"], "--memory-reservation"),
            (&["--cpu-shares", "1"], "--cpu-shares 1"),
            (&["--cpu-shares", "300000"], "--cpu-shares"),
            (&["--cpuset-cpus", "x"], "--cpuset-cpus"),
            (&["--cpuset-mems", "3-1"], "--cpuset-mems"),
            (&["--ulimit", "files=10"], "unknown name"),
            (&["--ulimit", "nofile=20:10"], "soft limit is above the hard limit"),
            (&["--ulimit", "nofile"], "NAME=SOFT[:HARD]"),
            (&["--oom-score-adj", "1001"], "--oom-score-adj"),
        ];
        for (flags, needle) in bad {
            refused(&run_sh(mode, flags, "echo RAN"), needle);
        }
        if usable(mode, "cpuset") {
            refused(&run_sh(mode, &["--cpuset-cpus", "4095"], "echo RAN"), "not available here");
        }
    }
}

/// Each cgroup flag, where cove info says it is usable, is in the
/// container's cgroup files while it runs; elsewhere it is refused.
#[test]
fn cgroup_flags_are_written_or_refused() {
    let m = 64u64 << 20;
    let cases: &[(&[&str], &str, &[&str], String)] = &[
        (
            &["--memory", "64m", "--memory-swap", "128m"],
            "memory",
            &["memory.memsw.limit_in_bytes"],
            (2 * m).to_string(),
        ),
        (&["--memory", "64m", "--memory-swap", "128m"], "memory", &["memory.swap.max"], m.to_string()),
        (
            &["--memory-reservation", "32m"],
            "memory",
            &["memory.soft_limit_in_bytes", "memory.low"],
            (m / 2).to_string(),
        ),
        (&["--cpu-shares", "512"], "cpu", &["cpu.shares"], "512".into()),
        (&["--cpu-shares", "512"], "cpu", &["cpu.weight"], "20".into()),
        (&["--cpuset-cpus", "0"], "cpuset", &["cpuset.cpus"], "0".into()),
        (&["--cpuset-mems", "0"], "cpuset", &["cpuset.mems"], "0".into()),
    ];
    for mode in modes() {
        for (flags, controller, files, want) in cases {
            if !usable(mode, controller) {
                let out = run_sh(mode, flags, "echo RAN");
                refused(&out, flags[0]);
                if mode == Mode::Rootless {
                    out.cove_error("cgroup delegation");
                }
                continue;
            }
            let running = cove(mode).arg("run").args(*flags).args(["--", "sh", "-c", "echo up; sleep 2"]).spawn();
            running.expect_stdout("up");
            let got = read_any(&cgroup_dirs(running.pid()), files);
            let out = running.wait();
            out.ok();
            if got.as_ref().is_some_and(|g| g != want) {
                out.fail(&format!("{files:?} = {want} while it ran (got {got:?})"));
            }
        }
    }
}

/// --cpus shows in the cgroup's own throttling counters.
#[test]
fn cpus_throttle_a_busy_container() {
    for mode in modes().into_iter().filter(|m| usable(*m, "cpu")) {
        // two busy loops at --cpus 0.1: throttled even on a shared host
        // whose load leaves the container a fifth of a CPU (seen here at a
        // load average of 18 on 2 cores, where 0.5 is never reached)
        let busy = "timeout 2 sh -c 'while :; do :; done'";
        let script = format!("echo up; {busy} & {busy}; wait");
        let running = cove(mode).args(["run", "--cpus", "0.1", "--", "sh", "-c", &script]).spawn();
        running.expect_stdout("up");
        std::thread::sleep(Duration::from_millis(1200));
        let stat = read_any(&cgroup_dirs(running.pid()), &["cpu.stat"]).unwrap_or_default();
        let out = running.wait();
        out.ok();
        let throttled = stat
            .lines()
            .find_map(|l| l.strip_prefix("nr_throttled "))
            .and_then(|n| n.trim().parse::<u64>().ok())
            .unwrap_or(0);
        if throttled == 0 {
            out.fail(&format!("nr_throttled > 0 in cpu.stat after 1.2 s of two busy loops (cpu.stat: {stat:?})"));
        }
    }
}
