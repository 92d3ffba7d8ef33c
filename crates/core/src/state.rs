//! Lifecycle states and the on-disk state store: one directory per
//! container, every write atomic (temp file, fsync, rename) under a lock.
//!
//! Only the skeleton lives here so far; detached containers build on it.

use serde::{Deserialize, Serialize, de::DeserializeOwned};
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Where a container is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Set up, main process not started.
    Created,
    /// Main process running.
    Running,
    /// Main process ended.
    Exited,
}

/// A store failure, naming the file.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Reading, writing, locking or renaming failed.
    #[error("{op} {path}")]
    Io {
        /// What was being done.
        op: &'static str,
        /// The file.
        path: PathBuf,
        /// The cause.
        source: io::Error,
    },
    /// A record did not parse.
    #[error("corrupt record {path}")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: serde_json::Error,
    },
}

fn io_err<'a>(op: &'static str, path: &'a Path) -> impl FnOnce(io::Error) -> StoreError + 'a {
    move |source| StoreError::Io { op, path: path.to_owned(), source }
}

/// Writes `dir/name` atomically: a temp file in the same directory (named
/// after this process, so concurrent writers never share one), fsync, then
/// rename over the old file. The caller holds whatever lock orders writers.
pub fn write_atomic(dir: &Path, name: &str, bytes: &[u8]) -> Result<(), StoreError> {
    write_replacing(dir, name, bytes, true)
}

/// [`write_atomic`], with the fsync only when `durable`: without it a
/// reader never sees a half-written file either, but after a power loss
/// the file may be empty (the caller treats that as "never written").
pub fn write_replacing(dir: &Path, name: &str, bytes: &[u8], durable: bool) -> Result<(), StoreError> {
    let path = dir.join(name);
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let mut file = File::create(&tmp).map_err(io_err("create", &tmp))?;
    file.write_all(bytes).map_err(io_err("write", &tmp))?;
    if durable {
        file.sync_all().map_err(io_err("sync", &tmp))?;
    }
    fs::rename(&tmp, &path).map_err(io_err("rename", &path))
}

/// A directory of records, each written atomically under an exclusive lock.
#[derive(Clone, Debug)]
pub struct StateStore {
    dir: PathBuf,
}

/// Holds the store's lock until dropped.
#[derive(Debug)]
pub struct StoreLock {
    _file: File,
}

impl StateStore {
    /// A store rooted at `dir` (created when missing).
    pub fn open(dir: &Path) -> Result<Self, StoreError> {
        fs::create_dir_all(dir).map_err(io_err("create directory", dir))?;
        Ok(Self { dir: dir.to_owned() })
    }

    /// Takes the store's exclusive lock (blocks until free).
    pub fn lock(&self) -> Result<StoreLock, StoreError> {
        let path = self.dir.join(".lock");
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(io_err("open lock", &path))?;
        file.lock().map_err(io_err("lock", &path))?;
        Ok(StoreLock { _file: file })
    }

    /// Writes `name` atomically: a temp file in the same directory, fsync,
    /// then rename over the old record.
    pub fn write<T: Serialize>(&self, _lock: &StoreLock, name: &str, value: &T) -> Result<(), StoreError> {
        let path = self.dir.join(name);
        let bytes =
            serde_json::to_vec_pretty(value).map_err(|source| StoreError::Corrupt { path: path.clone(), source })?;
        write_atomic(&self.dir, name, &bytes)
    }

    /// Reads `name`; `Ok(None)` when absent.
    pub fn read<T: DeserializeOwned>(&self, name: &str) -> Result<Option<T>, StoreError> {
        let path = self.dir.join(name);
        match fs::read(&path) {
            Ok(bytes) => {
                serde_json::from_slice(&bytes).map(Some).map_err(|source| StoreError::Corrupt { path, source })
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io_err("read", &path)(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_are_atomic_and_readable() {
        let dir = std::env::temp_dir().join(format!("cove-state-{}", std::process::id()));
        let store = StateStore::open(&dir).unwrap();
        let lock = store.lock().unwrap();
        store.write(&lock, "state", &Status::Running).unwrap();
        store.write(&lock, "state", &Status::Exited).unwrap();
        assert_eq!(store.read::<Status>("state").unwrap(), Some(Status::Exited));
        assert!(!dir.join(format!(".state.{}.tmp", std::process::id())).exists());
        assert_eq!(store.read::<Status>("missing").unwrap(), None);
        fs::write(dir.join("bad"), b"{").unwrap();
        assert!(matches!(store.read::<Status>("bad"), Err(StoreError::Corrupt { .. })));
        drop(lock);
        fs::remove_dir_all(&dir).unwrap();
    }
}
