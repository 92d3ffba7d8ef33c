//! The `cgroups` verdict: from the layout and per-controller usability to
//! enforced / degraded / unavailable, the reason, and the fix (systemd
//! delegation for rootless callers).

use super::{degraded, enforced, unavailable};
use crate::cgroup::mounts::CgroupMount;
pub use crate::cgroup::place::Via;
use cove_core::backend::Feature;

const KEY: &str = "cgroups";

/// A systemd drop-in delegating the usual controllers to every user.
const DROPIN: &str = "mkdir -p /etc/systemd/system/user@.service.d && printf '[Service]\\nDelegate=cpu cpuset io memory pids\\n' \
     > /etc/systemd/system/user@.service.d/delegate.conf && systemctl daemon-reload";

/// How the cgroup hierarchies are arranged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layout {
    /// No cgroup filesystem mounted.
    None,
    /// Only v1 hierarchies hold controllers.
    V1,
    /// One unified v2 hierarchy, no v1 controllers.
    V2,
    /// v1 controllers plus a cgroup2 mount (systemd's "hybrid").
    Hybrid,
}

impl Layout {
    /// The layout by which hierarchies hold controllers: a cgroup2 mount
    /// next to v1 controller hierarchies is hybrid, not v2.
    pub fn of(mounts: &[CgroupMount]) -> Layout {
        let v1 = mounts.iter().any(|m| m.v1.as_ref().is_some_and(|c| !c.is_empty()));
        let v2 = mounts.iter().any(|m| m.v1.is_none());
        match (v1, v2) {
            (false, false) => Layout::None,
            (true, false) => Layout::V1,
            (false, true) => Layout::V2,
            (true, true) => Layout::Hybrid,
        }
    }

    /// Lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            Layout::None => "no cgroup",
            Layout::V1 => "v1",
            Layout::V2 => "v2",
            Layout::Hybrid => "hybrid",
        }
    }
}

/// Everything the verdict depends on.
#[derive(Clone, Debug)]
pub struct Evidence {
    /// The caller is root.
    pub root: bool,
    /// The caller's uid.
    pub uid: u32,
    /// The layout.
    pub layout: Layout,
    /// The caller's v2 cgroup path.
    pub v2_path: Option<String>,
    /// Whether that cgroup is writable by the caller.
    pub delegated: bool,
    /// Each wanted controller and how it is usable, if at all.
    pub usable: Vec<(&'static str, Option<Via>)>,
}

/// The verdict.
pub fn assess(ev: &Evidence) -> Feature {
    let ok: Vec<String> = ev
        .usable
        .iter()
        .filter_map(|(c, via)| via.map(|v| format!("{c} ({})", if v == Via::V1 { "v1" } else { "v2" })))
        .collect();
    let missing: Vec<&str> = ev.usable.iter().filter(|(_, via)| via.is_none()).map(|(c, _)| *c).collect();
    let who = if ev.root { "root" } else { "this user" };
    if missing.is_empty() {
        return enforced(KEY, format!("{} layout; usable by {who}: {}", ev.layout.name(), ok.join(", ")));
    }
    let usable = if ok.is_empty() { String::new() } else { format!("usable: {}; ", ok.join(", ")) };
    let detail =
        format!("{} layout; {usable}not usable by {who}: {} ({})", ev.layout.name(), missing.join(", "), reason(ev));
    match fix(ev) {
        Some(fix) if !ok.is_empty() => degraded(KEY, detail, fix),
        fix => unavailable(KEY, detail, fix),
    }
}

/// Why the missing controllers are not usable.
fn reason(ev: &Evidence) -> String {
    if ev.layout == Layout::None {
        return "no cgroup filesystem is mounted".into();
    }
    if ev.root {
        return "not mounted read-write, or disabled in the kernel".into();
    }
    let mut why = Vec::new();
    if matches!(ev.layout, Layout::V1 | Layout::Hybrid) {
        why.push("v1 hierarchies are writable by root only".to_owned());
    }
    match (&ev.v2_path, ev.delegated) {
        (Some(p), false) => why.push(format!("v2 cgroup {p} is not delegated to uid {}", ev.uid)),
        (Some(p), true) => why.push(format!("v2 cgroup {p} is delegated but its cgroup.controllers lacks them")),
        (None, _) => {}
    }
    why.join("; ")
}

/// How to make the missing controllers usable.
fn fix(ev: &Evidence) -> Option<String> {
    Some(match (ev.layout, ev.root, ev.delegated) {
        (Layout::None, ..) => "mount -t cgroup2 none /sys/fs/cgroup".into(),
        (_, true, _) => "mount the cgroup hierarchies read-write and check the kernel command line for \
                         cgroup_disable= (or a missing cgroup_enable=memory)"
            .into(),
        (Layout::V1 | Layout::Hybrid, false, _) => format!(
            "boot with systemd.unified_cgroup_hierarchy=1 on the kernel command line (pure cgroup v2), then delegate \
             controllers to users: {DROPIN}; or run cove as root"
        ),
        (Layout::V2, false, false) => format!(
            "run cove in a delegated cgroup: systemd-run --user --scope -p Delegate=yes cove ...; \
             if user@.service does not delegate yet: {DROPIN}"
        ),
        (Layout::V2, false, true) => format!("delegate the missing controllers: {DROPIN}, then log in again"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cgroup::mounts::parse_mountinfo;
    use cove_core::backend::Support;

    const HYBRID: &str = "32 31 0:29 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n\
                          40 31 0:37 / /sys/fs/cgroup/systemd rw - cgroup cgroup rw,name=systemd\n\
                          41 31 0:38 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw\n";

    #[test]
    fn a_cgroup2_mount_alone_is_not_v2() {
        assert_eq!(Layout::of(&parse_mountinfo(HYBRID)), Layout::Hybrid);
        let named_only = "40 31 0:37 / /sys/fs/cgroup/systemd rw - cgroup cgroup rw,name=systemd\n\
                          41 31 0:38 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n";
        assert_eq!(Layout::of(&parse_mountinfo(named_only)), Layout::V2);
        assert_eq!(Layout::of(&parse_mountinfo(HYBRID.lines().next().unwrap())), Layout::V1);
        assert_eq!(Layout::of(&[]), Layout::None);
    }

    fn ev(root: bool, layout: Layout, delegated: bool, via: Option<Via>) -> Evidence {
        let usable = vec![("memory", via), ("cpu", via), ("pids", via), ("cpuset", via)];
        Evidence { root, uid: 1001, layout, v2_path: Some("/".into()), delegated, usable }
    }

    #[test]
    fn root_on_hybrid_uses_v1() {
        let f = assess(&ev(true, Layout::Hybrid, true, Some(Via::V1)));
        assert_eq!(f.status, Support::Enforced);
        assert!(f.detail.contains("memory (v1)"));
    }

    #[test]
    fn rootless_on_hybrid_needs_unified_hierarchy() {
        let f = assess(&ev(false, Layout::Hybrid, false, None));
        assert_eq!(f.status, Support::Unavailable);
        assert!(f.detail.contains("not delegated to uid 1001"));
        let fix = f.fix.unwrap();
        assert!(fix.contains("systemd.unified_cgroup_hierarchy=1") && fix.contains("Delegate="));
    }

    #[test]
    fn partial_delegation_is_degraded() {
        let mut e = ev(false, Layout::V2, true, Some(Via::V2));
        e.usable[3].1 = None;
        let f = assess(&e);
        assert_eq!(f.status, Support::Degraded);
        assert!(f.detail.contains("not usable by this user: cpuset"));
        assert!(f.fix.unwrap().starts_with("delegate the missing controllers"));
        let f = assess(&ev(false, Layout::V2, false, None));
        assert!(f.fix.unwrap().contains("systemd-run --user --scope -p Delegate=yes"));
    }
}
