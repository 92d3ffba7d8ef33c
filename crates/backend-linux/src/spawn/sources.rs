//! Host-side sources of a plan, opened before the new root exists so that no
//! host path is ever resolved through it.

use super::error::{ChildError, at};
use cove_core::plan::{MountStep, Plan, RootStep};
use rustix::fs::{FileType, Mode, OFlags, fstat, open, readlinkat};
use std::io;
use std::os::fd::OwnedFd;
use std::path::Path;

/// A host path, opened.
pub enum Source {
    /// An `O_PATH` descriptor and whether it is a directory.
    Open(OwnedFd, bool),
    /// A symlink and its target (only for `Mirror`).
    Link(String),
    /// The host has no such path.
    Missing,
}

/// Every host path the plan needs, opened.
pub struct Sources {
    /// The root directory, for overlay and bind roots.
    pub root: Option<OwnedFd>,
    /// The layer directories of a layered root, topmost first.
    pub lowers: Vec<OwnedFd>,
    /// One entry per mount step (`None` for steps without a host source).
    pub steps: Vec<Option<Source>>,
    /// The host's `/dev/null`, bound over masked files.
    pub null: OwnedFd,
}

fn open_path(path: &Path, follow: bool) -> io::Result<Source> {
    let mut flags = OFlags::PATH | OFlags::CLOEXEC;
    if !follow {
        flags |= OFlags::NOFOLLOW;
    }
    match open(path, flags, Mode::empty()) {
        Ok(fd) => {
            let st = fstat(&fd)?;
            match FileType::from_raw_mode(st.st_mode) {
                FileType::Symlink => {
                    let target = readlinkat(&fd, "", Vec::new())?;
                    Ok(Source::Link(target.to_string_lossy().into_owned()))
                }
                kind => Ok(Source::Open(fd, kind == FileType::Directory)),
            }
        }
        Err(rustix::io::Errno::NOENT) => Ok(Source::Missing),
        Err(e) => Err(e.into()),
    }
}

fn step_source(step: &MountStep) -> Result<Option<Source>, ChildError> {
    let (path, follow): (&Path, bool) = match step {
        MountStep::Mirror { path, .. } => (Path::new(path), false),
        MountStep::Bind { source, .. } => (source, true),
        MountStep::Device { name, source, .. } => {
            let dev = source.as_ref().map_or_else(|| format!("/dev/{name}"), |s| s.display().to_string());
            return open_path(Path::new(&dev), true).map(Some).map_err(at("open host device", dev));
        }
        MountStep::Sysfs { fresh: false, .. } => (Path::new("/sys"), true),
        _ => return Ok(None),
    };
    open_path(path, follow).map(Some).map_err(at("open host path", path.display().to_string()))
}

/// Opens the plan's host sources, following the caller's own host symlinks
/// for binds and keeping symlinks as they are for mirrors.
pub fn open_all(plan: &Plan) -> Result<Sources, ChildError> {
    let open_dir = |dir: &Path, step: &'static str| {
        let flags = OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC;
        open(dir, flags, Mode::empty()).map_err(|e| at(step, dir.display().to_string())(e.into()))
    };
    let (root, lowers) = match &plan.root {
        RootStep::Tmpfs => (None, Vec::new()),
        RootStep::Overlay { lower: dir } | RootStep::Bind { source: dir } => {
            (Some(open_dir(dir, "open rootfs")?), Vec::new())
        }
        RootStep::Layers { lowers } => {
            (None, lowers.iter().map(|l| open_dir(l, "open image layer")).collect::<Result<_, _>>()?)
        }
    };
    let steps = plan.mounts.iter().map(step_source).collect::<Result<_, _>>()?;
    let null = open("/dev/null", OFlags::PATH | OFlags::CLOEXEC, Mode::empty())
        .map_err(|e| at("open host device", "/dev/null")(e.into()))?;
    Ok(Sources { root, lowers, steps, null })
}
