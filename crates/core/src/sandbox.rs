//! Plans for backends without mount namespaces (Windows, macOS): what such a
//! backend cannot carry out (refused before spawning, naming the flag), and
//! where each container path lives on the host. The process there sees host
//! paths; the container's own files live in a per-container directory, and
//! volumes are reached at their host paths.

use crate::plan::{MountStep, Plan, RootStep};
use std::path::{Path, PathBuf};

/// Kernel file systems of the Linux plan that have no counterpart here.
const LINUX_ONLY_TREES: &[&str] = &["/dev", "/proc", "/sys"];

/// A request this backend cannot enforce: refused with exit 125.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{flag} is not supported by the {backend} backend: {why}")]
pub struct Unsupported {
    /// The flag (or feature) as the user wrote it.
    pub flag: &'static str,
    /// The backend's name.
    pub backend: &'static str,
    /// Why, and what to do instead.
    pub why: String,
}

/// A host directory the container may use (a volume).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Volume {
    /// Host path.
    pub source: PathBuf,
    /// Container path it stands for.
    pub dest: String,
    /// Writes refused.
    pub read_only: bool,
    /// Running programs from it refused.
    pub noexec: bool,
}

/// The plan, laid out on the host.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Layout {
    /// Directories to create in the container dir (container paths).
    pub dirs: Vec<String>,
    /// Files to write in the container dir: container path, contents.
    pub files: Vec<(String, String)>,
    /// Scratch directories (`/tmp`, `--tmpfs`): container path, read-only, noexec.
    pub scratch: Vec<(String, bool, bool)>,
    /// Volumes.
    pub volumes: Vec<Volume>,
    /// Host paths mirrored read-only (the host system directories).
    pub mirrors: Vec<String>,
    /// Device names under `/dev` the plan gives the container.
    pub devices: Vec<String>,
    /// The container dir itself is read-only (`--read-only`).
    pub read_only_root: bool,
}

/// Where a container path is on the host.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Place {
    /// Inside the container dir: these path components below it.
    ContainerDir(Vec<String>),
    /// Inside a volume: its host path and the components below it.
    Volume(PathBuf, Vec<String>),
}

/// The first limit flag only Linux can enforce (cgroup files and per-process
/// rlimits set from outside), if `limits` asks for one.
fn linux_only_limit(l: &crate::plan::limits::ResourceLimits) -> Option<&'static str> {
    use crate::plan::limits::Swap;
    [
        (l.swap != Swap::Default, "--memory-swap"),
        (l.memory_reservation.is_some(), "--memory-reservation"),
        (l.cpu_shares.is_some(), "--cpu-shares"),
        (l.cpuset_cpus.is_some(), "--cpuset-cpus"),
        (l.cpuset_mems.is_some(), "--cpuset-mems"),
        (!l.rlimits.is_empty(), "--ulimit"),
        (l.oom_score_adj.is_some(), "--oom-score-adj"),
    ]
    .into_iter()
    .find_map(|(asked, flag)| asked.then_some(flag))
}

/// Lays `plan` out for `backend`, refusing what it cannot carry out.
/// `source_exists` answers for optional bind sources (skipped when missing).
pub fn layout(
    plan: &Plan,
    backend: &'static str,
    source_exists: &dyn Fn(&Path) -> bool,
) -> Result<Layout, Unsupported> {
    let refuse = |flag, why: &str| Err(Unsupported { flag, backend, why: why.to_owned() });
    if !matches!(plan.root, RootStep::Tmpfs) {
        return refuse(
            "--rootfs (and running an image)",
            "there is no unprivileged way to give a process its own root directory; use the zero-setup sandbox",
        );
    }
    if plan.process.uid != 0 || plan.process.gid != 0 {
        return refuse("--user", "the command runs as the calling user, inside the sandbox");
    }
    if plan.process.terminal {
        return refuse("--tty", "pseudo-terminals are not built for this backend yet; run without -t");
    }
    if plan.process.seccomp.as_ref().is_some_and(|p| *p != crate::seccomp::default_profile()) {
        return refuse("--security-opt seccomp=FILE", "seccomp is a Linux kernel feature");
    }
    if let Some(flag) = linux_only_limit(&plan.limits) {
        return refuse(flag, "this limit exists only as a Linux cgroup or rlimit setting");
    }
    if plan.domainname.is_some() {
        return refuse("--domainname", "there is no UTS namespace to set it in");
    }
    if !plan.sysctls.is_empty() {
        return refuse("--sysctl", "sysctls are Linux kernel settings");
    }
    let mut out = Layout { read_only_root: plan.read_only_root, ..Layout::default() };
    for step in &plan.mounts {
        lay_out(step, &mut out, source_exists).map_err(|(flag, why)| Unsupported { flag, backend, why })?;
    }
    Ok(out)
}

fn lay_out(step: &MountStep, out: &mut Layout, exists: &dyn Fn(&Path) -> bool) -> Result<(), (&'static str, String)> {
    match step {
        MountStep::Mirror { path, .. } => out.mirrors.push(path.clone()),
        MountStep::Device { name, .. } => out.devices.push(name.clone()),
        MountStep::Dir { path, .. } if !linux_only(path) => out.dirs.push(path.clone()),
        MountStep::File { path, contents, .. } if !linux_only(path) => out.files.push((path.clone(), contents.clone())),
        MountStep::Tmpfs { dest, size, flags, .. } if !linux_only(dest) => {
            if size.is_some() {
                return Err(("--tmpfs size=", "a scratch directory has no size limit here".to_owned()));
            }
            out.scratch.push((dest.clone(), flags.read_only, flags.noexec));
        }
        MountStep::Bind { source, dest, flags, optional } => {
            if *optional && !exists(source) {
                return Ok(());
            }
            out.volumes.push(Volume {
                source: source.clone(),
                dest: dest.clone(),
                read_only: flags.read_only,
                noexec: flags.noexec,
            });
        }
        // /dev, /proc, /sys, devpts, mqueue, symlinks in /dev: nothing to do.
        _ => {}
    }
    Ok(())
}

fn linux_only(path: &str) -> bool {
    LINUX_ONLY_TREES.iter().any(|t| path == *t || path.strip_prefix(t).is_some_and(|r| r.starts_with('/')))
}

impl Layout {
    /// Where `container_path` (absolute, normalised) is on the host: in the
    /// volume with the longest destination that contains it, else in the
    /// container dir.
    pub fn place(&self, container_path: &str) -> Place {
        let parts = |p: &str| p.split('/').filter(|c| !c.is_empty()).map(str::to_owned).collect::<Vec<_>>();
        let best = self
            .volumes
            .iter()
            .filter_map(|v| {
                let rest = container_path.strip_prefix(v.dest.as_str())?;
                (rest.is_empty() || rest.starts_with('/')).then_some((v, rest))
            })
            .max_by_key(|(v, _)| v.dest.len());
        match best {
            Some((v, rest)) => Place::Volume(v.source.clone(), parts(rest)),
            None => Place::ContainerDir(parts(container_path)),
        }
    }
}

#[cfg(test)]
mod tests;

/// The `Capabilities` keys of the resource limits, shared by every backend
/// without cgroups.
pub const LIMIT_FEATURES: [(&str, &str); 3] =
    [("--memory", "memory_limit"), ("--cpus", "cpu_limit"), ("--pids-limit", "pids_limit")];

/// Refuses `plan` when a feature it needs is `Unavailable` in `caps`: each
/// of `always` (the backend's isolation itself), and the limit features of
/// the limits it asks for. The error names the flag and the host's reason.
pub fn require(
    plan: &Plan,
    caps: &crate::backend::Capabilities,
    backend: &'static str,
    always: &[(&'static str, &'static str)],
) -> Result<(), Unsupported> {
    let l = &plan.limits;
    let asked = [l.memory.is_some(), l.cpu.is_some(), l.pids.is_some()];
    let limits = LIMIT_FEATURES.iter().zip(asked).filter(|(_, a)| *a).map(|(f, _)| f);
    for (flag, key) in always.iter().chain(limits) {
        if caps.status(key) == crate::backend::Support::Unavailable {
            let found = caps.features.iter().find(|f| f.key == *key);
            let detail = found.map_or_else(|| format!("{key} was not probed"), |f| f.detail.clone());
            return Err(Unsupported { flag, backend, why: format!("{detail} (see `cove info`)") });
        }
    }
    Ok(())
}
