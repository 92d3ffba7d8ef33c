//! Signal names as `--signal`/`--stop-signal` take them (`KILL`,
//! `SIGKILL`, `sigkill` or a number, Docker's forms), parsed once for every
//! backend. Numbering differs between kernels, so each numbering is data
//! here ([`LINUX`], [`DARWIN`]) and the backend picks the one its host uses
//! (Windows, which has no signals, reuses Linux's numbers so records and
//! 128+N exit codes read the same everywhere). Sending signals is the
//! backends' business, not this module's.

/// A host's signal names and numbers, and the highest number accepted as
/// a plain number.
#[derive(Clone, Copy, Debug)]
pub struct Signals {
    names: &'static [(&'static str, i32)],
    max: i32,
}

/// Linux's numbering (x86, arm and the other architectures with the
/// generic signal numbers), real-time signals up to 64.
pub const LINUX: Signals = Signals { names: LINUX_NAMES, max: 64 };

/// Linux's numbers for the POSIX signals up to `TERM` (15), for hosts that
/// only emulate signals (Windows ends a process with exit code 128+N).
pub const LINUX_BASIC: Signals = Signals { names: LINUX_NAMES.split_at(15).0, max: 64 };

/// macOS's (BSD) numbering, 31 signals (`<sys/signal.h>`; the same as
/// the `libc` crate's Apple constants).
pub const DARWIN: Signals = Signals { names: DARWIN_NAMES, max: 31 };

impl Signals {
    /// Parses `KILL`, `SIGKILL`, `sigkill` or `9`; `None` for an unknown
    /// name or a number outside `1..=max`.
    pub fn parse(&self, s: &str) -> Option<i32> {
        if let Ok(n) = s.parse::<i32>() {
            return (1..=self.max).contains(&n).then_some(n);
        }
        let upper = s.to_ascii_uppercase();
        let name = upper.strip_prefix("SIG").unwrap_or(&upper);
        self.names.iter().find(|(n, _)| *n == name).map(|(_, v)| *v)
    }

    /// The names and numbers, in the order of Linux's numbering.
    pub fn names(&self) -> &'static [(&'static str, i32)] {
        self.names
    }
}

const LINUX_NAMES: &[(&str, i32)] = &[
    ("HUP", 1),
    ("INT", 2),
    ("QUIT", 3),
    ("ILL", 4),
    ("TRAP", 5),
    ("ABRT", 6),
    ("BUS", 7),
    ("FPE", 8),
    ("KILL", 9),
    ("USR1", 10),
    ("SEGV", 11),
    ("USR2", 12),
    ("PIPE", 13),
    ("ALRM", 14),
    ("TERM", 15),
    ("CHLD", 17),
    ("CONT", 18),
    ("STOP", 19),
    ("TSTP", 20),
    ("TTIN", 21),
    ("TTOU", 22),
    ("URG", 23),
    ("XCPU", 24),
    ("XFSZ", 25),
    ("VTALRM", 26),
    ("PROF", 27),
    ("WINCH", 28),
    ("IO", 29),
    ("PWR", 30),
    ("SYS", 31),
];

const DARWIN_NAMES: &[(&str, i32)] = &[
    ("HUP", 1),
    ("INT", 2),
    ("QUIT", 3),
    ("ILL", 4),
    ("TRAP", 5),
    ("ABRT", 6),
    ("BUS", 10),
    ("FPE", 8),
    ("KILL", 9),
    ("USR1", 30),
    ("SEGV", 11),
    ("USR2", 31),
    ("PIPE", 13),
    ("ALRM", 14),
    ("TERM", 15),
    ("CHLD", 20),
    ("CONT", 19),
    ("STOP", 17),
    ("TSTP", 18),
    ("TTIN", 21),
    ("TTOU", 22),
    ("URG", 16),
    ("XCPU", 24),
    ("XFSZ", 25),
    ("VTALRM", 26),
    ("PROF", 27),
    ("WINCH", 28),
    ("IO", 23),
    ("SYS", 12),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_in_dockers_forms() {
        assert_eq!(LINUX.parse("KILL"), Some(9));
        assert_eq!(LINUX.parse("sigterm"), Some(15));
        assert_eq!(LINUX.parse("SIGwinch"), Some(28));
        assert_eq!(LINUX.parse("10"), Some(10));
        assert_eq!(LINUX.parse("64"), Some(64));
        assert_eq!(LINUX.parse("0"), None);
        assert_eq!(LINUX.parse("65"), None);
        assert_eq!(LINUX.parse("NOPE"), None);
        assert_eq!(LINUX.parse("SIG"), None);
    }

    #[test]
    fn each_numbering_has_its_own_numbers_and_range() {
        assert_eq!(DARWIN.parse("usr1"), Some(30));
        assert_eq!(DARWIN.parse("PWR"), None);
        assert_eq!(DARWIN.parse("31"), Some(31));
        assert_eq!(DARWIN.parse("32"), None);
        assert_eq!(LINUX_BASIC.parse("TERM"), Some(15));
        assert_eq!(LINUX_BASIC.parse("WINCH"), None);
        assert_eq!(LINUX_BASIC.parse("40"), Some(40));
    }

    #[test]
    fn numbers_are_unique_within_a_numbering() {
        for table in [LINUX, DARWIN] {
            let mut nums: Vec<i32> = table.names().iter().map(|(_, n)| *n).collect();
            nums.sort_unstable();
            nums.dedup();
            assert_eq!(nums.len(), table.names().len());
        }
    }
}
