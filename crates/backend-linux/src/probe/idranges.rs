//! `id_ranges`: can a rootless caller map more than its own uid and gid?
//! That needs subordinate ranges in `/etc/subuid` and `/etc/subgid` (by name
//! or uid) and privileged `newuidmap`/`newgidmap` helpers in `PATH`.

use super::host::{Host, find_in_path, passwd_name, read_text};
use super::{degraded, enforced};
use cove_core::backend::Feature;
use cove_core::plan::SubIds;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

const KEY: &str = "id_ranges";

/// Where subordinate ranges usually start.
const FIRST_SUBID: u64 = 100_000;
/// The conventional size of one user's range.
const RANGE_SIZE: u64 = 65_536;

/// One subordinate range, `start` and `count` as in `/etc/subuid`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SubRange {
    /// First host id.
    pub start: u64,
    /// How many ids.
    pub count: u64,
}

/// A `newuidmap`-style helper as found in `PATH`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Helper {
    /// Not in `PATH`.
    Missing,
    /// Present but neither setuid root nor carrying file capabilities.
    Unprivileged(PathBuf),
    /// Present and privileged (`how` says setuid root or file capabilities).
    Ready(PathBuf, &'static str),
}

/// Everything the verdict depends on.
#[derive(Clone, Debug)]
pub struct Evidence {
    /// The caller is root, who maps every id directly.
    pub root: bool,
    /// The caller's name, or uid.
    pub user: String,
    /// Ranges in `/etc/subuid` for the caller.
    pub subuid: Vec<SubRange>,
    /// Ranges in `/etc/subgid` for the caller.
    pub subgid: Vec<SubRange>,
    /// `newuidmap`.
    pub newuidmap: Helper,
    /// `newgidmap`.
    pub newgidmap: Helper,
    /// First id after every range already handed out, for the fix.
    pub free: u64,
}

/// Gathers the evidence and judges it.
pub fn probe(host: &Host) -> Feature {
    let subuid = read_text("/etc/subuid").unwrap_or_default();
    let subgid = read_text("/etc/subgid").unwrap_or_default();
    let name = host.user.as_deref();
    assess(&Evidence {
        root: host.is_root(),
        user: host.user_label(),
        subuid: ranges_for(&subuid, name, host.uid),
        subgid: ranges_for(&subgid, name, host.uid),
        newuidmap: helper("newuidmap"),
        newgidmap: helper("newgidmap"),
        free: first_free(&subuid).max(first_free(&subgid)),
    })
}

/// The caller's first subordinate uid and gid ranges, when they can be
/// mapped: root writes maps itself, anyone else needs both setuid helpers
/// (`None` with `COVE_SUBIDS=off`).
pub fn caller_subids(uid: u32) -> Option<SubIds> {
    if std::env::var("COVE_SUBIDS").is_ok_and(|v| v == "off" || v == "0") {
        return None;
    }
    let name = read_text("/etc/passwd").and_then(|t| passwd_name(&t, uid));
    let first = |file: &str| ranges_for(&read_text(file)?, name.as_deref(), uid).into_iter().next();
    let (u, g) = (first("/etc/subuid")?, first("/etc/subgid")?);
    let ready = |h| matches!(helper(h), Helper::Ready(..));
    if uid != 0 && !(ready("newuidmap") && ready("newgidmap")) {
        return None;
    }
    let fit = |v: u64| u32::try_from(v).ok();
    Some(SubIds {
        uid_start: fit(u.start)?,
        uid_count: fit(u.count.min(u64::from(u32::MAX)))?,
        gid_start: fit(g.start)?,
        gid_count: fit(g.count.min(u64::from(u32::MAX)))?,
    })
}

/// The caller's ranges in `/etc/subuid`-format text (`owner:start:count`,
/// the owner being a login name or a decimal uid).
pub fn ranges_for(text: &str, name: Option<&str>, uid: u32) -> Vec<SubRange> {
    let uid = uid.to_string();
    entries(text).filter(|(owner, _)| Some(*owner) == name || *owner == uid).map(|(_, r)| r).collect()
}

/// The first id at or above 100000 after every range in the text.
pub fn first_free(text: &str) -> u64 {
    entries(text).map(|(_, r)| r.start + r.count).fold(FIRST_SUBID, u64::max)
}

fn entries(text: &str) -> impl Iterator<Item = (&str, SubRange)> {
    text.lines().filter_map(|line| {
        let mut fields = line.trim().split(':');
        let owner = fields.next().filter(|o| !o.is_empty() && !o.starts_with('#'))?;
        let start = fields.next()?.parse().ok()?;
        let count = fields.next()?.parse().ok().filter(|c| *c > 0)?;
        Some((owner, SubRange { start, count }))
    })
}

/// Finds a helper and whether it can write maps for the caller.
fn helper(name: &str) -> Helper {
    let Some(path) = find_in_path(name) else { return Helper::Missing };
    match privilege(&path) {
        Some(how) => Helper::Ready(path, how),
        None => Helper::Unprivileged(path),
    }
}

fn privilege(path: &Path) -> Option<&'static str> {
    let meta = std::fs::metadata(path).ok()?;
    if meta.uid() == 0 && meta.mode() & 0o4000 != 0 {
        return Some("setuid root");
    }
    let mut buf = [0u8; 64];
    rustix::fs::getxattr(path, "security.capability", &mut buf[..]).ok().map(|_| "file capabilities")
}

/// The verdict: root or ranges plus helpers are enforced; else single-id.
pub fn assess(ev: &Evidence) -> Feature {
    if ev.root {
        return enforced(KEY, "caller is root: every id maps to itself, no subordinate ranges needed");
    }
    let mut problems = Vec::new();
    let mut fixes = Vec::new();
    for (file, ranges) in [("/etc/subuid", &ev.subuid), ("/etc/subgid", &ev.subgid)] {
        if ranges.is_empty() {
            problems.push(format!("no {file} entry for {}", ev.user));
        }
    }
    if !problems.is_empty() {
        let (a, b) = (ev.free, ev.free + RANGE_SIZE - 1);
        fixes.push(format!("usermod --add-subuids {a}-{b} --add-subgids {a}-{b} {}", ev.user));
    }
    let helpers = [&ev.newuidmap, &ev.newgidmap];
    if helpers.iter().any(|h| **h == Helper::Missing) {
        problems.push("newuidmap/newgidmap not found in PATH".into());
        fixes.insert(0, "apt-get install uidmap".into());
    }
    for h in helpers {
        if let Helper::Unprivileged(p) = h {
            problems.push(format!("{} is neither setuid root nor has file capabilities", p.display()));
            fixes.push(format!("chmod u+s {}", p.display()));
        }
    }
    if problems.is_empty() {
        return enforced(KEY, format!("{}; containers map 0-65535 (COVE_SUBIDS=off maps a single id)", found(ev)));
    }
    degraded(KEY, format!("single-id mapping only: {}", problems.join("; ")), fixes.join("; "))
}

/// What was found, when everything is in place.
fn found(ev: &Evidence) -> String {
    let show = |r: &[SubRange]| r.iter().map(|r| format!("{}+{}", r.start, r.count)).collect::<Vec<_>>().join(",");
    let how = match &ev.newuidmap {
        Helper::Ready(_, how) => *how,
        _ => "",
    };
    format!("subuid {} and subgid {} for {}; newuidmap/newgidmap {how}", show(&ev.subuid), show(&ev.subgid), ev.user)
}

#[cfg(test)]
mod tests {
    use super::*;
    use cove_core::backend::Support;

    const SUBUID: &str = "alice:100000:65536\n1001:300000:1000\n# note\nbob:165536:65536\nbroken:x:1\n";

    #[test]
    fn matches_by_name_and_by_uid() {
        let r = ranges_for(SUBUID, Some("covetest"), 1001);
        assert_eq!(r, vec![SubRange { start: 300_000, count: 1000 }]);
        let r = ranges_for(SUBUID, Some("alice"), 1000);
        assert_eq!(r, vec![SubRange { start: 100_000, count: 65_536 }]);
        assert!(ranges_for(SUBUID, None, 5).is_empty());
    }

    #[test]
    fn free_start_follows_existing_ranges() {
        assert_eq!(first_free(SUBUID), 301_000);
        assert_eq!(first_free(""), 100_000);
    }

    fn ev(ranges: bool, helper: Helper) -> Evidence {
        let r = if ranges { vec![SubRange { start: 100_000, count: 65_536 }] } else { vec![] };
        Evidence {
            root: false,
            user: "covetest".into(),
            subuid: r.clone(),
            subgid: r,
            newuidmap: helper.clone(),
            newgidmap: helper,
            free: 100_000,
        }
    }

    #[test]
    fn ranges_and_helpers_are_enforced() {
        let f = assess(&ev(true, Helper::Ready("/usr/bin/newuidmap".into(), "setuid root")));
        assert_eq!(f.status, Support::Enforced);
        assert!(f.detail.contains("100000+65536"));
    }

    #[test]
    fn missing_pieces_degrade_with_the_fix() {
        let f = assess(&ev(false, Helper::Missing));
        assert_eq!(f.status, Support::Degraded);
        let want = "apt-get install uidmap; usermod --add-subuids 100000-165535 --add-subgids 100000-165535 covetest";
        assert_eq!(f.fix.as_deref(), Some(want));
        let f = assess(&ev(true, Helper::Unprivileged("/usr/bin/newuidmap".into())));
        assert!(f.fix.unwrap().starts_with("chmod u+s /usr/bin/newuidmap"));
    }
}
