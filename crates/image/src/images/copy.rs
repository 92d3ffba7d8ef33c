//! The copy fallback: where overlayfs cannot be mounted in a user
//! namespace, `cove run IMAGE` runs on a private copy of the image's
//! merged layers (whiteouts and opaque directories applied), made under
//! `tmp/.tmp-root-<n>-<pid>` and removed when the run ends. Writes go to
//! the copy and never reach the stored layers.
//!
//! Stored containers (`run -d`, `create`) get their own copy under
//! `copies/<container id>`, kept from the first start to `cove rm`.
//!
//! The copy holds its lock file (`<dir>.lock`, as every temp dir of the
//! store) while it exists, so `cove image prune` removes only copies whose
//! run was killed.

use std::fs::{self, File};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use cove_core::overlay::OverlayMarkers;

use super::error::io_err;
use super::layers::{COPIES, ImageRoot, TEMP_PREFIX, lock_path, remove_tree};
use super::maintain::IMPORT_TMP;
use super::mapped::{IdMapper, MappedJob};
use super::record::ImageRecord;
use super::{ImageError, ImageStore};

/// A container's private copy of an image; removed on drop (through the
/// store's user-namespace helper when it has one).
pub struct RootCopy {
    path: PathBuf,
    mapper: Option<(Arc<dyn IdMapper>, PathBuf)>,
    _lock: File,
}

impl std::fmt::Debug for RootCopy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RootCopy").field("path", &self.path).finish_non_exhaustive()
    }
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
        match &self.mapper {
            Some((mapper, root)) => drop(mapper.run(root, &MappedJob::Remove { paths: vec![self.path.clone()] })),
            None => drop(remove_tree(&self.path)),
        }
        let _ = fs::remove_file(lock_path(&self.path));
    }
}

impl ImageStore {
    /// Copies the root filesystem of `image` (its layers merged, or its
    /// flattened tree) into a new private directory of the store.
    pub fn copy_root(&self, image: &ImageRecord) -> Result<RootCopy, ImageError> {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
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
        let mapper = self.mapper.clone().map(|m| (m, self.root.clone()));
        let copy = RootCopy { path, mapper, _lock: file };
        self.remove_trees(vec![copy.path.clone()])?;
        fs::create_dir(&copy.path).map_err(io_err("create", &copy.path))?;
        self.copy_into(image, &copy.path)?;
        Ok(copy)
    }

    /// A stored container's own copy of `image`, `copies/<id>`: made on
    /// its first start (temp dir, then rename), reused by every later start
    /// (its writes persist until `cove rm`, as in Docker), removed by
    /// [`ImageStore::remove_container_copy`].
    pub fn container_copy(&self, image: &ImageRecord, id: &str) -> Result<PathBuf, ImageError> {
        self.build_dir(COPIES, id, |temp| self.copy_into(image, temp))?;
        Ok(self.root.join(COPIES).join(id))
    }

    /// Removes the copy of the stored container `id` (nothing when none).
    pub fn remove_container_copy(&self, id: &str) -> Result<(), ImageError> {
        let path = self.root.join(COPIES).join(id);
        if fs::symlink_metadata(&path).is_err() {
            return Ok(());
        }
        self.remove_trees(vec![path])
    }

    /// Fills the empty directory `path` with `image`, through the helper
    /// when there is one.
    fn copy_into(&self, image: &ImageRecord, path: &Path) -> Result<(), ImageError> {
        match self.delegate(&MappedJob::Copy { image: image.id.clone(), path: path.to_owned() }) {
            Some(done) => done,
            None => self.fill_copy(image, path),
        }
    }

    /// [`ImageStore::copy_tree`] in this process: `from`'s entries, then
    /// its own owner and mode onto `to`.
    pub(crate) fn copy_tree_here(&self, from: &Path, to: &Path) -> Result<(), ImageError> {
        merge(from, to, self.markers.as_deref()).map_err(|(op, path, source)| ImageError::Io { op, path, source })?;
        let meta = fs::symlink_metadata(from).map_err(io_err("inspect", from))?;
        sys::dir_metadata(to, &meta).map_err(io_err("set metadata", to))
    }

    /// Merges the layers of `image` into the empty directory `path`.
    pub(crate) fn fill_copy(&self, image: &ImageRecord, path: &Path) -> Result<(), ImageError> {
        let markers = self.markers.as_deref();
        match self.image_root(image)? {
            ImageRoot::Flat(dir) => merge(&dir, path, markers),
            // Bottom layer first: each layer is applied over the ones below.
            ImageRoot::Layers(lowers) => lowers.iter().rev().try_for_each(|l| merge(l, path, markers)),
        }
        .map_err(|(op, path, source)| ImageError::Io { op, path, source })
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
