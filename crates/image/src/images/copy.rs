//! The copy fallback: where overlayfs cannot be mounted in a user
//! namespace, `cove run IMAGE` runs on a private copy of the image's
//! merged layers (whiteouts and opaque directories applied), made under
//! `tmp/.tmp-root-<n>-<pid>` and removed when the run ends. Writes go to
//! the copy and never reach the stored layers.
//!
//! The copy holds its lock file (`<dir>.lock`, as every temp dir of the
//! store) while it exists, so `cove image prune` removes only copies whose
//! run was killed.

use std::fs::{self, File};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use cove_core::overlay::OverlayMarkers;

use super::error::io_err;
use super::layers::{ImageRoot, TEMP_PREFIX, lock_path, remove_tree};
use super::maintain::IMPORT_TMP;
use super::record::ImageRecord;
use super::{ImageError, ImageStore};

/// A container's private copy of an image; removed on drop.
#[derive(Debug)]
pub struct RootCopy {
    path: PathBuf,
    _lock: File,
}

impl RootCopy {
    /// The copy's root directory.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for RootCopy {
    fn drop(&mut self) {
        // Best effort: a copy left behind is removed by `cove image prune`.
        let _ = remove_tree(&self.path);
        let _ = fs::remove_file(lock_path(&self.path));
    }
}

impl ImageStore {
    /// Copies the root filesystem of `image` (its layers merged, or its
    /// flattened tree) into a new private directory of the store.
    pub fn copy_root(&self, image: &ImageRecord) -> Result<RootCopy, ImageError> {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let root = self.image_root(image)?;
        let parent = self.root.join(IMPORT_TMP);
        fs::create_dir_all(&parent).map_err(io_err("create", &parent))?;
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let path = parent.join(format!("{TEMP_PREFIX}root{n}-{}", std::process::id()));
        let lock = lock_path(&path);
        let file = fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(false)
            .open(&lock)
            .map_err(io_err("create", &lock))?;
        file.lock().map_err(io_err("lock", &lock))?;
        let _ = remove_tree(&path);
        let copy = RootCopy { path, _lock: file };
        fs::create_dir(&copy.path).map_err(io_err("create", &copy.path))?;
        let markers = self.markers.as_deref();
        match root {
            ImageRoot::Flat(dir) => merge(&dir, &copy.path, markers),
            // Bottom layer first: each layer is applied over the ones below.
            ImageRoot::Layers(lowers) => lowers.iter().rev().try_for_each(|l| merge(l, &copy.path, markers)),
        }
        .map_err(|(op, path, source)| ImageError::Io { op, path, source })?;
        Ok(copy)
    }
}

type CopyError = (&'static str, PathBuf, io::Error);

fn at(op: &'static str, path: &Path) -> impl FnOnce(io::Error) -> CopyError {
    let path = path.to_owned();
    move |e| (op, path, e)
}

/// Applies the layer dir `src` onto `dest`: markers delete, opaque
/// directories replace, everything else is copied (symlinks as links,
/// never followed). Modes, owners (where permitted) and mtimes are kept.
fn merge(src: &Path, dest: &Path, markers: Option<&dyn OverlayMarkers>) -> Result<(), CopyError> {
    for entry in fs::read_dir(src).map_err(at("read directory", src))? {
        let from = entry.map_err(at("read directory", src))?.path();
        let to = dest.join(from.file_name().expect("directory entries have names"));
        let meta = fs::symlink_metadata(&from).map_err(at("inspect", &from))?;
        if markers.is_some_and(|m| m.is_whiteout(&from)) {
            remove_tree(&to).map_err(at("remove", &to))?;
            continue;
        }
        let existing = fs::symlink_metadata(&to).ok();
        let keep_dir = meta.is_dir()
            && existing.as_ref().is_some_and(|m| m.is_dir())
            && !markers.is_some_and(|m| m.is_opaque(&from));
        if existing.is_some() && !keep_dir {
            remove_tree(&to).map_err(at("remove", &to))?;
        }
        if meta.is_dir() {
            if keep_dir {
                // A lower layer's read-only directory gets this layer's entries.
                sys::owner_writable(&to).map_err(at("set mode", &to))?;
            } else {
                fs::create_dir(&to).map_err(at("create directory", &to))?;
            }
            merge(&from, &to, markers)?;
            sys::dir_metadata(&to, &meta).map_err(at("set metadata", &to))?;
        } else if meta.file_type().is_symlink() {
            let target = fs::read_link(&from).map_err(at("read symlink", &from))?;
            sys::symlink(&target, &to).map_err(at("create symlink", &to))?;
            sys::link_owner(&to, &meta);
        } else if meta.is_file() {
            copy_file(&from, &to, &meta)?;
        }
        // Anything else (sockets, fifos, devices) is never in a layer dir
        // but as a marker.
    }
    Ok(())
}

/// Copies a regular file with its owner (where permitted), mode and mtime,
/// set through the new file's own handle.
fn copy_file(from: &Path, to: &Path, meta: &fs::Metadata) -> Result<(), CopyError> {
    let mut src = File::open(from).map_err(at("open", from))?;
    let mut dst = fs::OpenOptions::new().write(true).create_new(true).open(to).map_err(at("create file", to))?;
    io::copy(&mut src, &mut dst).map_err(at("copy", to))?;
    sys::file_metadata(&dst, meta).map_err(at("set metadata", to))?;
    dst.set_modified(meta.modified().map_err(at("inspect", from))?).map_err(at("set mtime", to))
}

#[cfg(unix)]
mod sys {
    use std::fs::{self, File, Metadata};
    use std::io;
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    use std::path::Path;

    pub fn symlink(target: &Path, link: &Path) -> io::Result<()> {
        std::os::unix::fs::symlink(target, link)
    }

    /// The link's owner where the caller may set it (rootless callers
    /// own their whole store already).
    pub fn link_owner(path: &Path, meta: &Metadata) {
        let _ = std::os::unix::fs::lchown(path, Some(meta.uid()), Some(meta.gid()));
    }

    /// Owner (where permitted), then mode.
    pub fn file_metadata(file: &File, meta: &Metadata) -> io::Result<()> {
        let _ = std::os::unix::fs::fchown(file, Some(meta.uid()), Some(meta.gid()));
        // ORDER: mode after owner: chown clears setuid and setgid.
        file.set_permissions(fs::Permissions::from_mode(meta.mode() & 0o7777))
    }

    /// Owner, mode, then mtime (best effort: a directory without read
    /// permission cannot be opened to set it).
    pub fn dir_metadata(path: &Path, meta: &Metadata) -> io::Result<()> {
        let _ = std::os::unix::fs::lchown(path, Some(meta.uid()), Some(meta.gid()));
        fs::set_permissions(path, fs::Permissions::from_mode(meta.mode() & 0o7777))?;
        if let (Ok(dir), Ok(mtime)) = (File::open(path), meta.modified()) {
            let _ = dir.set_modified(mtime);
        }
        Ok(())
    }

    pub fn owner_writable(path: &Path) -> io::Result<()> {
        let mode = fs::symlink_metadata(path)?.mode();
        if mode & 0o700 != 0o700 {
            fs::set_permissions(path, fs::Permissions::from_mode((mode | 0o700) & 0o7777))?;
        }
        Ok(())
    }
}

#[cfg(not(unix))]
mod sys {
    use std::fs::{File, Metadata};
    use std::io;
    use std::path::Path;

    pub fn symlink(_target: &Path, _link: &Path) -> io::Result<()> {
        Err(io::Error::new(io::ErrorKind::Unsupported, "symlinks in images need a Unix host"))
    }

    pub fn link_owner(_path: &Path, _meta: &Metadata) {}

    pub fn file_metadata(_file: &File, _meta: &Metadata) -> io::Result<()> {
        Ok(())
    }

    pub fn dir_metadata(_path: &Path, _meta: &Metadata) -> io::Result<()> {
        Ok(())
    }

    pub fn owner_writable(_path: &Path) -> io::Result<()> {
        Ok(())
    }
}
