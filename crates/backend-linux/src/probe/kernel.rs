//! Kernel-version features: `clone3`, `pidfd`, the new mount API,
//! `no_new_privs` and capabilities. Where a harmless call can answer for
//! real (`pidfd_open`, `open_tree`, `fsopen`) it is made; the rest goes by
//! the release number, and the detail says which evidence was used.

use super::host::{Host, read_text, status_field};
use super::{degraded, enforced, unavailable};
use cove_core::backend::Feature;
use rustix::io::Errno;
use std::fmt;

/// A kernel's `major.minor.patch`, parsed from `uname -r`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct KernelVersion {
    /// Major version.
    pub major: u32,
    /// Minor version.
    pub minor: u32,
    /// Patch level (0 when the release has none).
    pub patch: u32,
}

impl KernelVersion {
    /// Parses releases such as `6.18.44-fc-v669` or `5.4.0-150-generic`.
    pub fn parse(release: &str) -> Option<KernelVersion> {
        let mut parts = release.split('.').map(|p| {
            let digits: String = p.chars().take_while(char::is_ascii_digit).collect();
            digits.parse::<u32>().ok()
        });
        let major = parts.next()??;
        let minor = parts.next()??;
        let patch = parts.next().flatten().unwrap_or(0);
        Some(KernelVersion { major, minor, patch })
    }

    /// Whether this is `major.minor` or newer.
    pub fn at_least(self, major: u32, minor: u32) -> bool {
        (self.major, self.minor) >= (major, minor)
    }
}

impl fmt::Display for KernelVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

/// `clone3` (5.3) and `CLONE_INTO_CGROUP` (5.7), by kernel version.
pub fn clone3(host: &Host) -> Feature {
    const KEY: &str = "clone3";
    match host.kernel {
        Some(v) if v.at_least(5, 7) => {
            enforced(KEY, format!("kernel {v} >= 5.7: clone3 with CLONE_INTO_CGROUP (by kernel version)"))
        }
        Some(v) if v.at_least(5, 3) => degraded(
            KEY,
            format!(
                "kernel {v} has clone3 (>= 5.3) but not CLONE_INTO_CGROUP (>= 5.7): cgroups are joined after start"
            ),
            "kernel >= 5.7 required",
        ),
        Some(v) => unavailable(KEY, format!("kernel {v} < 5.3 has no clone3"), Some("kernel >= 5.7 required".into())),
        None => unparsed(KEY, &host.release),
    }
}

/// `pidfd_open` on cove's own pid, for real.
pub fn pidfd(host: &Host) -> Feature {
    let result = rustix::process::pidfd_open(rustix::process::getpid(), rustix::process::PidfdFlags::empty());
    assess_pidfd(result.map(drop), &host.release)
}

fn assess_pidfd(result: Result<(), Errno>, release: &str) -> Feature {
    const KEY: &str = "pidfd";
    match result {
        Ok(()) => enforced(KEY, "pidfd_open on cove's own pid succeeded (tested)"),
        Err(Errno::NOSYS) => unavailable(
            KEY,
            format!("kernel {release} has no pidfd_open (needs >= 5.3)"),
            Some("kernel >= 5.3 required".into()),
        ),
        Err(e) => unavailable(KEY, format!("pidfd_open failed: {e} (a seccomp policy may block it)"), None),
    }
}

/// `open_tree`/`fsopen` for real (5.2), `mount_setattr` by version (5.12).
pub fn new_mount_api(host: &Host) -> Feature {
    use rustix::mount::{FsOpenFlags, OpenTreeFlags, fsopen, open_tree};
    let tree = open_tree(rustix::fs::CWD, "/", OpenTreeFlags::OPEN_TREE_CLOEXEC).map(drop);
    // Unprivileged callers get EPERM, which still proves the call exists.
    let fs = match fsopen("tmpfs", FsOpenFlags::FSOPEN_CLOEXEC) {
        Ok(_) | Err(Errno::PERM) => Ok(()),
        Err(e) => Err(e),
    };
    assess_mount_api(tree, fs, host.kernel, &host.release)
}

fn assess_mount_api(
    tree: Result<(), Errno>,
    fs: Result<(), Errno>,
    kernel: Option<KernelVersion>,
    release: &str,
) -> Feature {
    const KEY: &str = "new_mount_api";
    let fix = || Some("kernel >= 5.12 required".to_owned());
    if tree == Err(Errno::NOSYS) || fs == Err(Errno::NOSYS) {
        return unavailable(KEY, format!("kernel {release} lacks open_tree/fsopen (>= 5.2)"), fix());
    }
    if let Err(e) = tree.and(fs) {
        return unavailable(KEY, format!("open_tree/fsopen failed: {e} (a seccomp policy may block them)"), None);
    }
    match kernel {
        Some(v) if v.at_least(5, 12) => enforced(
            KEY,
            format!("open_tree and fsopen answered (tested); mount_setattr by kernel version {v} >= 5.12"),
        ),
        Some(v) => unavailable(KEY, format!("open_tree/fsopen work but kernel {v} < 5.12 has no mount_setattr"), fix()),
        None => unparsed(KEY, release),
    }
}

/// `PR_SET_NO_NEW_PRIVS`, in every kernel since 3.5.
pub fn no_new_privs(host: &Host) -> Feature {
    const KEY: &str = "no_new_privs";
    let status = read_text("/proc/self/status").unwrap_or_default();
    let shown = status_field(&status, "NoNewPrivs").map_or(String::new(), |v| format!("; NoNewPrivs of cove: {v}"));
    always_since_3_5(KEY, host, &format!("prctl(PR_SET_NO_NEW_PRIVS) is always enforced on Linux >= 3.5{shown}"))
}

/// Capability bounding set and `capset`, in every kernel since 3.5.
pub fn capabilities(host: &Host) -> Feature {
    const KEY: &str = "capabilities";
    let status = read_text("/proc/self/status").unwrap_or_default();
    let shown = status_field(&status, "CapBnd").map_or(String::new(), |v| format!("; CapBnd of cove: {v}"));
    always_since_3_5(KEY, host, &format!("bounding set and capset are always enforced on Linux >= 3.5{shown}"))
}

fn always_since_3_5(key: &'static str, host: &Host, detail: &str) -> Feature {
    match host.kernel {
        Some(v) if !v.at_least(3, 5) => {
            unavailable(key, format!("kernel {v} < 3.5"), Some("kernel >= 3.5 required".into()))
        }
        _ => enforced(key, detail),
    }
}

/// A version-based feature when `uname -r` does not parse.
fn unparsed(key: &'static str, release: &str) -> Feature {
    unavailable(key, format!("cannot tell: kernel release {release:?} does not parse as a version"), None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use cove_core::backend::Support;

    fn v(release: &str) -> KernelVersion {
        KernelVersion::parse(release).unwrap()
    }

    #[test]
    fn parses_distribution_releases() {
        assert_eq!(v("6.18.44-fc-v669"), KernelVersion { major: 6, minor: 18, patch: 44 });
        assert_eq!(v("5.4.0-150-generic"), KernelVersion { major: 5, minor: 4, patch: 0 });
        assert_eq!(v("6.1-rc2"), KernelVersion { major: 6, minor: 1, patch: 0 });
        assert_eq!(v("4.19"), KernelVersion { major: 4, minor: 19, patch: 0 });
        assert_eq!(KernelVersion::parse("linux"), None);
        assert_eq!(KernelVersion::parse("6"), None);
    }

    #[test]
    fn compares_major_then_minor() {
        assert!(v("5.11.0").at_least(5, 11));
        assert!(v("6.0.0").at_least(5, 12));
        assert!(!v("5.10.200").at_least(5, 11));
        assert!(!v("4.20.0").at_least(5, 2));
    }

    #[test]
    fn mount_api_needs_5_12() {
        let new = assess_mount_api(Ok(()), Ok(()), Some(v("6.1.0")), "6.1.0");
        assert_eq!(new.status, Support::Enforced);
        let old = assess_mount_api(Ok(()), Ok(()), Some(v("5.10.0")), "5.10.0");
        assert_eq!(old.status, Support::Unavailable);
        assert_eq!(old.fix.as_deref(), Some("kernel >= 5.12 required"));
        let none = assess_mount_api(Err(Errno::NOSYS), Ok(()), Some(v("4.19.0")), "4.19.0");
        assert!(none.detail.contains("lacks open_tree"));
    }

    #[test]
    fn pidfd_reports_missing_syscall() {
        assert_eq!(assess_pidfd(Ok(()), "6.1.0").status, Support::Enforced);
        let missing = assess_pidfd(Err(Errno::NOSYS), "5.2.0");
        assert_eq!(missing.fix.as_deref(), Some("kernel >= 5.3 required"));
        assert_eq!(assess_pidfd(Err(Errno::PERM), "6.1.0").fix, None);
    }
}
