//! The container's cgroups on the host: created and filled in before
//! `clone`, joined by the child before it runs anything of its own, and
//! removed once it has been reaped (or on any error after creation).
//!
//! Each cgroup is `BASE/cove/PID-ID`, PID being cove's own process: a later
//! run removes empty `cove/*` cgroups whose cove is gone, which is what is
//! left when cove itself is SIGKILLed (the kernel kills the container through
//! `PR_SET_PDEATHSIG`, but nobody is left to `rmdir`).

use super::files;
use super::mounts::{parse_mountinfo, parse_self_cgroup};
use super::place::{Access, Hierarchies, Via};
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
    dirs: Vec<PathBuf>,
}

impl Cgroups {
    /// Creates and configures the cgroups `limits` need, or refuses when a
    /// limit cannot be enforced here. `None` when no limit is asked for.
    pub fn prepare(limits: &ResourceLimits) -> Result<Option<Cgroups>, SpawnError> {
        let wanted = files::controllers(limits);
        if wanted.is_empty() {
            return Ok(None);
        }
        check_cpus(limits)?;
        let host = hierarchies();
        let mut targets: Vec<(&str, Via, PathBuf)> = Vec::new();
        for c in wanted {
            let Some(t) = host.choose(c, &HostAccess) else { return Err(refusal(c, &host)) };
            targets.push((c, t.via, t.base));
        }
        let id = cove_core::id::ContainerId::generate()
            .map_err(|e| SpawnError::parent("generate cgroup name")(io::Error::other(e.to_string())))?;
        let name = format!("{}-{}", std::process::id(), id.short());
        let mut made = Cgroups::default();
        for (controller, via, base) in targets {
            let parent = base.join("cove");
            sweep_stale(&parent);
            let dir = parent.join(&name);
            if !made.dirs.contains(&dir) {
                make_dir(&parent, via, controller, &base)?;
                std::fs::create_dir(&dir).map_err(SpawnError::parent(format!("create cgroup {}", dir.display())))?;
                made.dirs.push(dir.clone());
            }
            let present = |f: &str| dir.join(f).exists();
            for (file, value) in files::values(controller, via, limits, &present) {
                write(&dir.join(file), &value)?;
            }
        }
        Ok(Some(made))
    }

    /// Keeps the directories past this value (an OCI container outlives the
    /// runtime); [`Cgroups::remove`] removes them later.
    pub fn keep(mut self) -> Vec<PathBuf> {
        std::mem::take(&mut self.dirs)
    }

    /// Removes directories kept by [`Cgroups::keep`].
    pub fn remove(dirs: Vec<PathBuf>) {
        drop(Cgroups { dirs });
    }

    /// Moves `pid` into every cgroup.
    pub fn attach(&self, pid: i32) -> Result<(), SpawnError> {
        self.dirs.iter().try_for_each(|d| write(&d.join("cgroup.procs"), &pid.to_string()))
    }
}

impl Cgroups {
    /// The directories, one per hierarchy used.
    pub fn dirs(&self) -> &[PathBuf] {
        &self.dirs
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

/// `--cpus` beyond this host's CPUs is refused (as Docker does).
fn check_cpus(limits: &ResourceLimits) -> Result<(), SpawnError> {
    let Some(q) = limits.cpu else { return Ok(()) };
    let host = std::thread::available_parallelism().map_or(1, |n| n.get() as u64);
    if q.nano_cpus() > host * 1_000_000_000 {
        return Err(SpawnError::Limits { flag: "--cpus", why: format!("only {host} CPUs are available on this host") });
    }
    Ok(())
}

/// Why `controller` cannot be used by this caller.
fn refusal(controller: &str, host: &Hierarchies) -> SpawnError {
    let why = if host.root {
        format!("no cgroup hierarchy holding the {controller} controller is mounted read-write")
    } else if host.delegated(&HostAccess) {
        format!("the delegated cgroup v2 subtree does not offer the {controller} controller (cgroup delegation)")
    } else {
        "it needs cgroup delegation: this user has no delegated (writable) cgroup v2 subtree, and v1 \
         hierarchies are writable by root only"
            .to_owned()
    };
    SpawnError::Limits { flag: files::flag(controller), why }
}

/// `BASE/cove`, with `controller` enabled for its children on v2.
fn make_dir(parent: &Path, via: Via, controller: &str, base: &Path) -> Result<(), SpawnError> {
    match std::fs::create_dir(parent) {
        Err(e) if e.kind() != io::ErrorKind::AlreadyExists => {
            return Err(SpawnError::parent(format!("create cgroup {}", parent.display()))(e));
        }
        _ => {}
    }
    if via == Via::V2 {
        let enable = format!("+{controller}");
        write(&base.join("cgroup.subtree_control"), &enable)?;
        write(&parent.join("cgroup.subtree_control"), &enable)?;
    }
    Ok(())
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
