//! Host processes the container store refers to: identified by pid and
//! start time (so a reused pid or a reboot is never mistaken for the
//! process cove started), signalled by number, listed per pid namespace.

use std::io;

/// The start time of `pid` in clock ticks since boot (`/proc/PID/stat`
/// field 22); `None` when there is no such process.
pub fn start_time(pid: i32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let state = stat_fields(&stat)?.next()?;
    if state == "Z" || state == "X" {
        return None;
    }
    parse_start_time(&stat)
}

/// Field 22 (start time) of the text of a `/proc/PID/stat` file.
pub fn parse_start_time(stat: &str) -> Option<u64> {
    stat_fields(stat)?.nth(19)?.parse().ok()
}

/// The fields of a `/proc/PID/stat` text from field 3 (state) on. The
/// command name (field 2) may hold spaces and parentheses: the fields
/// after it start behind the last ')'.
fn stat_fields(stat: &str) -> Option<std::str::SplitWhitespace<'_>> {
    Some(stat[stat.rfind(')')? + 1..].split_whitespace())
}

/// Whether `pid` is still the live (not zombie) process started at
/// `start_time`.
pub fn alive(pid: i32, start_time: u64) -> bool {
    self::start_time(pid) == Some(start_time)
}

/// This boot's id (`/proc/sys/kernel/random/boot_id`).
pub fn boot_id() -> String {
    std::fs::read_to_string("/proc/sys/kernel/random/boot_id").map(|s| s.trim().to_owned()).unwrap_or_default()
}

/// Sends signal `sig` to `pid`.
pub fn signal(pid: i32, sig: i32) -> io::Result<()> {
    crate::sys::clone::send_signal(pid, sig)
}

/// Parses `--signal`/`--stop-signal`: `KILL`, `SIGKILL`, `sigkill` or `9`
/// (Docker's forms), with Linux's numbers.
pub fn parse_signal(s: &str) -> Option<i32> {
    cove_core::signal::LINUX.parse(s)
}

/// Whether any of the container's cgroups recorded an OOM kill (v1
/// `memory.oom_control`, v2 `memory.events`: `oom_kill N` with N > 0).
pub fn oom_killed(cgroups: &[std::path::PathBuf]) -> bool {
    cgroups.iter().any(|dir| {
        ["memory.events", "memory.oom_control"].iter().any(|f| {
            let text = std::fs::read_to_string(dir.join(f)).unwrap_or_default();
            text.lines().any(|l| l.strip_prefix("oom_kill ").is_some_and(|n| n.trim().parse::<u64>().unwrap_or(0) > 0))
        })
    })
}

/// Removes the container's cgroup directories (empty once its processes
/// are gone), retrying for up to a second while the kernel still lists
/// exiting tasks. Missing directories are fine.
pub fn remove_cgroups(cgroups: &[std::path::PathBuf]) -> io::Result<()> {
    for dir in cgroups {
        let mut tries = 0;
        loop {
            match std::fs::remove_dir(dir) {
                Ok(()) => break,
                Err(e) if e.kind() == io::ErrorKind::NotFound => break,
                Err(_) if tries < 50 => {
                    tries += 1;
                    std::thread::sleep(std::time::Duration::from_millis(20));
                }
                Err(e) => return Err(io::Error::new(e.kind(), format!("remove cgroup {}: {e}", dir.display()))),
            }
        }
    }
    Ok(())
}

/// Whether this process is in the initial user namespace (its uid map is
/// the whole range); a runtime started by rootless podman is not.
pub fn in_initial_user_namespace() -> bool {
    std::fs::read_to_string("/proc/self/uid_map").is_ok_and(|t| is_initial_map(&t))
}

/// Whether `uid_map` text maps every id to itself (`0 0 4294967295`).
pub fn is_initial_map(text: &str) -> bool {
    let lines: Vec<Vec<&str>> = text.lines().map(|l| l.split_whitespace().collect()).collect();
    lines.len() == 1 && lines[0] == ["0", "0", "4294967295"]
}

/// The host pids of every process in `init`'s pid namespace (found by
/// comparing `/proc/PID/ns/pid` links), `init` first.
pub fn namespace_pids(init: i32) -> Vec<i32> {
    let link = |pid: i32| std::fs::read_link(format!("/proc/{pid}/ns/pid")).ok();
    let Some(ns) = link(init) else { return vec![] };
    let mut pids: Vec<i32> = std::fs::read_dir("/proc")
        .map(|d| d.flatten().filter_map(|e| e.file_name().to_str()?.parse().ok()).collect())
        .unwrap_or_default();
    pids.retain(|&p| p == init || link(p).as_ref() == Some(&ns));
    pids.sort_by_key(|&p| (p != init, p));
    pids
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signals_parse_in_dockers_forms() {
        assert_eq!(parse_signal("KILL"), Some(9));
        assert_eq!(parse_signal("sigterm"), Some(15));
        assert_eq!(parse_signal("10"), Some(10));
        assert_eq!(parse_signal("0"), None);
        assert_eq!(parse_signal("NOPE"), None);
    }

    /// The portable table's numbers are this host's (they differ between
    /// architectures for these).
    #[test]
    fn signal_numbers_are_the_hosts() {
        let host = [
            ("BUS", libc::SIGBUS),
            ("USR1", libc::SIGUSR1),
            ("USR2", libc::SIGUSR2),
            ("CHLD", libc::SIGCHLD),
            ("CONT", libc::SIGCONT),
            ("STOP", libc::SIGSTOP),
            ("TSTP", libc::SIGTSTP),
            ("URG", libc::SIGURG),
            ("IO", libc::SIGIO),
            ("PWR", libc::SIGPWR),
            ("SYS", libc::SIGSYS),
            ("WINCH", libc::SIGWINCH),
        ];
        for (name, n) in host {
            assert_eq!(parse_signal(name), Some(n), "SIG{name}");
        }
    }

    #[test]
    fn the_initial_map_is_every_id_to_itself() {
        assert!(is_initial_map("         0          0 4294967295\n"));
        assert!(!is_initial_map("0 1001 1\n1 100000 65536\n"));
        assert!(!is_initial_map(""));
    }

    #[test]
    fn own_start_time_is_stable() {
        let me = std::process::id() as i32;
        assert!(start_time(me).is_some());
        assert_eq!(start_time(me), start_time(me));
        assert!(!boot_id().is_empty());
    }
}
