//! The container store: `ROOT/containers/<id>/container.json` per
//! container, written atomically (temp, fsync, rename) under the
//! container's own lock (`<id>/.lock`); names are unique under the store's
//! lock (`containers/.lock`), which create, rename and remove hold.
//!
//! ORDER: a verb that needs both takes the container's lock first, then
//! the store's. A container directory appears by renaming a complete
//! `.tmp-<id>` and disappears by renaming to `.rm-<id>` before deletion, so
//! a killed CLI never leaves a half-written container; leftovers of either
//! kind are swept under the store's lock.

use super::names::{generate_name, valid_name};
use super::record::Container;
use crate::id::ContainerId;
use crate::state::{StoreError, write_replacing};
use std::fs::{self, File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};

const RECORD: &str = "container.json";

/// A failed store operation.
#[derive(Debug, thiserror::Error)]
pub enum Lookup {
    /// No container has this name or id (prefix).
    #[error("No such container: {0}")]
    NotFound(String),
    /// An id prefix matches more than one container.
    #[error("multiple containers match the id prefix {0:?}; give more digits or the name")]
    Ambiguous(String),
    /// The name is taken.
    #[error("the container name {name:?} is already in use by container {id}; remove (cove rm) or rename it")]
    NameInUse {
        /// The name.
        name: String,
        /// Who has it.
        id: String,
    },
    /// The name breaks Docker's rule.
    #[error("invalid container name {0:?}: only [a-zA-Z0-9][a-zA-Z0-9_.-]+ is allowed")]
    InvalidName(String),
    /// Reading or writing failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Holds a lock until dropped.
#[derive(Debug)]
pub struct StoreLock {
    _file: File,
}

/// The containers under one store root.
#[derive(Clone, Debug)]
pub struct ContainerStore {
    dir: PathBuf,
    /// Records are fsynced before they replace the old one (see
    /// [`ContainerStore::volatile`]).
    durable: bool,
}

fn io_err<'a>(op: &'static str, path: &'a Path) -> impl FnOnce(io::Error) -> StoreError + 'a {
    move |source| StoreError::Io { op, path: path.to_owned(), source }
}

fn lock_file(path: &Path) -> Result<StoreLock, StoreError> {
    let file =
        OpenOptions::new().create(true).truncate(false).write(true).open(path).map_err(io_err("open lock", path))?;
    file.lock().map_err(io_err("lock", path))?;
    Ok(StoreLock { _file: file })
}

impl ContainerStore {
    /// The store under `root` (`root/containers`, created when missing).
    pub fn open(root: &Path) -> Result<Self, StoreError> {
        let dir = root.join("containers");
        fs::create_dir_all(&dir).map_err(io_err("create directory", &dir))?;
        Ok(Self { dir, durable: true })
    }

    /// The same store, writing records without fsync: for containers that
    /// do not outlive their CLI (a foreground `run --rm`), whose records
    /// need no durability. After a power loss such a record may be empty:
    /// it is then no container ([`get`](Self::get)), and the next create
    /// sweeps its directory.
    pub fn volatile(&self) -> Self {
        Self { dir: self.dir.clone(), durable: false }
    }

    /// The directory of container `id`.
    pub fn dir_of(&self, id: &ContainerId) -> PathBuf {
        self.dir.join(id.as_str())
    }

    /// The container's log file (JSON lines, Docker's json-file shape).
    pub fn log_path(&self, id: &ContainerId) -> PathBuf {
        self.dir_of(id).join(format!("{id}-json.log"))
    }

    /// Takes the store's lock (names, create, remove).
    pub fn lock_store(&self) -> Result<StoreLock, StoreError> {
        lock_file(&self.dir.join(".lock"))
    }

    /// Takes container `id`'s lock (its record). Fails when it is gone.
    pub fn lock(&self, id: &ContainerId) -> Result<StoreLock, StoreError> {
        lock_file(&self.dir_of(id).join(".lock"))
    }

    /// Reads container `id`; `None` when it does not exist.
    pub fn get(&self, id: &ContainerId) -> Result<Option<Container>, StoreError> {
        let path = self.dir_of(id).join(RECORD);
        match fs::read(&path) {
            // Only a power loss after a volatile write leaves it empty.
            Ok(bytes) if bytes.is_empty() => Ok(None),
            Ok(bytes) => {
                serde_json::from_slice(&bytes).map(Some).map_err(|source| StoreError::Corrupt { path, source })
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io_err("read", &path)(e)),
        }
    }

    /// Every container, oldest first.
    pub fn list(&self) -> Result<Vec<Container>, StoreError> {
        let entries = fs::read_dir(&self.dir).map_err(io_err("list", &self.dir))?;
        let mut all = Vec::new();
        for entry in entries {
            let entry = entry.map_err(io_err("list", &self.dir))?;
            let Some(id) = entry.file_name().to_str().and_then(|n| ContainerId::parse(n).ok()) else { continue };
            if let Some(c) = self.get(&id)? {
                all.push(c);
            }
        }
        all.sort_by(|a, b| (a.created, a.id.as_str()).cmp(&(b.created, b.id.as_str())));
        Ok(all)
    }

    /// Finds a container by full id, name, or unique id prefix (Docker's order).
    pub fn lookup(&self, query: &str) -> Result<Container, Lookup> {
        let all = self.list()?;
        if let Some(c) = all.iter().find(|c| c.id.as_str() == query || c.name == query) {
            return Ok(c.clone());
        }
        let query_hex = !query.is_empty() && query.bytes().all(|b| b.is_ascii_hexdigit());
        let mut hits = all.into_iter().filter(|c| query_hex && c.id.as_str().starts_with(query));
        match (hits.next(), hits.next()) {
            (Some(c), None) => Ok(c),
            (Some(_), Some(_)) => Err(Lookup::Ambiguous(query.to_owned())),
            _ => Err(Lookup::NotFound(query.to_owned())),
        }
    }

    /// Stores a new container. An empty `name` gets a generated one; a
    /// taken or invalid name is refused.
    pub fn create(&self, mut container: Container) -> Result<Container, Lookup> {
        let _store = self.lock_store()?;
        self.sweep();
        let all = self.list()?;
        let taken = |n: &str| all.iter().find(|c| c.name == n).map(|c| c.id.to_string());
        if container.name.is_empty() {
            container.name = free_name(&taken)?;
        } else if !valid_name(&container.name) {
            return Err(Lookup::InvalidName(container.name));
        } else if let Some(id) = taken(&container.name) {
            return Err(Lookup::NameInUse { name: container.name, id });
        }
        let tmp = self.dir.join(format!(".tmp-{}", container.id));
        fs::create_dir(&tmp).map_err(io_err("create directory", &tmp))?;
        write_record(&tmp, &container, self.durable)?;
        let dir = self.dir_of(&container.id);
        fs::rename(&tmp, &dir).map_err(io_err("rename", &dir))?;
        Ok(container)
    }

    /// Changes container `id`'s record under its lock; `f` sees the current
    /// record. Fails with `NotFound` when the container is gone.
    pub fn update<R>(&self, id: &ContainerId, f: impl FnOnce(&mut Container) -> R) -> Result<R, Lookup> {
        let lock = self.lock(id).map_err(|_| Lookup::NotFound(id.to_string()))?;
        let r = self.update_locked(&lock, id, f);
        drop(lock);
        r
    }

    /// As [`update`](Self::update), with the container's lock already held.
    pub fn update_locked<R>(
        &self,
        _lock: &StoreLock,
        id: &ContainerId,
        f: impl FnOnce(&mut Container) -> R,
    ) -> Result<R, Lookup> {
        let mut c = self.get(id)?.ok_or_else(|| Lookup::NotFound(id.to_string()))?;
        let r = f(&mut c);
        write_record(&self.dir_of(id), &c, self.durable)?;
        Ok(r)
    }

    /// Renames container `id` (the new name must be free and valid).
    pub fn rename(&self, id: &ContainerId, name: &str) -> Result<(), Lookup> {
        if !valid_name(name) {
            return Err(Lookup::InvalidName(name.to_owned()));
        }
        let lock = self.lock(id).map_err(|_| Lookup::NotFound(id.to_string()))?;
        let _store = self.lock_store()?;
        if let Some(other) = self.list()?.into_iter().find(|c| c.name == name && &c.id != id) {
            return Err(Lookup::NameInUse { name: name.to_owned(), id: other.id.to_string() });
        }
        self.update_locked(&lock, id, |c| c.name = name.to_owned())
    }

    /// Removes container `id`'s directory. The caller has made sure that
    /// nothing of it runs any more; `lock` is its container lock.
    pub fn remove(&self, lock: StoreLock, id: &ContainerId) -> Result<(), StoreError> {
        // ORDER: the store's lock is held until `.rm-<id>` is deleted: a
        // create's sweep (under that lock) would otherwise delete it at the
        // same time, and the loser's remove_dir_all fails with ENOENT.
        let store = self.lock_store()?;
        let dir = self.dir_of(id);
        let doomed = self.dir.join(format!(".rm-{id}"));
        fs::rename(&dir, &doomed).map_err(io_err("rename", &dir))?;
        // The container's lock file is inside: released before the delete
        // (Windows cannot delete an open file); it is gone from `<id>` now.
        drop(lock);
        let removed = fs::remove_dir_all(&doomed).map_err(io_err("remove", &doomed));
        drop(store);
        removed
    }

    /// Deletes what killed CLIs left: `.tmp-*` (a create that never
    /// finished), `.rm-*` (a remove that never finished) and containers
    /// whose record is empty (a volatile write a power loss lost). Called
    /// with the store's lock held.
    fn sweep(&self) {
        let Ok(entries) = fs::read_dir(&self.dir) else { return };
        for entry in entries.flatten() {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            // An empty record: a volatile create a power loss cut short.
            let lost = || fs::metadata(entry.path().join(RECORD)).is_ok_and(|m| m.len() == 0);
            if name.starts_with(".tmp-") || name.starts_with(".rm-") || lost() {
                let _ = fs::remove_dir_all(entry.path());
            }
        }
    }
}

fn write_record(dir: &Path, c: &Container, durable: bool) -> Result<(), StoreError> {
    let path = dir.join(RECORD);
    let bytes = serde_json::to_vec_pretty(c).map_err(|source| StoreError::Corrupt { path: path.clone(), source })?;
    write_replacing(dir, RECORD, &bytes, durable)
}

fn free_name(taken: &dyn Fn(&str) -> Option<String>) -> Result<String, Lookup> {
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes).map_err(|e| StoreError::Io {
        op: "generate name",
        path: PathBuf::new(),
        source: io::Error::other(e.to_string()),
    })?;
    let seed = u64::from_le_bytes(bytes);
    let name = (0..1000).map(|attempt| generate_name(seed, attempt)).find(|n| taken(n).is_none());
    Ok(name.expect("a free generated name among 1000"))
}
