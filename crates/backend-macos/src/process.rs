//! Host processes the container store refers to, on macOS: a pid with its
//! start time (so a reused pid is never mistaken for the one cove started),
//! and signals. A stored container's command leads its own process group
//! (see `spawn.rs`), so a signal to a group leader goes to the whole group:
//! `stop` and `kill` reach every process of the container, as the
//! container's cgroup does on Linux. Plain Unix code except the start time
//! (libproc, macOS only), so the signalling is tested on Linux too.

use rustix::process::{Pid, Signal, getpgid, kill_process, kill_process_group};
use std::io;

/// The start time of `pid` in microseconds since the epoch; `None` when
/// there is no such (live, not zombie) process.
#[cfg(target_os = "macos")]
pub fn start_time(pid: i32) -> Option<u64> {
    crate::sys::start_time(pid)
}

/// This boot's id. Start times are absolute here (microseconds since the
/// epoch), so a pid and its start time never repeat across boots: the
/// boot id adds nothing and is constant.
pub fn boot_id() -> String {
    "macos".to_owned()
}

/// Sends signal `sig` to `pid`, or to its whole process group when `pid`
/// leads one (a stored container's command, or its monitor, which leads
/// its own session).
pub fn signal(pid: i32, sig: i32) -> io::Result<()> {
    let target = Pid::from_raw(pid).ok_or_else(|| io::Error::other(format!("invalid pid {pid}")))?;
    let sig = Signal::from_named_raw(sig).ok_or_else(|| io::Error::other(format!("invalid signal {sig}")))?;
    let leads_group = getpgid(Some(target)).is_ok_and(|g| g == target);
    let sent = if leads_group { kill_process_group(target, sig) } else { kill_process(target, sig) };
    sent.map_err(|e| io::Error::new(io::Error::from(e).kind(), format!("signal {sig:?} to pid {pid}: {e}")))
}

/// Parses `--signal`/`--stop-signal`: `KILL`, `SIGKILL`, `sigkill` or `9`
/// (Docker's forms), with macOS's numbers (also when built elsewhere).
pub fn parse_signal(s: &str) -> Option<i32> {
    cove_core::signal::DARWIN.parse(s)
}

/// No OOM killer reports here (no memory limits on macOS).
pub fn oom_killed(_cgroups: &[std::path::PathBuf]) -> bool {
    false
}

/// No cgroups here: nothing to remove.
pub fn remove_cgroups(_cgroups: &[std::path::PathBuf]) -> io::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::process::{CommandExt, ExitStatusExt};
    use std::process::Command;
    use std::time::{Duration, Instant};

    #[test]
    fn signals_parse_in_dockers_forms() {
        assert_eq!(parse_signal("KILL"), Some(9));
        assert_eq!(parse_signal("sigterm"), Some(15));
        assert_eq!(parse_signal("usr1"), Some(30));
        assert_eq!(parse_signal("31"), Some(31));
        assert_eq!(parse_signal("32"), None);
        assert_eq!(parse_signal("0"), None);
        assert_eq!(parse_signal("NOPE"), None);
    }

    /// A group leader with a child in its group: a signal to the leader's
    /// pid ends both (what `stop` relies on), within a deadline.
    #[test]
    fn a_signal_to_a_group_leader_reaches_its_whole_group() {
        let mark = std::env::temp_dir().join(format!("cove-macos-pgrp-{}", std::process::id()));
        let script = format!("sleep 30 & echo $! > '{}'; wait", mark.display());
        let mut leader = Command::new("/bin/sh").args(["-c", &script]).process_group(0).spawn().unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        let grandchild: i32 = loop {
            if let Some(pid) = std::fs::read_to_string(&mark).ok().and_then(|s| s.trim().parse().ok()) {
                break pid;
            }
            assert!(Instant::now() < deadline, "the shell started its child within 10 s");
            std::thread::sleep(Duration::from_millis(10));
        };
        let _ = std::fs::remove_file(&mark);
        signal(leader.id() as i32, libc::SIGTERM).unwrap();
        let gone = |pid: i32| kill_process(Pid::from_raw(pid).unwrap(), Signal::CONT).is_err();
        while !gone(grandchild) && Instant::now() < deadline {
            // Reap nothing but the leader; the grandchild is reparented.
            let _ = leader.try_wait();
            std::thread::sleep(Duration::from_millis(10));
        }
        let reaped = gone(grandchild);
        let _ = leader.kill();
        let status = leader.wait().unwrap();
        assert!(reaped, "the group's other process got the signal too");
        assert_eq!(status.signal(), Some(libc::SIGTERM));
    }
}
