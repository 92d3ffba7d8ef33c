//! Host processes the container store refers to, on Windows: a pid with
//! its creation time (so a reused pid is never mistaken for the process
//! cove started), and "signals". Windows has no signals: a signal number
//! only decides the exit code (128+N, as a signal death reads on Linux)
//! of a process or, through [`crate::stored`], of a container's whole job.
//! Signal names use Linux's numbers so that records and exit codes read
//! the same on every host.

/// Parses `--signal`/`--stop-signal`: `KILL`, `SIGKILL`, `sigkill` or `9`
/// (Docker's forms), with Linux's numbers for the signals up to `TERM`.
pub fn parse_signal(s: &str) -> Option<i32> {
    cove_core::signal::LINUX_BASIC.parse(s)
}

/// The exit code a process ended by signal `sig` gets (128+N).
pub fn signal_exit_code(sig: i32) -> u32 {
    128 + sig.clamp(1, 64) as u32
}

/// The creation time of the live process `pid` (100 ns units since 1601);
/// `None` when it does not exist or has ended.
#[cfg(windows)]
pub fn start_time(pid: i32) -> Option<u64> {
    crate::sys::host::start_time(u32::try_from(pid).ok()?)
}

/// This boot's id. Creation times are absolute (since 1601), so a pid and
/// its creation time never repeat across boots: the boot id adds nothing.
pub fn boot_id() -> String {
    "windows".to_owned()
}

/// Ends process `pid` with exit code 128+`sig` (there is no gentler way
/// from outside a process; a container's monitor ends its job with it).
#[cfg(windows)]
pub fn signal(pid: i32, sig: i32) -> std::io::Result<()> {
    let p = u32::try_from(pid).map_err(|_| std::io::Error::other(format!("invalid pid {pid}")))?;
    crate::sys::host::terminate(p, signal_exit_code(sig))
        .map_err(|e| std::io::Error::new(e.kind(), format!("TerminateProcess pid {pid}: {e}")))
}

/// No OOM kill reports: a job's memory limit makes allocations fail instead.
pub fn oom_killed(_cgroups: &[std::path::PathBuf]) -> bool {
    false
}

/// No cgroups on Windows: nothing to remove.
pub fn remove_cgroups(_cgroups: &[std::path::PathBuf]) -> std::io::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signals_parse_with_linux_numbers() {
        assert_eq!(parse_signal("SIGKILL"), Some(9));
        assert_eq!(parse_signal("term"), Some(15));
        assert_eq!(parse_signal("2"), Some(2));
        assert_eq!(parse_signal("0"), None);
        assert_eq!(parse_signal("WINCH"), None);
        assert_eq!(signal_exit_code(9), 137);
        assert_eq!(signal_exit_code(15), 143);
    }
}
