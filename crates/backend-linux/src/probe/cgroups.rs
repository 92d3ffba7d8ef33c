//! `cgroups`: the layout (v1, v2 or hybrid, by which hierarchy holds which
//! controllers) and which of memory, cpu, pids and cpuset this caller can
//! use: as root any mounted read-write hierarchy, rootless only a delegated
//! (writable) v2 cgroup. The verdict and its fix are in `cgroup_verdict`.

use super::cgroup_mounts::{CgroupMount, SelfCgroup, cgroup_dir, parse_mountinfo, parse_self_cgroup};
use super::cgroup_verdict::{Evidence, Layout, Via, assess};
use super::host::{Host, read_text};
use cove_core::backend::Feature;
use std::path::Path;

/// The controllers cove sets limits with.
const WANTED: [&str; 4] = ["memory", "cpu", "pids", "cpuset"];

/// The cgroup facts and the `cgroups` feature.
pub struct CgroupProbe {
    /// `cgroups` (layout and controllers) and `cgroup (self)`.
    pub facts: Vec<(String, String)>,
    /// The `cgroups` feature.
    pub feature: Feature,
}

/// Reads the mounts and the caller's cgroups, then judges them.
pub fn probe(host: &Host) -> CgroupProbe {
    let mounts = parse_mountinfo(&read_text("/proc/self/mountinfo").unwrap_or_default());
    let me = parse_self_cgroup(&read_text("/proc/self/cgroup").unwrap_or_default());
    let v2 = mounts.iter().filter(|m| m.v1.is_none()).min_by_key(|m| m.mount_point != "/sys/fs/cgroup");
    let v2_root = v2.map(|m| controllers_in(Path::new(&m.mount_point))).unwrap_or_default();
    let v2_self = v2.zip(me.v2.as_deref()).map(|(m, p)| cgroup_dir(m, p));
    let delegated = v2.is_some_and(|m| !m.read_only) && v2_self.as_deref().is_some_and(is_delegated);
    let v2_usable = if host.is_root() {
        v2.filter(|m| !m.read_only && writable(Path::new(&m.mount_point))).map(|_| v2_root.clone())
    } else {
        v2_self.as_deref().filter(|_| delegated).map(controllers_in)
    };
    let usable = WANTED
        .iter()
        .map(|c| {
            let via = if v1_usable(&mounts, &me, c) {
                Some(Via::V1)
            } else {
                v2_usable.as_ref().is_some_and(|list| list.iter().any(|x| x == c)).then_some(Via::V2)
            };
            (*c, via)
        })
        .collect();
    let ev = Evidence {
        root: host.is_root(),
        uid: host.uid,
        layout: Layout::of(&mounts),
        v2_path: me.v2.clone(),
        delegated,
        usable,
    };
    CgroupProbe { facts: facts(&ev, &mounts, &v2_root, &me), feature: assess(&ev) }
}

/// Whether a v1 hierarchy holding `controller` is mounted read-write and
/// the caller can create cgroups under its own cgroup there.
fn v1_usable(mounts: &[CgroupMount], me: &SelfCgroup, controller: &str) -> bool {
    let Some(mount) = mounts.iter().find(|m| m.v1.as_ref().is_some_and(|c| c.iter().any(|x| x == controller))) else {
        return false;
    };
    let path = me.v1_path(controller).unwrap_or("/");
    !mount.read_only && writable(&cgroup_dir(mount, path))
}

/// A v2 cgroup is delegated to the caller when it may create children and
/// move processes and enable controllers in it.
fn is_delegated(dir: &Path) -> bool {
    writable(dir) && writable(&dir.join("cgroup.procs")) && writable(&dir.join("cgroup.subtree_control"))
}

fn writable(path: &Path) -> bool {
    rustix::fs::access(path, rustix::fs::Access::WRITE_OK).is_ok()
}

/// The controllers listed in a v2 cgroup's `cgroup.controllers`.
fn controllers_in(dir: &Path) -> Vec<String> {
    let text = read_text(dir.join("cgroup.controllers")).unwrap_or_default();
    text.split_whitespace().map(str::to_owned).collect()
}

/// `cgroups: hybrid (v1: cpu,memory,...; v2: none)` and the caller's cgroup.
fn facts(ev: &Evidence, mounts: &[CgroupMount], v2_root: &[String], me: &SelfCgroup) -> Vec<(String, String)> {
    let mut v1: Vec<&str> = mounts.iter().filter_map(|m| m.v1.as_ref()).flatten().map(String::as_str).collect();
    v1.sort_unstable();
    v1.dedup();
    let list = |l: Vec<&str>| if l.is_empty() { "none".to_owned() } else { l.join(",") };
    let v2 = list(v2_root.iter().map(String::as_str).collect());
    let summary = match ev.layout {
        Layout::None => "none mounted".to_owned(),
        Layout::V1 => format!("v1 ({})", list(v1)),
        Layout::V2 => format!("v2 ({v2})"),
        Layout::Hybrid => format!("hybrid (v1: {}; v2: {v2})", list(v1)),
    };
    let mut facts = vec![("cgroups".to_owned(), summary)];
    let own = me.v2.clone().or_else(|| me.v1_path("memory").map(str::to_owned));
    if let Some(own) = own {
        let delegated = if ev.layout == Layout::V1 || ev.delegated { "" } else { ", not delegated" };
        facts.push(("cgroup (self)".to_owned(), format!("{own}{delegated}")));
    }
    facts
}
