//! Host processes by pid, for the OCI runtime verbs: whether a container's
//! process is still the one that was started (start time from
//! `/proc/PID/stat`, so a reused pid is not mistaken for it), signals, and
//! every process of its pid namespace (`kill --all`).

use std::io;

/// What `/proc/PID/stat` says about a process.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProcStat {
    /// The state letter (`R`, `S`, `Z`, ...).
    pub state: char,
    /// Start time in clock ticks after boot (field 22).
    pub start_time: u64,
}

/// Parses the text of `/proc/PID/stat` (the command name may hold spaces
/// and parentheses, so fields are counted after the last `)`).
pub fn parse_stat(text: &str) -> Option<ProcStat> {
    let rest = &text[text.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // fields[0] is field 3 (state); field 22 is fields[19].
    Some(ProcStat { state: fields.first()?.chars().next()?, start_time: fields.get(19)?.parse().ok()? })
}

/// `/proc/PID/stat` of `pid`, `None` when there is no such process.
pub fn stat(pid: i32) -> Option<ProcStat> {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).ok().and_then(|t| parse_stat(&t))
}

/// Whether `pid` is still the process started at `start_time` and has not
/// exited (a zombie has).
pub fn alive(pid: i32, start_time: u64) -> bool {
    stat(pid).is_some_and(|s| s.start_time == start_time && s.state != 'Z' && s.state != 'X')
}

/// Sends `signal` to `pid`; a process that no longer exists is not an error.
pub fn signal(pid: i32, signal: i32) -> io::Result<()> {
    match crate::sys::clone::send_signal(pid, signal) {
        Err(e) if e.raw_os_error() == Some(libc::ESRCH) => Ok(()),
        other => other,
    }
}

/// Every process in the pid namespace whose first process is `pid` (as the
/// host numbers them), `pid` included.
pub fn in_pid_namespace(pid: i32) -> io::Result<Vec<i32>> {
    let ns = std::fs::read_link(format!("/proc/{pid}/ns/pid"))?;
    let mut out = Vec::new();
    for entry in std::fs::read_dir("/proc")?.flatten() {
        let Some(other) = entry.file_name().to_str().and_then(|n| n.parse::<i32>().ok()) else { continue };
        // A process of a child namespace shows a different link; only the
        // namespace's own members match.
        if std::fs::read_link(format!("/proc/{other}/ns/pid")).is_ok_and(|l| l == ns) {
            out.push(other);
        }
    }
    Ok(out)
}

/// Signal names (with or without `SIG`, any case) and numbers.
pub fn signal_number(name: &str) -> Option<i32> {
    if let Ok(n) = name.parse::<i32>() {
        return (1..=64).contains(&n).then_some(n);
    }
    let upper = name.to_ascii_uppercase();
    let bare = upper.strip_prefix("SIG").unwrap_or(&upper);
    let table = [
        ("HUP", libc::SIGHUP),
        ("INT", libc::SIGINT),
        ("QUIT", libc::SIGQUIT),
        ("ILL", libc::SIGILL),
        ("TRAP", libc::SIGTRAP),
        ("ABRT", libc::SIGABRT),
        ("IOT", libc::SIGIOT),
        ("BUS", libc::SIGBUS),
        ("FPE", libc::SIGFPE),
        ("KILL", libc::SIGKILL),
        ("USR1", libc::SIGUSR1),
        ("SEGV", libc::SIGSEGV),
        ("USR2", libc::SIGUSR2),
        ("PIPE", libc::SIGPIPE),
        ("ALRM", libc::SIGALRM),
        ("TERM", libc::SIGTERM),
        ("STKFLT", libc::SIGSTKFLT),
        ("CHLD", libc::SIGCHLD),
        ("CONT", libc::SIGCONT),
        ("STOP", libc::SIGSTOP),
        ("TSTP", libc::SIGTSTP),
        ("TTIN", libc::SIGTTIN),
        ("TTOU", libc::SIGTTOU),
        ("URG", libc::SIGURG),
        ("XCPU", libc::SIGXCPU),
        ("XFSZ", libc::SIGXFSZ),
        ("VTALRM", libc::SIGVTALRM),
        ("PROF", libc::SIGPROF),
        ("WINCH", libc::SIGWINCH),
        ("IO", libc::SIGIO),
        ("PWR", libc::SIGPWR),
        ("SYS", libc::SIGSYS),
    ];
    table.iter().find(|(n, _)| *n == bare).map(|(_, s)| *s)
}

#[cfg(test)]
mod tests {
    #[test]
    fn signal_names_and_numbers() {
        for (name, n) in [("KILL", 9), ("SIGKILL", 9), ("sigterm", 15), ("term", 15), ("9", 9), ("SIGUSR1", 10)] {
            assert_eq!(super::signal_number(name), Some(n), "{name}");
        }
        for bad in ["", "0", "65", "SIGNOPE", "-9"] {
            assert_eq!(super::signal_number(bad), None, "{bad}");
        }
    }

    use super::*;

    #[test]
    fn stat_fields_after_the_name() {
        let text = "42 (a) b) c) S 1 42 42 0 -1 4194560 100 0 0 0 0 0 0 0 20 0 1 0 12345 1000 10";
        assert_eq!(parse_stat(text), Some(ProcStat { state: 'S', start_time: 12345 }));
        assert_eq!(parse_stat("garbage"), None);
    }
}
