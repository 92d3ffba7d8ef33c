//! The container's cgroups on the host: created and filled in before
//! `clone`, joined by the child before it runs anything of its own, and
//! removed once it has been reaped (or on any error after creation).
//!
//! Each cgroup is `BASE/cove/PID-ID`, PID being cove's own process: a later
//! run removes empty `cove/*` cgroups whose cove is gone, which is what is
//! left when cove itself is SIGKILLed (the kernel kills the container through
//! `PR_SET_PDEATHSIG`, but nobody is left to `rmdir`).

use super::checks;
use super::files;
use super::mounts::{parse_mountinfo, parse_self_cgroup};
use super::place::{Access, Hierarchies, LEAF, Via};
use crate::SpawnError;
use cove_core::plan::limits::ResourceLimits;
use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The real host's answers for [`Access`].
pub struct HostAccess;

impl Access for HostAccess {
    fn writable(&self, path: &Path) -> bool {
        rustix::fs::access(path, rustix::fs::Access::WRITE_OK).is_ok()
    }
    fn controllers(&self, dir: &Path) -> Vec<String> {
        let text = std::fs::read_to_string(dir.join("cgroup.controllers")).unwrap_or_default();
        text.split_whitespace().map(str::to_owned).collect()
    }
}

/// This host's hierarchies as seen by the calling process.
pub fn hierarchies() -> Hierarchies {
    let read = |p: &str| std::fs::read_to_string(p).unwrap_or_default();
    Hierarchies {
        mounts: parse_mountinfo(&read("/proc/self/mountinfo")),
        me: parse_self_cgroup(&read("/proc/self/cgroup")),
        root: rustix::process::geteuid().is_root(),
    }
}

/// The container's cgroup directories; dropping it removes them.
#[derive(Debug, Default)]
pub struct Cgroups {
    /// One per hierarchy (a v2 cgroup serves every controller).
    dirs: Vec<PathBuf>,
    /// The memory controller's cgroup and its hierarchy, for OOM kills.
    memory: Option<(PathBuf, Via)>,
}

impl Cgroups {
    /// Creates and configures the cgroups `limits` need, or refuses when a
    /// limit cannot be enforced here. `None` when no limit needs cgroups.
    pub fn prepare(limits: &ResourceLimits) -> Result<Option<Cgroups>, SpawnError> {
        let mut wanted = files::controllers(limits);
        if wanted.is_empty() && limits.cgroup_path.is_none() {
            return Ok(None);
        }
        let host = hierarchies();
        // An engine's cgroupsPath (root only): also the accounting controllers.
        let at_path = limits.cgroup_path.as_deref().filter(|_| host.root);
        if at_path.is_some() {
            let usable = |c: &&str| host.choose(c, &HostAccess).is_some();
            let extra: Vec<&str> = ["memory", "cpu", "pids"].into_iter().filter(|c| !wanted.contains(c)).collect();
            wanted.extend(extra.into_iter().filter(usable));
        }
        if wanted.is_empty() {
            return Ok(None);
        }
        checks::cpus(limits)?;
        let mut targets: Vec<(&'static str, Via, PathBuf)> = Vec::new();
        for c in wanted {
            let Some(t) = host.choose(c, &HostAccess) else { return Err(checks::refusal(c, limits, &host)) };
            checks::cpuset(c, limits, &t)?;
            targets.push((c, t.via, t.base));
        }
        if targets.iter().any(|(_, via, _)| *via == Via::V2) && !host.root {
            move_self_to_leaf(&host)?;
        }
        let id = cove_core::id::ContainerId::generate()
            .map_err(|e| SpawnError::parent("generate cgroup name")(io::Error::other(e.to_string())))?;
        let name = format!("{}-{}", std::process::id(), id.short());
        let mut made = Cgroups::default();
        for (controller, via, base) in targets {
            let parent = base.join("cove");
            if let Some(path) = at_path {
                let dir = make_path(&base, path, via, controller)?;
                made.fill(controller, via, &base, dir, limits)?;
                continue;
            }
            sweep_stale(&parent);
            let dir = parent.join(&name);
            if !made.dirs.contains(&dir) {
                make_dir(&parent, via, controller, &base)?;
                std::fs::create_dir(&dir).map_err(SpawnError::parent(format!("create cgroup {}", dir.display())))?;
                made.dirs.push(dir.clone());
            } else if via == Via::V2 {
                make_dir(&parent, via, controller, &base)?;
            }
            if controller == "cpuset" && via == Via::V1 {
                inherit_cpuset(&base, &parent)?;
            }
            made.fill(controller, via, &base, dir, limits)?;
        }
        Ok(Some(made))
    }

    /// Records `dir` (once) and writes `controller`'s limits into it.
    fn fill(
        &mut self,
        controller: &str,
        via: Via,
        base: &Path,
        dir: PathBuf,
        limits: &ResourceLimits,
    ) -> Result<(), SpawnError> {
        if controller == "memory" {
            self.memory = Some((dir.clone(), via));
        }
        if controller == "cpuset" && via == Via::V1 {
            inherit_cpuset(dir.parent().unwrap_or(base), &dir)?;
        }
        let present = |f: &str| dir.join(f).exists();
        let values = files::values(controller, via, limits, &present)
            .map_err(|u| SpawnError::Limits { flag: u.flag, why: u.why })?;
        for (file, value) in values {
            write(&dir.join(file), &value)?;
        }
        if !self.dirs.contains(&dir) {
            self.dirs.push(dir);
        }
        Ok(())
    }

    /// Keeps the directories past this value (an OCI container outlives the
    /// runtime); [`Cgroups::remove`] removes them later.
    pub fn keep(mut self) -> Vec<PathBuf> {
        std::mem::take(&mut self.dirs)
    }

    /// Removes directories kept by [`Cgroups::keep`].
    pub fn remove(dirs: Vec<PathBuf>) {
        drop(Cgroups { dirs, memory: None });
    }

    /// Moves `pid` into every cgroup.
    pub fn attach(&self, pid: i32) -> Result<(), SpawnError> {
        self.dirs.iter().try_for_each(|d| write(&d.join("cgroup.procs"), &pid.to_string()))
    }

    /// The directories, one per hierarchy used.
    pub fn dirs(&self) -> &[PathBuf] {
        &self.dirs
    }

    /// Whether the OOM killer killed a process in the container's memory
    /// cgroup (read before the cgroup is removed).
    pub fn oom_killed(&self) -> bool {
        self.memory.as_ref().is_some_and(|(dir, via)| super::oom::kills(dir, *via) > 0)
    }
}

impl Drop for Cgroups {
    /// Removes the cgroups; the kernel refuses (`EBUSY`) while it still
    /// lists exiting tasks, so each is retried for up to a second.
    fn drop(&mut self) {
        for dir in self.dirs.iter().rev() {
            for _ in 0..200 {
                match std::fs::remove_dir(dir) {
                    Err(e) if e.raw_os_error() == Some(libc::EBUSY) => std::thread::sleep(Duration::from_millis(5)),
                    _ => break,
                }
            }
        }
    }
}

/// Rootless v2: a delegated cgroup may enable controllers for its
/// children only while it has no processes of its own (the
/// no-internal-process rule), so cove moves itself, and whatever else runs
/// in the delegated cgroup (the CLI waiting for a `run -d` monitor, a shell
/// that did not `exec` cove), into `BASE/cove-leaf`. A process it may not
/// move is left, and enabling the controllers then fails with a hint.
fn move_self_to_leaf(host: &Hierarchies) -> Result<(), SpawnError> {
    let Some(base) = host.v2_base() else { return Ok(()) };
    let leaf = base.join(LEAF);
    match std::fs::create_dir(&leaf) {
        Err(e) if e.kind() != io::ErrorKind::AlreadyExists => {
            return Err(SpawnError::parent(format!("create cgroup {}", leaf.display()))(e));
        }
        _ => {}
    }
    let procs = leaf.join("cgroup.procs");
    write(&procs, &std::process::id().to_string())?;
    let others = std::fs::read_to_string(base.join("cgroup.procs")).unwrap_or_default();
    for pid in others.lines().filter(|p| !p.trim().is_empty()) {
        // a process that ended meanwhile, or is not ours: see above
        let _ = std::fs::write(&procs, pid.trim());
    }
    Ok(())
}

/// A new v1 cpuset has empty `cpuset.cpus`/`cpuset.mems` and takes no
/// task until they are set: copy the parent's.
fn inherit_cpuset(from: &Path, to: &Path) -> Result<(), SpawnError> {
    for file in ["cpuset.cpus", "cpuset.mems"] {
        let current = std::fs::read_to_string(to.join(file)).unwrap_or_default();
        if current.trim().is_empty() {
            let parent = std::fs::read_to_string(from.join(file))
                .map_err(SpawnError::parent(format!("read {}", from.join(file).display())))?;
            write(&to.join(file), parent.trim())?;
        }
    }
    Ok(())
}

/// `BASE/PATH` (an engine's cgroupsPath, absolute or not, under the
/// hierarchy's root), each missing level made; on v2 `controller` is enabled
/// for the children of every level above it, and on v1 each new cpuset
/// level copies its parent's lists.
fn make_path(base: &Path, path: &str, via: Via, controller: &str) -> Result<PathBuf, SpawnError> {
    let mut dir = base.to_path_buf();
    let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty() && *p != ".").collect();
    if parts.is_empty() || parts.contains(&"..") {
        let why = format!("cgroupsPath {path:?} must name a cgroup below the hierarchy's root, without ..");
        return Err(SpawnError::Limits { flag: "linux.cgroupsPath", why });
    }
    for part in parts {
        if via == Via::V2 {
            let enable = format!("+{controller}");
            write(&dir.join("cgroup.subtree_control"), &enable)?;
        }
        let parent = dir.clone();
        dir.push(part);
        match std::fs::create_dir(&dir) {
            Err(e) if e.kind() != io::ErrorKind::AlreadyExists => {
                return Err(SpawnError::parent(format!("create cgroup {}", dir.display()))(e));
            }
            _ => {}
        }
        if controller == "cpuset" && via == Via::V1 {
            inherit_cpuset(&parent, &dir)?;
        }
    }
    Ok(dir)
}

/// `BASE/cove`, with `controller` enabled for its children on v2.
pub(super) fn make_dir(parent: &Path, via: Via, controller: &str, base: &Path) -> Result<(), SpawnError> {
    match std::fs::create_dir(parent) {
        Err(e) if e.kind() != io::ErrorKind::AlreadyExists => {
            return Err(SpawnError::parent(format!("create cgroup {}", parent.display()))(e));
        }
        _ => {}
    }
    if via == Via::V2 {
        let enable = format!("+{controller}");
        let control = base.join("cgroup.subtree_control");
        if let Err(e) = std::fs::write(&control, &enable) {
            if e.raw_os_error() == Some(libc::EBUSY) {
                return Err(busy(controller, base));
            }
            return Err(SpawnError::parent(format!("write {enable:?} to {}", control.display()))(e));
        }
        write(&parent.join("cgroup.subtree_control"), &enable)?;
    }
    Ok(())
}

/// v2 enables a controller for children only in a cgroup without
/// processes of its own (the root cgroup excepted): other processes share
/// cove's delegated cgroup.
fn busy(controller: &str, base: &Path) -> SpawnError {
    let why = format!(
        "cgroup {} holds processes besides cove, and cgroup v2 enables the {controller} controller only for a \
         cgroup without processes of its own; start cove in a delegated cgroup of its own (systemd-run --user \
         --scope -p Delegate=yes cove ...)",
        base.display()
    );
    SpawnError::Limits { flag: "--memory/--cpus/--pids-limit", why }
}

/// Removes empty `PID-ID` cgroups whose cove process is gone.
fn sweep_stale(parent: &Path) {
    let Ok(entries) = std::fs::read_dir(parent) else { return };
    for e in entries.flatten() {
        let name = e.file_name();
        let Some(pid) = name.to_str().and_then(|n| n.split_once('-')).map(|(p, _)| p.to_owned()) else { continue };
        if pid.parse::<u32>().is_ok() && !Path::new("/proc").join(&pid).exists() {
            let _ = std::fs::remove_dir(e.path());
        }
    }
}

fn write(path: &Path, value: &str) -> Result<(), SpawnError> {
    std::fs::write(path, value).map_err(SpawnError::parent(format!("write {value:?} to {}", path.display())))
}
