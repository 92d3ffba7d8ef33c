//! `cgroups`: the layout (v1, v2 or hybrid, by which hierarchy holds which
//! controllers) and which of memory, cpu, pids and cpuset this caller can
//! use, decided by `cgroup::place` exactly as `cove run` decides where to
//! put a container's cgroups. The verdict and its fix are in
//! `cgroup_verdict`.

use super::cgroup_verdict::{Evidence, Layout, assess};
use super::host::Host;
use super::limits;
use crate::cgroup::create::{HostAccess, hierarchies};
use crate::cgroup::mounts::SelfCgroup;
use crate::cgroup::place::{Access, Hierarchies, Target, Via};
use cove_core::backend::Feature;
use std::path::Path;

/// The controllers cove sets limits with.
const WANTED: [&str; 4] = ["memory", "cpu", "pids", "cpuset"];

/// The cgroup facts and the `cgroups` and `limits` features.
pub struct CgroupProbe {
    /// `cgroups` (layout and controllers) and `cgroup (self)`.
    pub facts: Vec<(String, String)>,
    /// The `cgroups` feature.
    pub feature: Feature,
    /// The `limits` feature (flag by flag).
    pub limits: Feature,
}

/// Reads the mounts and the caller's cgroups, then judges them.
pub fn probe(host: &Host) -> CgroupProbe {
    let h = hierarchies();
    let v2_root = h.v2_mount().map(|m| HostAccess.controllers(Path::new(&m.mount_point))).unwrap_or_default();
    let targets: Vec<_> = WANTED.iter().map(|c| (*c, h.choose(c, &HostAccess))).collect();
    let usable: Vec<_> = targets.iter().map(|(c, t)| (*c, t.as_ref().map(|t| t.via))).collect();
    let memory = targets.iter().find(|(c, _)| *c == "memory").and_then(|(_, t)| t.as_ref());
    let ev = Evidence {
        root: host.is_root(),
        uid: host.uid,
        layout: Layout::of(&h.mounts),
        v2_path: h.me.v2.clone(),
        delegated: h.delegated(&HostAccess),
        usable: usable.clone(),
    };
    let feature = assess(&ev);
    let limits = limits::assess(&limits::Evidence {
        sys_resource: crate::rlimit::can_raise(),
        usable,
        swap_accounted: memory.is_some_and(swap_accounted),
        cgroup_fix: feature.fix.clone(),
    });
    CgroupProbe { facts: facts(&ev, &h, &v2_root, &h.me), feature, limits }
}

/// Whether the kernel accounts swap under `target` (the root v2 cgroup
/// has no swap files, so its children are looked at).
fn swap_accounted(target: &Target) -> bool {
    let file = if target.via == Via::V1 { "memory.memsw.limit_in_bytes" } else { "memory.swap.max" };
    target.base.join(file).exists()
        || std::fs::read_dir(&target.base).into_iter().flatten().flatten().any(|e| e.path().join(file).exists())
}

/// `cgroups: hybrid (v1: cpu,memory,...; v2: none)` and the caller's cgroup.
fn facts(ev: &Evidence, h: &Hierarchies, v2_root: &[String], me: &SelfCgroup) -> Vec<(String, String)> {
    let mut v1: Vec<&str> = h.mounts.iter().filter_map(|m| m.v1.as_ref()).flatten().map(String::as_str).collect();
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
