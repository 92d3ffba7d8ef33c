//! Nothing is left behind on the host: no mounts in the caller's mount
//! namespace, no processes, no temporary files — after successful runs,
//! failures, bad flags, a SIGKILLed cove and a reader that goes away.
//!
//! One test on purpose: it compares host-wide state before and after, so
//! nothing else in this binary may run at the same time.

mod common;

use common::*;
use rustix::process::Signal;
use std::collections::BTreeSet;
use std::io::Read;
use std::process::Stdio;
use std::time::{Duration, Instant};

/// Entries of a host temporary directory, minus compilers' own temp files.
fn temp_entries(dir: &str) -> BTreeSet<String> {
    std::fs::read_dir(dir)
        .map(|d| {
            d.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| !n.starts_with("cc") && !n.starts_with("rustc") && !n.starts_with(".tmp"))
                .collect()
        })
        .unwrap_or_default()
}

/// Waits up to 5 s for every process carrying `marker` to be gone.
fn no_processes_left(marker: &str, after: &str) {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let left = processes_with(marker);
        if left.is_empty() {
            return;
        }
        if Instant::now() > deadline {
            for (pid, _) in &left {
                if let Some(p) = rustix::process::Pid::from_raw(*pid) {
                    let _ = rustix::process::kill_process(p, Signal::KILL);
                }
            }
            panic!("{after}\n  expected: no container process left 5 s later\n  got (killed them now): {left:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Reads a few bytes of cove's stdout, closes it, and expects cove to end.
fn reader_goes_away(c: &Cove) {
    let mut child = c.command().stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::null()).spawn().unwrap();
    let mut buf = [0u8; 10];
    child.stdout.as_mut().unwrap().read_exact(&mut buf).unwrap();
    drop(child.stdout.take());
    let deadline = Instant::now() + Duration::from_secs(10);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!(
                "{}\n  expected: cove to end after its stdout reader went away\n  got: still running after 10 s (killed it)",
                c.describe()
            );
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn nothing_is_left_behind() {
    let mounts_before = std::fs::read_to_string("/proc/self/mountinfo").unwrap();
    let tmp_before = temp_entries("/tmp");
    let shm_before = temp_entries("/dev/shm");

    for mode in modes() {
        let marker = unique("cove-leak-marker");
        let m = marker.as_str();
        ended_runs(mode, m);
        killed_cove(mode, m);
        stdout_reader_gone(mode, m);
    }

    let mounts_after = std::fs::read_to_string("/proc/self/mountinfo").unwrap();
    if mounts_after != mounts_before {
        let before: BTreeSet<&str> = mounts_before.lines().collect();
        let after: BTreeSet<&str> = mounts_after.lines().collect();
        panic!(
            "host mount table changed\n  new: {:#?}\n  gone: {:#?}",
            after.difference(&before).collect::<Vec<_>>(),
            before.difference(&after).collect::<Vec<_>>()
        );
    }
    let new_tmp: Vec<String> = temp_entries("/tmp").difference(&tmp_before).cloned().collect();
    assert!(new_tmp.is_empty(), "expected no new entries in /tmp after the runs, got {new_tmp:?}");
    let new_shm: Vec<String> = temp_entries("/dev/shm").difference(&shm_before).cloned().collect();
    assert!(new_shm.is_empty(), "expected no new entries in /dev/shm after the runs, got {new_shm:?}");
}

/// Success, failure, cove's own errors, exec failures, --init, --rootfs.
fn ended_runs(mode: Mode, m: &str) {
    cove(mode).args(["run", "--", "sh", "-c", "exit 0", m]).run().ok();
    cove(mode).args(["run", "--", "sh", "-c", "exit 3", m]).run().code(3);
    cove(mode).args(["run", "--init", "--", "sh", "-c", "sleep 0.01 & exit 4", m]).run().code(4);
    cove(mode).args(["run", "--bogus-flag", "--", "sh", "-c", "true", m]).run().code(125);
    cove(mode).args(["run", "--rootfs", "/nonexistent/rootfs", "--", "sh", "-c", "true", m]).run().code(125);
    cove(mode).args(["run", "--", "/no/such/binary", m]).run().code(127);
    cove(mode).args(["run", "--", "/etc/passwd", m]).run().code(126);
    let dir = TestDir::new(mode, "cleanup");
    let vol = format!("{}:/data", dir.path().display());
    cove(mode).args(["run", "-v", &vol, "--tmpfs", "/scratch", "--", "sh", "-c", "true", m]).run().ok();
    if let Some(root) = busybox(mode) {
        cove(mode)
            .args(["run", "--rootfs"])
            .arg(root)
            .args(["-v", &vol, "--", "sh", "-c", "echo x > /f", m])
            .run()
            .ok();
    }
    no_processes_left(m, &format!("[{}] after runs that ended", mode.label()));
}

/// cove killed with SIGKILL while the container runs (with and without
/// init, with a grandchild): the whole container must go too.
fn killed_cove(mode: Mode, m: &str) {
    for flags in [&[][..], &["--init"][..]] {
        let script = format!("sh -c 'sleep 1000; true' child-{m} & echo ready; sleep 1000; true");
        let running = cove(mode).arg("run").args(flags).args(["--", "sh", "-c", &script, m]).spawn();
        running.expect_stdout("ready\n");
        running.signal(Signal::KILL);
        let desc = running.describe().to_owned();
        let out = running.wait();
        if out.signal != Some(9) {
            out.fail("cove killed by signal 9");
        }
        no_processes_left(m, &format!("{desc} (cove SIGKILLed mid-run)"));
    }
}

/// The reader of cove's stdout goes away. A shell loop as pid 1 is the
/// hard case: pid 1 ignores SIGPIPE and `echo` errors do not end a loop,
/// so cove itself must end the container.
fn stdout_reader_gone(mode: Mode, m: &str) {
    let shell_loop = "while :; do echo y; done";
    for args in [
        &["run", "--", "yes", m][..],
        &["run", "--init", "--", "sh", "-c", shell_loop, m][..],
        &["run", "--", "sh", "-c", shell_loop, m][..],
    ] {
        let c = cove(mode).args(args);
        reader_goes_away(&c);
        no_processes_left(m, &format!("{} (stdout reader gone)", c.describe()));
    }
}
