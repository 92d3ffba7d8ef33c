//! `seccomp`: does the kernel support seccomp filter mode? Evidence: the
//! `Seccomp:` line of `/proc/self/status` and the actions listed in
//! `/proc/sys/kernel/seccomp/actions_avail`.

use super::host::{read_text, status_field};
use super::{degraded, enforced, unavailable};
use cove_core::backend::Feature;

const KEY: &str = "seccomp";

/// Reads the evidence and judges it.
pub fn probe() -> Feature {
    let status = read_text("/proc/self/status").unwrap_or_default();
    let actions = read_text("/proc/sys/kernel/seccomp/actions_avail");
    assess(&status, actions.as_deref())
}

/// The verdict from `/proc/self/status` text and `actions_avail` text.
pub fn assess(status: &str, actions: Option<&str>) -> Feature {
    let Some(mode) = status_field(status, "Seccomp") else {
        let detail = "no Seccomp: line in /proc/self/status: kernel built without CONFIG_SECCOMP";
        return unavailable(KEY, detail, Some("a kernel with CONFIG_SECCOMP_FILTER=y required".into()));
    };
    let own = match (mode, status_field(status, "Seccomp_filters")) {
        ("0", _) => "cove itself is unfiltered".to_owned(),
        ("1", _) => "cove itself is in strict mode".to_owned(),
        (_, Some(n)) => format!("cove itself already runs under {n} filter(s)"),
        (m, None) => format!("cove itself is in mode {m}"),
    };
    let Some(actions) = actions.map(str::trim) else {
        let detail =
            format!("no /proc/sys/kernel/seccomp/actions_avail (kernel < 4.14?); filter mode unverified; {own}");
        return degraded(KEY, detail, "kernel >= 4.14 with CONFIG_SECCOMP_FILTER=y required");
    };
    let has = |a: &str| actions.split_whitespace().any(|x| x == a);
    if !(has("errno") && has("allow")) {
        let detail = format!("filter actions lack errno/allow (available: {actions}); {own}");
        return degraded(KEY, detail, "a kernel with CONFIG_SECCOMP_FILTER=y required");
    }
    enforced(KEY, format!("filter mode; actions: {actions}; {own}; containers get cove's default profile"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use cove_core::backend::Support;

    const ACTIONS: &str = "kill_process kill_thread trap errno user_notif trace log allow\n";

    #[test]
    fn filter_mode_with_actions_is_enforced() {
        let f = assess("Name:\tcove\nSeccomp:\t0\nSeccomp_filters:\t0\n", Some(ACTIONS));
        assert_eq!(f.status, Support::Enforced);
        assert!(f.detail.contains("user_notif") && f.detail.contains("unfiltered"));
        let nested = assess("Seccomp:\t2\nSeccomp_filters:\t3\n", Some(ACTIONS));
        assert!(nested.detail.contains("under 3 filter(s)"));
    }

    #[test]
    fn missing_support_is_reported() {
        assert_eq!(assess("Name:\tcove\n", Some(ACTIONS)).status, Support::Unavailable);
        assert_eq!(assess("Seccomp:\t0\n", None).status, Support::Degraded);
        assert_eq!(assess("Seccomp:\t0\n", Some("kill_thread trap")).status, Support::Degraded);
    }
}
