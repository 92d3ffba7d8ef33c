//! One `MountStep` carried out inside the new root. Every container path is
//! resolved with `inroot`, every mount attached by descriptor.

use super::error::{ChildError, at};
use super::inroot::{self, Kind};
use super::mounts::{attach, bind, fresh};
use super::sources::Source;
use cove_core::plan::{MountFlags, MountStep};
use rustix::fs::{Mode, OFlags, openat, symlinkat};
use std::io::Write;
use std::os::fd::OwnedFd;

/// Carries out `step`; `source` is what `sources::open_all` opened for it;
/// `names` are the plan's `mount_sources` (a new filesystem's source name).
pub fn apply(
    root: &OwnedFd,
    step: &MountStep,
    source: Option<Source>,
    names: &[(String, String)],
) -> Result<(), ChildError> {
    let fresh_named = |root: &OwnedFd, fstype: &'static str, dest: &str, opts: &[(&str, String)], flags| {
        let name = names.iter().find(|(d, _)| d == dest).map_or(fstype, |(_, n)| n.as_str());
        fresh_onto(root, fstype, dest, name, opts, flags)
    };
    match step {
        MountStep::Mirror { path, flags } => mirror(root, path, *flags, source),
        MountStep::Bind { source: host, dest, flags, optional } => match source {
            // Always nodev: a device node on a bound host path (`-v /dev:/x`, a
            // volume holding one) would otherwise open for a root caller's
            // container (no devices cgroup). Config devices are `Device` steps.
            Some(Source::Open(fd, is_dir)) => bind_onto(root, &fd, is_dir, dest, MountFlags { nodev: true, ..*flags }),
            _ if *optional => Ok(()),
            _ => Err(at("open bind source", host.display().to_string())(std::io::ErrorKind::NotFound.into())),
        },
        MountStep::Tmpfs { dest, mode, size, flags } => {
            let mut opts = vec![("mode", format!("{mode:o}"))];
            if let Some(size) = size {
                opts.push(("size", size.to_string()));
            }
            fresh_named(root, "tmpfs", dest, &opts, *flags)
        }
        MountStep::Proc { dest, flags } => fresh_named(root, "proc", dest, &[], *flags),
        MountStep::Sysfs { dest, fresh: true, flags } => fresh_named(root, "sysfs", dest, &[], *flags),
        MountStep::Sysfs { dest, fresh: false, flags } => match source {
            Some(Source::Open(fd, _)) => bind_onto(root, &fd, true, dest, *flags),
            _ => Err(at("open host path", "/sys")(std::io::ErrorKind::NotFound.into())),
        },
        MountStep::DevPts { dest, gid, flags } => {
            let mut opts = vec![("ptmxmode", "0666".to_owned()), ("mode", "0620".to_owned())];
            if let Some(gid) = gid {
                opts.push(("gid", gid.to_string()));
            }
            fresh_named(root, "devpts", dest, &opts, *flags)
        }
        MountStep::Mqueue { dest, flags } => fresh_named(root, "mqueue", dest, &[], *flags),
        MountStep::Cgroup { dest, flags } => fresh_named(root, "cgroup2", dest, &[], *flags),
        MountStep::Device { name, flags, .. } => {
            let dest = format!("/dev/{name}");
            match source {
                Some(Source::Open(fd, _)) => bind_onto(root, &fd, false, &dest, *flags),
                _ => Err(at("open host device", dest)(std::io::ErrorKind::NotFound.into())),
            }
        }
        MountStep::Symlink { target, link } => symlink(root, target, link),
        MountStep::Dir { path, mode, owner } => {
            inroot::ensure(root, path, Kind::Dir, *mode, *owner).map(drop).map_err(at("create directory", path))
        }
        MountStep::File { path, contents, mode } => write_file(root, path, contents, *mode),
    }
}

/// A host path reproduced: symlinks as symlinks, the rest bound with `flags`.
fn mirror(root: &OwnedFd, path: &str, flags: MountFlags, source: Option<Source>) -> Result<(), ChildError> {
    match source {
        Some(Source::Link(target)) => symlink(root, &target, path),
        Some(Source::Open(fd, is_dir)) => bind_onto(root, &fd, is_dir, path, flags),
        _ => Ok(()),
    }
}

fn bind_onto(root: &OwnedFd, src: &OwnedFd, is_dir: bool, dest: &str, flags: MountFlags) -> Result<(), ChildError> {
    let kind = if is_dir { Kind::Dir } else { Kind::File };
    let target = inroot::ensure(root, dest, kind, if is_dir { 0o755 } else { 0o644 }, None)
        .map_err(at("create mount point", dest))?;
    let tree = bind(src, flags).map_err(at("bind mount", dest))?;
    attach(tree, &target).map_err(at("bind mount", dest))
}

fn fresh_onto(
    root: &OwnedFd,
    fstype: &'static str,
    dest: &str,
    name: &str,
    opts: &[(&str, String)],
    flags: MountFlags,
) -> Result<(), ChildError> {
    let target = inroot::ensure(root, dest, Kind::Dir, 0o755, None).map_err(at("create mount point", dest))?;
    // The source name shown in mountinfo (`proc`, `shm`): the VFS takes
    // `source` for every filesystem type.
    let mut opts = opts.to_vec();
    opts.insert(0, ("source", name.to_owned()));
    let mount = fresh(fstype, &opts, &[], flags).map_err(at(mount_step(fstype), dest))?;
    attach(mount, &target).map_err(at(mount_step(fstype), dest))
}

fn mount_step(fstype: &str) -> &'static str {
    match fstype {
        "proc" => "mount proc",
        "sysfs" => "mount sysfs",
        "devpts" => "mount devpts",
        "mqueue" => "mount mqueue",
        _ => "mount tmpfs",
    }
}

fn symlink(root: &OwnedFd, target: &str, link: &str) -> Result<(), ChildError> {
    let (parent, name) = inroot::parent_of(root, link).map_err(at("create symlink", link))?;
    match symlinkat(target, &parent, name) {
        Ok(()) | Err(rustix::io::Errno::EXIST) => Ok(()),
        Err(e) => Err(at("create symlink", link)(e.into())),
    }
}

fn write_file(root: &OwnedFd, path: &str, contents: &str, mode: u32) -> Result<(), ChildError> {
    let (parent, name) = inroot::parent_of(root, path).map_err(at("write file", path))?;
    let flags = OFlags::CREATE | OFlags::TRUNC | OFlags::WRONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    let fd = openat(&parent, name, flags, Mode::from_raw_mode(mode)).map_err(|e| at("write file", path)(e.into()))?;
    std::fs::File::from(fd).write_all(contents.as_bytes()).map_err(at("write file", path))
}
