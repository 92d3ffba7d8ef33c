//! A running container's cgroups changed after the fact (the OCI `pause`,
//! `resume` and `update` verbs): finding, or adding, the cgroup that holds a
//! controller, freezing and thawing, and rewriting limits.
//!
//! A container created without limits has no cgroup for a controller; one
//! is then made (`BASE/cove/oci-ID`, never swept as stale) and the
//! container's processes are moved in until a pass finds none left outside.
//! The freezer is the v1 `freezer` controller where it is mounted, else v2's
//! `cgroup.freeze` (v2 needs no controller for it).

use super::create::{HostAccess, hierarchies, make_dir};
use super::files;
use super::place::Via;
use crate::SpawnError;
use cove_core::plan::limits::ResourceLimits;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The file that freezes a cgroup, and the values that freeze and thaw it.
pub fn freeze_file(via: Via) -> (&'static str, &'static str, &'static str) {
    match via {
        Via::V1 => ("freezer.state", "FROZEN", "THAWED"),
        Via::V2 => ("cgroup.freeze", "1", "0"),
    }
}

/// Whether a freezer file's text (`freezer.state` on v1, `cgroup.events`
/// on v2) says the cgroup is completely frozen.
pub fn parse_frozen(via: Via, text: &str) -> bool {
    match via {
        Via::V1 => text.trim() == "FROZEN",
        Via::V2 => text.lines().any(|l| l.trim() == "frozen 1"),
    }
}

/// The file [`parse_frozen`] reads.
fn frozen_file(via: Via) -> &'static str {
    match via {
        Via::V1 => "freezer.state",
        Via::V2 => "cgroup.events",
    }
}

/// The hierarchy kind of an existing cgroup directory.
fn via_of(dir: &Path) -> Via {
    if dir.join("cgroup.controllers").exists() { Via::V2 } else { Via::V1 }
}

/// The container's freezer cgroup among `dirs`, if it has one.
pub fn freezer(dirs: &[PathBuf]) -> Option<(PathBuf, Via)> {
    let v1 = dirs.iter().find(|d| d.join("freezer.state").exists()).map(|d| (d.clone(), Via::V1));
    v1.or_else(|| dirs.iter().find(|d| d.join("cgroup.freeze").exists()).map(|d| (d.clone(), Via::V2)))
}

/// Whether the container's freezer cgroup is frozen.
pub fn is_frozen(dirs: &[PathBuf]) -> bool {
    freezer(dirs)
        .is_some_and(|(d, via)| std::fs::read_to_string(d.join(frozen_file(via))).is_ok_and(|t| parse_frozen(via, &t)))
}

/// Freezes (or thaws) the container, adding a freezer cgroup to `dirs`
/// when it has none; waits up to 5 s for the kernel to finish.
pub fn set_frozen(
    dirs: &mut Vec<PathBuf>,
    name: &str,
    pids: &dyn Fn() -> Vec<i32>,
    frozen: bool,
) -> Result<(), SpawnError> {
    let (dir, via) = match freezer(dirs) {
        Some(f) => f,
        None if !frozen => return Ok(()),
        None => {
            let dir = ensure(dirs, "freezer", name, pids)?;
            let via = via_of(&dir);
            (dir, via)
        }
    };
    let (file, on, off) = freeze_file(via);
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        write(&dir.join(file), if frozen { on } else { off })?;
        if frozen {
            // a process that forked while it was moved in joins too
            migrate(&dir, pids)?;
        }
        let text = std::fs::read_to_string(dir.join(frozen_file(via))).unwrap_or_default();
        if parse_frozen(via, &text) == frozen {
            return Ok(());
        }
        if Instant::now() > deadline {
            let what = if frozen { "freeze" } else { "thaw" };
            return Err(SpawnError::parent(format!("{what} cgroup {}", dir.display()))(std::io::Error::other(
                "the kernel did not finish within 5 s",
            )));
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// Writes `limits` into the container's cgroups, adding a cgroup for a
/// controller it has none for. A memory limit above the v1 swap total is
/// written swap total first.
pub fn update(
    dirs: &mut Vec<PathBuf>,
    name: &str,
    pids: &dyn Fn() -> Vec<i32>,
    limits: &ResourceLimits,
) -> Result<(), SpawnError> {
    for controller in files::controllers(limits) {
        let dir = ensure(dirs, controller, name, pids)?;
        let via = via_of(&dir);
        let present = |f: &str| dir.join(f).exists();
        let values = files::values(controller, via, limits, &present)
            .map_err(|u| SpawnError::Limits { flag: u.flag, why: u.why })?;
        let in_order = values.iter().try_for_each(|(f, v)| write(&dir.join(f), v));
        if in_order.is_err() {
            values.iter().rev().try_for_each(|(f, v)| write(&dir.join(f), v))?;
        }
    }
    Ok(())
}

/// The container's cgroup for `controller`: a recorded one in the
/// hierarchy this caller uses for it, or a new one the processes move into.
fn ensure(
    dirs: &mut Vec<PathBuf>,
    controller: &str,
    name: &str,
    pids: &dyn Fn() -> Vec<i32>,
) -> Result<PathBuf, SpawnError> {
    let host = hierarchies();
    let target = if controller == "freezer" {
        host.choose("freezer", &HostAccess).or_else(|| {
            let v2 = host.v2_mount().filter(|m| !m.read_only && host.root)?;
            Some(super::place::Target { via: Via::V2, base: PathBuf::from(&v2.mount_point) })
        })
    } else {
        host.choose(controller, &HostAccess)
    };
    let Some(target) = target else {
        let why = format!("no writable cgroup hierarchy offers the {controller} controller here");
        return Err(SpawnError::Limits { flag: "update/pause", why });
    };
    if let Some(d) = dirs.iter().find(|d| d.starts_with(&target.base)) {
        if target.via == Via::V2 && controller != "freezer" {
            make_dir(&target.base.join("cove"), Via::V2, controller, &target.base)?;
        }
        return Ok(d.clone());
    }
    let parent = target.base.join("cove");
    if target.via == Via::V2 && controller == "freezer" {
        std::fs::create_dir_all(&parent).map_err(SpawnError::parent(format!("create cgroup {}", parent.display())))?;
    } else {
        make_dir(&parent, target.via, controller, &target.base)?;
    }
    let dir = parent.join(format!("oci-{name}"));
    match std::fs::create_dir(&dir) {
        Err(e) if e.kind() != std::io::ErrorKind::AlreadyExists => {
            return Err(SpawnError::parent(format!("create cgroup {}", dir.display()))(e));
        }
        _ => {}
    }
    dirs.push(dir.clone());
    migrate(&dir, pids)?;
    Ok(dir)
}

/// Moves every process `pids` lists into `dir`, until a pass moves none.
fn migrate(dir: &Path, pids: &dyn Fn() -> Vec<i32>) -> Result<(), SpawnError> {
    for _ in 0..100 {
        let inside = std::fs::read_to_string(dir.join("cgroup.procs")).unwrap_or_default();
        let inside: Vec<i32> = inside.lines().filter_map(|l| l.trim().parse().ok()).collect();
        let outside: Vec<i32> = pids().into_iter().filter(|p| !inside.contains(p)).collect();
        if outside.is_empty() {
            return Ok(());
        }
        for pid in outside {
            // a process that exited meanwhile has nothing to move
            if let Err(e) = std::fs::write(dir.join("cgroup.procs"), pid.to_string())
                && e.raw_os_error() != Some(libc::ESRCH)
            {
                return Err(SpawnError::parent(format!("move pid {pid} into cgroup {}", dir.display()))(e));
            }
        }
    }
    Err(SpawnError::parent(format!("move processes into cgroup {}", dir.display()))(std::io::Error::other(
        "new processes kept appearing",
    )))
}

fn write(path: &Path, value: &str) -> Result<(), SpawnError> {
    std::fs::write(path, value).map_err(SpawnError::parent(format!("write {value:?} to {}", path.display())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v2_freezes_through_cgroup_freeze_and_reports_through_events() {
        assert_eq!(freeze_file(Via::V2), ("cgroup.freeze", "1", "0"));
        assert!(parse_frozen(Via::V2, "populated 1\nfrozen 1\n"));
        assert!(!parse_frozen(Via::V2, "populated 1\nfrozen 0\n"));
        assert_eq!(frozen_file(Via::V2), "cgroup.events");
    }

    #[test]
    fn v1_freezes_through_freezer_state() {
        assert_eq!(freeze_file(Via::V1), ("freezer.state", "FROZEN", "THAWED"));
        assert!(parse_frozen(Via::V1, "FROZEN\n"));
        assert!(!parse_frozen(Via::V1, "FREEZING\n"));
        assert!(!parse_frozen(Via::V1, "THAWED\n"));
    }

    #[test]
    fn a_v2_directory_is_told_by_cgroup_controllers() {
        let tmp = std::env::temp_dir().join(format!("cove-live-{}", std::process::id()));
        std::fs::create_dir_all(&tmp).unwrap();
        assert_eq!(via_of(&tmp), Via::V1);
        std::fs::write(tmp.join("cgroup.controllers"), "").unwrap();
        std::fs::write(tmp.join("cgroup.freeze"), "0").unwrap();
        assert_eq!(via_of(&tmp), Via::V2);
        assert_eq!(freezer(std::slice::from_ref(&tmp)), Some((tmp.clone(), Via::V2)));
        std::fs::write(tmp.join("cgroup.events"), "populated 1\nfrozen 1\n").unwrap();
        assert!(is_frozen(std::slice::from_ref(&tmp)));
        std::fs::remove_dir_all(&tmp).unwrap();
    }
}
