//! "This image is in use": every running container of an image holds a
//! shared lock on `holds/<image id hex>` in the store for as long as it
//! runs; removing or pruning the image asks for the exclusive lock without
//! waiting and refuses when it cannot get it. The kernel drops the lock
//! when the holder exits, however it exits, so nothing can go stale.
//!
//! Belongs here: the hold file and its locks. Container records (which
//! container uses which image) belong to the container lifecycle, which can
//! take the same hold.

use std::fs::{self, File, OpenOptions, TryLockError};
use std::io;
use std::path::{Path, PathBuf};

const DIR: &str = "holds";

/// A held image; the lock is released on drop, after the run's private
/// copy of the image (if any) is removed.
#[derive(Debug)]
pub struct Hold {
    copy: Option<crate::images::RootCopy>,
    _file: File,
}

impl Hold {
    /// Keeps `copy` (the run's private root) until the hold ends.
    pub fn with_copy(mut self, copy: crate::images::RootCopy) -> Hold {
        self.copy = Some(copy);
        self
    }

    /// Whether the run's root is a private copy that ends with the hold.
    pub fn has_copy(&self) -> bool {
        self.copy.is_some()
    }
}

fn hold_path(store_root: &Path, id_hex: &str) -> PathBuf {
    store_root.join(DIR).join(id_hex)
}

fn open(store_root: &Path, id_hex: &str) -> io::Result<File> {
    let dir = store_root.join(DIR);
    fs::create_dir_all(&dir)?;
    OpenOptions::new().read(true).write(true).create(true).truncate(false).open(hold_path(store_root, id_hex))
}

/// Marks the image `id_hex` in use until the returned [`Hold`] is dropped
/// (waits while a removal of the image is in progress).
pub fn hold(store_root: &Path, id_hex: &str) -> io::Result<Hold> {
    let file = open(store_root, id_hex)?;
    file.lock_shared()?;
    Ok(Hold { copy: None, _file: file })
}

/// The exclusive side: `None` while some container holds the image.
/// Holding the returned guard keeps new runs of the image waiting.
pub fn try_exclusive(store_root: &Path, id_hex: &str) -> io::Result<Option<Hold>> {
    let file = open(store_root, id_hex)?;
    match file.try_lock() {
        Ok(()) => Ok(Some(Hold { copy: None, _file: file })),
        Err(TryLockError::WouldBlock) => Ok(None),
        Err(TryLockError::Error(e)) => Err(e),
    }
}

/// Whether a running container holds the image.
pub fn in_use(store_root: &Path, id_hex: &str) -> io::Result<bool> {
    if !hold_path(store_root, id_hex).exists() {
        return Ok(false);
    }
    Ok(try_exclusive(store_root, id_hex)?.is_none())
}

/// Removes the hold file of a deleted image (call while holding
/// [`try_exclusive`]'s guard).
pub fn forget(store_root: &Path, id_hex: &str) {
    let _ = fs::remove_file(hold_path(store_root, id_hex));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shared_holds_block_the_exclusive_side_until_dropped() {
        let tmp = tempfile::tempdir().unwrap();
        assert!(!in_use(tmp.path(), "ab").unwrap());
        let held = hold(tmp.path(), "ab").unwrap();
        let second = hold(tmp.path(), "ab").unwrap();
        assert!(in_use(tmp.path(), "ab").unwrap());
        drop(held);
        assert!(in_use(tmp.path(), "ab").unwrap());
        drop(second);
        assert!(!in_use(tmp.path(), "ab").unwrap());
        assert!(!in_use(tmp.path(), "cd").unwrap());
    }
}
