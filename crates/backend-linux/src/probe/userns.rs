//! `user_namespaces`: may this caller create a user namespace? Evidence: the
//! three sysctls that can forbid it, then a real try with
//! `unshare --user --map-root-user true` when `unshare(1)` is installed.

use super::host::{Host, find_in_path, read_number};
use super::{enforced, unavailable};
use cove_core::backend::Feature;
use std::process::{Command, Stdio};

const KEY: &str = "user_namespaces";

/// What a real `unshare(1)` run showed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Trial {
    /// `unshare` is not installed.
    NotRun,
    /// It created a user namespace and mapped the caller to root in it.
    Succeeded,
    /// It failed; its message.
    Failed(String),
}

/// Everything the verdict depends on.
#[derive(Clone, Debug)]
pub struct Evidence {
    /// The caller is root (exempt from the unprivileged-only switches).
    pub root: bool,
    /// `user.max_user_namespaces`.
    pub max: Option<u64>,
    /// `kernel.unprivileged_userns_clone` (Debian/Ubuntu patch).
    pub clone_switch: Option<u64>,
    /// `kernel.apparmor_restrict_unprivileged_userns` (Ubuntu 23.10+).
    pub apparmor: Option<u64>,
    /// The real try.
    pub trial: Trial,
    /// cove's own path, for the AppArmor profile in the fix.
    pub exe: String,
}

/// Gathers the evidence and judges it.
pub fn probe(host: &Host) -> Feature {
    let exe = std::env::current_exe().map_or_else(|_| "/usr/local/bin/cove".to_owned(), |p| p.display().to_string());
    assess(&Evidence {
        root: host.is_root(),
        max: read_number("/proc/sys/user/max_user_namespaces"),
        clone_switch: read_number("/proc/sys/kernel/unprivileged_userns_clone"),
        apparmor: read_number("/proc/sys/kernel/apparmor_restrict_unprivileged_userns"),
        trial: trial(),
        exe,
    })
}

/// Runs `unshare --user --map-root-user true`, when installed.
fn trial() -> Trial {
    let Some(unshare) = find_in_path("unshare") else { return Trial::NotRun };
    let out = Command::new(unshare)
        .args(["--user", "--map-root-user", "true"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output();
    match out {
        Ok(out) if out.status.success() => Trial::Succeeded,
        Ok(out) => Trial::Failed(String::from_utf8_lossy(&out.stderr).trim().to_owned()),
        Err(e) => Trial::Failed(e.to_string()),
    }
}

/// The verdict: a forbidding sysctl wins, then the real try, then the rest.
pub fn assess(ev: &Evidence) -> Feature {
    let tried = match &ev.trial {
        Trial::NotRun => "not tried: unshare(1) not installed".to_owned(),
        Trial::Succeeded => "unshare --user --map-root-user succeeded".to_owned(),
        Trial::Failed(msg) => format!("unshare --user --map-root-user failed: {msg}"),
    };
    if ev.max == Some(0) {
        let detail = format!("user.max_user_namespaces = 0 forbids user namespaces, root included; {tried}");
        return unavailable(KEY, detail, Some("sysctl -w user.max_user_namespaces=15000".into()));
    }
    if !ev.root && ev.clone_switch == Some(0) {
        let detail = format!("kernel.unprivileged_userns_clone = 0 forbids them to non-root users; {tried}");
        return unavailable(KEY, detail, Some("sysctl -w kernel.unprivileged_userns_clone=1".into()));
    }
    if !ev.root && ev.apparmor == Some(1) {
        let detail = format!(
            "kernel.apparmor_restrict_unprivileged_userns = 1: AppArmor denies capabilities inside user \
             namespaces of unprivileged programs without a profile allowing `userns`; {tried}"
        );
        return unavailable(KEY, detail, Some(apparmor_fix(&ev.exe)));
    }
    if let Trial::Failed(_) = ev.trial {
        return unavailable(KEY, format!("{tried} (a seccomp policy or LSM may block unshare(CLONE_NEWUSER))"), None);
    }
    let mut found = vec![tried];
    if ev.root {
        found.push("caller is root".into());
    }
    if let Some(max) = ev.max {
        found.push(format!("user.max_user_namespaces = {max}"));
    }
    enforced(KEY, found.join("; "))
}

/// An AppArmor profile letting cove alone use user namespaces, or the
/// sysctl lifting the restriction for every program.
fn apparmor_fix(exe: &str) -> String {
    format!(
        "printf 'abi <abi/4.0>,\\ninclude <tunables/global>\\nprofile cove {exe} flags=(unconfined) {{\\n  userns,\\n}}\\n' \
         > /etc/apparmor.d/cove && apparmor_parser -r /etc/apparmor.d/cove; \
         or for all programs: sysctl -w kernel.apparmor_restrict_unprivileged_userns=0"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use cove_core::backend::Support;

    fn ev(root: bool, trial: Trial) -> Evidence {
        Evidence { root, max: Some(15000), clone_switch: None, apparmor: None, trial, exe: "/usr/bin/cove".into() }
    }

    #[test]
    fn allowed_when_the_try_succeeds() {
        let f = assess(&ev(false, Trial::Succeeded));
        assert_eq!(f.status, Support::Enforced);
        assert!(f.detail.contains("succeeded") && f.detail.contains("15000"));
    }

    #[test]
    fn zero_limit_blocks_even_root() {
        let f = assess(&Evidence { max: Some(0), ..ev(true, Trial::Failed("no space".into())) });
        assert_eq!(f.status, Support::Unavailable);
        assert_eq!(f.fix.as_deref(), Some("sysctl -w user.max_user_namespaces=15000"));
    }

    #[test]
    fn unprivileged_switches_spare_root() {
        let debian = Evidence { clone_switch: Some(0), ..ev(false, Trial::Failed("denied".into())) };
        assert_eq!(assess(&debian).fix.as_deref(), Some("sysctl -w kernel.unprivileged_userns_clone=1"));
        let ubuntu = Evidence { apparmor: Some(1), ..ev(false, Trial::Succeeded) };
        let f = assess(&ubuntu);
        assert_eq!(f.status, Support::Unavailable);
        assert!(f.fix.unwrap().contains("profile cove /usr/bin/cove"));
        let root = Evidence { clone_switch: Some(0), apparmor: Some(1), ..ev(true, Trial::Succeeded) };
        assert_eq!(assess(&root).status, Support::Enforced);
    }

    #[test]
    fn a_failed_try_is_unavailable_without_a_known_fix() {
        let f = assess(&ev(false, Trial::Failed("unshare failed: Operation not permitted".into())));
        assert_eq!(f.status, Support::Unavailable);
        assert!(f.fix.is_none() && f.detail.contains("Operation not permitted"));
        assert!(assess(&ev(false, Trial::NotRun)).detail.contains("not installed"));
    }
}
