//! The `linux` section: namespaces, id mappings, devices and resources, and
//! the Linux fields cove refuses.

use super::OciError;
use crate::plan::limits::{CpuQuota, MIN_MEMORY, ResourceLimits};
use crate::plan::{HostIdentity, IdMap, IdRange, JoinedNamespace, Namespace, RootPropagation};
use oci_spec::runtime::{Linux, LinuxIdMapping, LinuxNamespaceType, LinuxResources};

/// The namespaces to create and those to join by path. A user namespace is
/// always made first (it owns the others; for a root caller without one in
/// the config it maps every id to itself) unless the config joins one.
/// Joined ones come back in the join order, user first.
pub(super) fn namespaces(lin: &Linux) -> Result<(Vec<Namespace>, Vec<JoinedNamespace>), OciError> {
    refuse(lin)?;
    let mut new = vec![Namespace::User];
    let mut joined: Vec<JoinedNamespace> = Vec::new();
    for ns in lin.namespaces().as_deref().unwrap_or_default() {
        let kind = match ns.typ() {
            LinuxNamespaceType::User => Namespace::User,
            LinuxNamespaceType::Mount => Namespace::Mount,
            LinuxNamespaceType::Pid => Namespace::Pid,
            LinuxNamespaceType::Uts => Namespace::Uts,
            LinuxNamespaceType::Ipc => Namespace::Ipc,
            LinuxNamespaceType::Cgroup => Namespace::Cgroup,
            LinuxNamespaceType::Network => Namespace::Net,
            other => return Err(OciError::unsupported("linux.namespaces", format!("{other} namespaces"))),
        };
        if (kind != Namespace::User && new.contains(&kind)) || joined.iter().any(|j| j.kind == kind) {
            return Err(OciError::invalid("linux.namespaces", format!("{} listed twice", ns.typ())));
        }
        match ns.path() {
            Some(path) if kind == Namespace::Mount => {
                let detail =
                    format!("joining a mount namespace ({}): cove builds the root in a new one", path.display());
                return Err(OciError::unsupported("linux.namespaces[].path", detail));
            }
            // A Linux path whatever OS parses the config (`is_absolute` would
            // want a drive letter on Windows).
            Some(path) if !path.to_string_lossy().starts_with('/') => {
                return Err(OciError::invalid(
                    "linux.namespaces[].path",
                    format!("{} is not absolute", path.display()),
                ));
            }
            Some(path) => {
                new.retain(|n| *n != kind);
                joined.push(JoinedNamespace { kind, path: path.clone() });
            }
            None if kind == Namespace::User => {}
            None => new.push(kind),
        }
    }
    if !new.contains(&Namespace::Mount) {
        return Err(OciError::unsupported("linux.namespaces", "running without a mount namespace"));
    }
    joined.sort_by_key(|j| crate::exec::JOIN_ORDER.iter().position(|k| *k == j.kind));
    Ok((new, joined))
}

/// `uidMappings`/`gidMappings`, or the identity map for a root caller whose
/// config has no user namespace.
pub(super) fn id_map(lin: &Linux, host: HostIdentity) -> Result<IdMap, OciError> {
    let namespaces = lin.namespaces().as_deref().unwrap_or_default();
    let userns = namespaces.iter().any(|n| n.typ() == LinuxNamespaceType::User);
    let (uids, gids) = (ranges(lin.uid_mappings()), ranges(lin.gid_mappings()));
    if namespaces.iter().any(|n| n.typ() == LinuxNamespaceType::User && n.path().is_some()) {
        // A joined user namespace has its maps already; nothing is written
        // and every id is taken as mapped (the kernel has the last word).
        let all = vec![IdRange { inside: 0, outside: 0, count: u32::MAX }];
        return Ok(IdMap { uids: all.clone(), gids: all, setgroups: true, helper: false });
    }
    if !userns {
        if !uids.is_empty() || !gids.is_empty() {
            return Err(OciError::invalid("linux.uidMappings", "set without a user namespace"));
        }
        if host.uid != 0 {
            let detail = "a rootless caller needs a user namespace (generate the config with `runc spec --rootless`)";
            return Err(OciError::unsupported("linux.namespaces", detail));
        }
        let all = vec![IdRange { inside: 0, outside: 0, count: u32::MAX }];
        return Ok(IdMap { uids: all.clone(), gids: all, setgroups: true, helper: false });
    }
    if uids.is_empty() && gids.is_empty() {
        // As crun: a user namespace without mappings maps 0 to the caller.
        let own = |id| vec![IdRange { inside: 0, outside: id, count: 1 }];
        return Ok(IdMap { uids: own(host.uid), gids: own(host.gid), setgroups: host.uid == 0, helper: false });
    }
    if uids.is_empty() || gids.is_empty() {
        return Err(OciError::invalid("linux.uidMappings", "uidMappings and gidMappings go together"));
    }
    if host.uid == 0 {
        return Ok(IdMap { uids, gids, setgroups: true, helper: false });
    }
    let own = |r: &[IdRange], id: u32| r.len() == 1 && r[0].outside == id && r[0].count == 1;
    if own(&uids, host.uid) && own(&gids, host.gid) {
        return Ok(IdMap { uids, gids, setgroups: false, helper: false });
    }
    if host.subids.is_none() {
        let detail =
            "mapping ids other than your own needs newuidmap/newgidmap and a range in /etc/subuid and /etc/subgid";
        return Err(OciError::invalid("linux.uidMappings", detail));
    }
    Ok(IdMap { uids, gids, setgroups: true, helper: true })
}

fn ranges(m: &Option<Vec<LinuxIdMapping>>) -> Vec<IdRange> {
    let m = m.as_deref().unwrap_or_default();
    m.iter().map(|r| IdRange { inside: r.container_id(), outside: r.host_id(), count: r.size() }).collect()
}

/// Devices the runtime supplies anyway (runtime-spec "Default Devices").
const DEFAULT_DEVICES: &[&str] =
    &["/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom", "/dev/tty", "/dev/console"];

/// `linux.devices` beyond the default ones (which cove binds anyway): cove
/// cannot create device nodes (a user namespace may not), so each one is
/// bound from a host node of the same type and number, which the runtime
/// finds ([`super::Device`]).
pub(super) fn devices(lin: &Linux) -> Result<Vec<super::Device>, OciError> {
    let mut out = Vec::new();
    for d in lin.devices().as_deref().unwrap_or_default() {
        let path = d.path().display().to_string();
        if DEFAULT_DEVICES.contains(&path.as_str()) {
            continue;
        }
        if !path.starts_with("/dev/") || path.split('/').any(|c| c == "..") {
            return Err(OciError::invalid("linux.devices", format!("{path}: a device goes under /dev")));
        }
        let block = match d.typ() {
            oci_spec::runtime::LinuxDeviceType::C | oci_spec::runtime::LinuxDeviceType::U => false,
            oci_spec::runtime::LinuxDeviceType::B => true,
            other => return Err(OciError::unsupported("linux.devices", format!("{path}: device type {other:?}"))),
        };
        out.push(super::Device { path, block, major: d.major(), minor: d.minor() });
    }
    Ok(out)
}

/// `linux.resources` → memory, CPU quota and task limits.
pub(super) fn limits(lin: &Linux) -> Result<ResourceLimits, OciError> {
    let mut out = lin.resources().as_ref().map_or_else(|| Ok(ResourceLimits::default()), resources)?;
    let path = lin.cgroups_path().as_ref().map(|p| p.display().to_string()).filter(|p| !p.is_empty());
    if let Some(p) = &path
        && (p.contains(':') || p.split('/').any(|c| c == ".."))
    {
        let detail = format!("{p:?}: a systemd slice:prefix:name or a path with .. (use --cgroup-manager cgroupfs)");
        return Err(OciError::unsupported("linux.cgroupsPath", detail));
    }
    out.cgroup_path = path;
    Ok(out)
}

/// One `LinuxResources` object (`linux.resources`, or `update --resources`).
pub(super) fn resources(r: &LinuxResources) -> Result<ResourceLimits, OciError> {
    refuse_resources(r)?;
    let mut out = ResourceLimits::default();
    if let Some(m) = r.memory() {
        let unsupported = m.kernel().is_some()
            || m.kernel_tcp().is_some()
            || m.swappiness().is_some()
            || m.disable_oom_killer() == Some(true);
        if unsupported {
            let detail = "only limit, reservation and swap (no swap is allowed on top of the limit)";
            return Err(OciError::unsupported("linux.resources.memory", detail));
        }
        out.memory_reservation = m.reservation().filter(|r| *r > 0).map(|r| r as u64);
        if let Some(limit) = m.limit().filter(|l| *l > 0) {
            let limit = limit as u64;
            if limit < MIN_MEMORY {
                return Err(OciError::invalid("linux.resources.memory.limit", "the minimum is 6291456 bytes"));
            }
            out.memory = Some(limit);
        }
    }
    if let Some(c) = r.cpu() {
        let unsupported = c.idle().is_some()
            || c.burst().is_some()
            || c.realtime_runtime().is_some()
            || c.realtime_period().is_some();
        if unsupported {
            return Err(OciError::unsupported("linux.resources.cpu", "only shares, quota, period, cpus and mems"));
        }
        out.cpu_shares = c.shares().filter(|s| *s > 0);
        if let Some(s) = out.cpu_shares.filter(|s| !crate::plan::limits::CPU_SHARES.contains(s)) {
            return Err(OciError::invalid("linux.resources.cpu.shares", format!("{s} is outside 2-262144")));
        }
        out.cpuset_cpus = cpu_list("linux.resources.cpu.cpus", c.cpus())?;
        out.cpuset_mems = cpu_list("linux.resources.cpu.mems", c.mems())?;
        if let Some(quota) = c.quota().filter(|q| *q > 0) {
            let period_us = c.period().unwrap_or(crate::plan::limits::CPU_PERIOD_US);
            out.cpu = Some(CpuQuota { quota_us: quota as u64, period_us });
        }
    }
    if let Some(p) = r.pids().filter(|p| p.limit() > 0) {
        out.pids = Some(p.limit() as u64);
    }
    Ok(out)
}

/// A cpuset list (`0-3,5`), normalised; empty is none.
fn cpu_list(field: &str, text: &Option<String>) -> Result<Option<String>, OciError> {
    let Some(text) = text.as_deref().filter(|t| !t.is_empty()) else { return Ok(None) };
    match crate::plan::cpuset::parse(text) {
        Some(set) if !set.is_empty() => Ok(Some(crate::plan::cpuset::format(&set))),
        _ => Err(OciError::invalid(field, format!("{text:?} is not a list such as 0-3,5"))),
    }
}

/// Resource fields cove cannot enforce, and device rules that would allow
/// more than cove's fixed set (cove never creates device nodes, and a user
/// namespace cannot use any it did not bind, so "deny all" holds as is).
fn refuse_resources(r: &LinuxResources) -> Result<(), OciError> {
    for (field, set) in [
        ("linux.resources.blockIO", r.block_io().is_some()),
        ("linux.resources.hugepageLimits", r.hugepage_limits().as_ref().is_some_and(|v| !v.is_empty())),
        ("linux.resources.network", r.network().is_some()),
        ("linux.resources.rdma", r.rdma().as_ref().is_some_and(|v| !v.is_empty())),
        ("linux.resources.unified", r.unified().as_ref().is_some_and(|v| !v.is_empty())),
    ] {
        if set {
            return Err(OciError::unsupported(field, "this resource controller"));
        }
    }
    if let Some(first) = r.devices().as_deref().and_then(|d| d.first())
        && first.allow()
        && first.typ().is_none()
        && first.major().is_none()
    {
        return Err(OciError::unsupported("linux.resources.devices", "allowing every device"));
    }
    Ok(())
}

/// `linux.sysctl`: only sysctls of a namespace the container owns (runc's
/// rule); others would change the host and are refused.
/// `linux.sysctl`: namespaced keys only, each with its namespace made or
/// joined (a joined one is written only if the container holds the
/// capability over it: the kernel checks, so the host's stays out of reach).
pub(super) fn sysctls(
    lin: &Linux,
    namespaces: &[Namespace],
    joined: &[JoinedNamespace],
) -> Result<Vec<(String, String)>, OciError> {
    let mut out: Vec<(String, String)> = lin.sysctl().clone().unwrap_or_default().into_iter().collect();
    out.sort();
    for (key, _) in &out {
        let ipc = key.starts_with("kernel.msg")
            || key.starts_with("kernel.shm")
            || key == "kernel.sem"
            || key.starts_with("fs.mqueue.");
        let needs = if ipc {
            Namespace::Ipc
        } else if key.starts_with("net.") {
            Namespace::Net
        } else if key == "kernel.hostname" || key == "kernel.domainname" {
            Namespace::Uts
        } else {
            return Err(OciError::unsupported("linux.sysctl", format!("{key} is not namespaced")));
        };
        let clean = key.split('.').all(|p| !p.is_empty() && p != ".." && !p.contains('/'));
        if !clean {
            return Err(OciError::invalid("linux.sysctl", format!("{key:?} is not a sysctl name")));
        }
        if !namespaces.contains(&needs) && !joined.iter().any(|j| j.kind == needs) {
            return Err(OciError::invalid(
                "linux.sysctl",
                format!("{key} needs the container's own {needs:?} namespace"),
            ));
        }
    }
    Ok(out)
}

/// Linux fields cove refuses when they are set.
fn refuse(lin: &Linux) -> Result<(), OciError> {
    let some_str = |s: &Option<String>| s.as_deref().is_some_and(|s| !s.is_empty());
    for (field, set) in [
        ("linux.mountLabel", some_str(lin.mount_label())),
        ("linux.intelRdt", lin.intel_rdt().is_some()),
        ("linux.memoryPolicy", lin.memory_policy().is_some()),
        ("linux.personality", lin.personality().is_some()),
        ("linux.timeOffsets", lin.time_offsets().as_ref().is_some_and(|m| !m.is_empty())),
        ("linux.netDevices", lin.net_devices().as_ref().is_some_and(|m| !m.is_empty())),
    ] {
        if set {
            return Err(OciError::unsupported(field, "this setting"));
        }
    }
    Ok(())
}

/// `linux.rootfsPropagation` (the `r` forms are the same: cove applies it
/// to the whole tree).
pub(super) fn root_propagation(lin: &Linux) -> Result<Option<RootPropagation>, OciError> {
    Ok(Some(match lin.rootfs_propagation().as_deref() {
        None | Some("") => return Ok(None),
        Some("private" | "rprivate") => RootPropagation::Private,
        Some("slave" | "rslave") => RootPropagation::Slave,
        Some("shared" | "rshared") => RootPropagation::Shared,
        Some("unbindable" | "runbindable") => RootPropagation::Unbindable,
        Some(other) => return Err(OciError::invalid("linux.rootfsPropagation", format!("unknown value {other:?}"))),
    }))
}
