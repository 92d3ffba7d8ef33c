//! A content-addressed blob store: `ROOT/blobs/<algorithm>/<hex>`.
//!
//! Belongs here: putting a stream into the store with its digest and size
//! verified on the way in, opening and re-verifying blobs, and removing
//! temp files that interrupted writes left behind. Does not belong here:
//! downloading, manifests, or locking images (a later `image store`).
//!
//! Writes go to `.tmp-<hex>-<pid>-<n>` in the blob's own directory, are
//! hashed while written, checked, fsynced and then published by a hard link
//! to the final name (falling back to a rename where the file system has no
//! hard links). A blob name therefore only ever appears with its complete,
//! verified content, and an existing blob is never rewritten: when two
//! writers race, the second link fails with "already exists" and its temp is
//! dropped. Temp names start with `.`, and blob names are pure hex, so a temp
//! is never mistaken for a blob.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use crate::digest::{Algorithm, Digest, VerifyingWriter, digest_reader};

const TEMP_PREFIX: &str = ".tmp-";
/// Names of resumable downloads in progress (`.partial-<hex>`, written by
/// the registry client under a lock on the file itself).
pub const PARTIAL_PREFIX: &str = ".partial-";

/// A failed store operation; each variant names the operation and path.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// Creating a store directory failed.
    #[error("create store directory {path}")]
    CreateDir {
        /// The directory.
        path: PathBuf,
        /// The cause.
        #[source]
        source: io::Error,
    },
    /// Creating, writing or syncing a temp file failed, or the source stream failed.
    #[error("write blob {digest} to {path}")]
    Write {
        /// The blob being written.
        digest: Digest,
        /// The temp file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: io::Error,
    },
    /// The content had another digest than expected.
    #[error("blob digest mismatch: expected {expected}, got {got}")]
    DigestMismatch {
        /// The digest asked for.
        expected: Digest,
        /// The digest of what was read.
        got: Digest,
    },
    /// The content had another size than expected.
    #[error("blob {digest} size mismatch: expected {expected} bytes, got {got}")]
    SizeMismatch {
        /// The blob.
        digest: Digest,
        /// The size asked for.
        expected: u64,
        /// The size read.
        got: u64,
    },
    /// Publishing the verified temp under its final name failed.
    #[error("publish blob {path}")]
    Publish {
        /// The final blob path.
        path: PathBuf,
        /// The cause.
        #[source]
        source: io::Error,
    },
    /// Opening or reading a stored blob failed (including "not found").
    #[error("read blob {path}")]
    Read {
        /// The blob path.
        path: PathBuf,
        /// The cause.
        #[source]
        source: io::Error,
    },
    /// Listing or removing temp files failed.
    #[error("clean temp files in {path}")]
    CleanTemp {
        /// The directory or file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: io::Error,
    },
    /// Deleting a blob failed.
    #[error("remove blob {path}")]
    Remove {
        /// The blob file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: io::Error,
    },
}

/// What [`BlobStore::put`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PutOutcome {
    /// The blob was written and verified; its size in bytes.
    Stored(u64),
    /// The blob was already present; the reader was not consumed.
    AlreadyPresent,
}

/// A content-addressed blob store rooted at a directory.
#[derive(Debug, Clone)]
pub struct BlobStore {
    root: PathBuf,
}

impl BlobStore {
    /// Opens (creating when missing) a store under `root`.
    pub fn open(root: impl Into<PathBuf>) -> Result<Self, StoreError> {
        let store = BlobStore { root: root.into() };
        for algorithm in [Algorithm::Sha256, Algorithm::Sha512] {
            let dir = store.algorithm_dir(algorithm);
            fs::create_dir_all(&dir).map_err(|source| StoreError::CreateDir { path: dir, source })?;
        }
        Ok(store)
    }

    /// Where the blob for `digest` lives (whether or not it exists).
    pub fn path(&self, digest: &Digest) -> PathBuf {
        self.algorithm_dir(digest.algorithm()).join(digest.hex())
    }

    /// Whether the blob is present (not whether it is intact: see [`Self::verify`]).
    pub fn contains(&self, digest: &Digest) -> bool {
        self.path(digest).is_file()
    }

    /// Stores what `reader` yields as `expected`, checking `expected_size`
    /// when given. On any mismatch or read error the temp file is removed and
    /// nothing appears under the blob's name.
    pub fn put(
        &self,
        reader: &mut impl Read,
        expected: &Digest,
        expected_size: Option<u64>,
    ) -> Result<PutOutcome, StoreError> {
        let final_path = self.path(expected);
        if final_path.is_file() {
            return Ok(PutOutcome::AlreadyPresent);
        }
        let (file, temp) = self.create_temp(expected)?;
        let result = write_verified(file, &temp, reader, expected, expected_size)
            .and_then(|size| publish(&temp, &final_path).map(|()| size));
        // The temp is either linked (and now redundant) or failed; removal
        // errors are left for `gc_temp` rather than hiding the real outcome.
        let _ = fs::remove_file(&temp);
        let size = result?;
        sync_dir(final_path.parent().unwrap_or(&self.root))
            .map_err(|source| StoreError::Publish { path: final_path, source })?;
        Ok(PutOutcome::Stored(size))
    }

    /// Every stored blob with its size (temps excluded).
    pub fn list(&self) -> Result<Vec<(Digest, u64)>, StoreError> {
        let mut out = Vec::new();
        for algorithm in [Algorithm::Sha256, Algorithm::Sha512] {
            let dir = self.algorithm_dir(algorithm);
            let read = |source| StoreError::Read { path: dir.clone(), source };
            for entry in fs::read_dir(&dir).map_err(read)? {
                let entry = entry.map_err(read)?;
                let name = entry.file_name().to_string_lossy().into_owned();
                let Ok(digest) = format!("{}:{name}", algorithm.name()).parse::<Digest>() else { continue };
                out.push((digest, entry.metadata().map(|m| m.len()).unwrap_or(0)));
            }
        }
        Ok(out)
    }

    /// Deletes a blob (nothing when it is not there).
    pub fn remove(&self, digest: &Digest) -> Result<(), StoreError> {
        let path = self.path(digest);
        match fs::remove_file(&path) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(StoreError::Remove { path, source: e }),
            _ => Ok(()),
        }
    }

    /// Publishes the file at `path` (in this store, on the same file system)
    /// as `expected` after hashing it and checking `expected_size` when
    /// given: the way in for blobs written elsewhere first, such as a
    /// resumable download. The file itself is left where it is (unless the
    /// file system has no hard links, when it is renamed into place).
    pub fn adopt(&self, path: &Path, expected: &Digest, expected_size: Option<u64>) -> Result<PutOutcome, StoreError> {
        let final_path = self.path(expected);
        if final_path.is_file() {
            return Ok(PutOutcome::AlreadyPresent);
        }
        let read_err = |source| StoreError::Read { path: path.to_owned(), source };
        let mut file = File::open(path).map_err(read_err)?;
        let (got, size) = digest_reader(&mut file, expected.algorithm()).map_err(read_err)?;
        if let Some(want) = expected_size
            && want != size
        {
            return Err(StoreError::SizeMismatch { digest: expected.clone(), expected: want, got: size });
        }
        if &got != expected {
            return Err(StoreError::DigestMismatch { expected: expected.clone(), got });
        }
        file.sync_all().map_err(read_err)?;
        publish(path, &final_path)?;
        sync_dir(final_path.parent().unwrap_or(&self.root))
            .map_err(|source| StoreError::Publish { path: final_path, source })?;
        Ok(PutOutcome::Stored(size))
    }

    /// Opens a blob for reading without re-hashing it.
    pub fn open_blob(&self, digest: &Digest) -> Result<File, StoreError> {
        let path = self.path(digest);
        File::open(&path).map_err(|source| StoreError::Read { path, source })
    }

    /// Re-hashes a stored blob; returns its size when the digest still matches.
    pub fn verify(&self, digest: &Digest) -> Result<u64, StoreError> {
        let mut file = self.open_blob(digest)?;
        let (got, size) = digest_reader(&mut file, digest.algorithm())
            .map_err(|source| StoreError::Read { path: self.path(digest), source })?;
        if &got != digest {
            return Err(StoreError::DigestMismatch { expected: digest.clone(), got });
        }
        Ok(size)
    }

    /// Removes temp files last modified more than `older_than` ago; returns
    /// how many were removed. Pass `Duration::ZERO` only when no other
    /// writer can be running.
    pub fn gc_temp(&self, older_than: Duration) -> Result<usize, StoreError> {
        let now = SystemTime::now();
        let mut removed = 0;
        for algorithm in [Algorithm::Sha256, Algorithm::Sha512] {
            let dir = self.algorithm_dir(algorithm);
            let clean = |source| StoreError::CleanTemp { path: dir.clone(), source };
            for entry in fs::read_dir(&dir).map_err(clean)? {
                let entry = entry.map_err(clean)?;
                if !entry.file_name().to_string_lossy().starts_with(TEMP_PREFIX) {
                    continue;
                }
                let modified = entry.metadata().and_then(|m| m.modified()).map_err(clean)?;
                if now.duration_since(modified).unwrap_or_default() >= older_than {
                    let path = entry.path();
                    match fs::remove_file(&path) {
                        Ok(()) => removed += 1,
                        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                        Err(source) => return Err(StoreError::CleanTemp { path, source }),
                    }
                }
            }
        }
        Ok(removed)
    }

    /// Removes partial downloads (`.partial-*`) that no writer holds
    /// locked: the leftovers of killed pulls. Returns the bytes freed.
    pub fn gc_partial(&self) -> Result<u64, StoreError> {
        let mut freed = 0;
        for algorithm in [Algorithm::Sha256, Algorithm::Sha512] {
            let dir = self.algorithm_dir(algorithm);
            let clean = |source| StoreError::CleanTemp { path: dir.clone(), source };
            for entry in fs::read_dir(&dir).map_err(clean)? {
                let entry = entry.map_err(clean)?;
                if !entry.file_name().to_string_lossy().starts_with(PARTIAL_PREFIX) {
                    continue;
                }
                let path = entry.path();
                let Ok(file) = OpenOptions::new().write(true).open(&path) else { continue };
                // A pull holds its partial file locked for as long as it writes it.
                if file.try_lock().is_err() {
                    continue;
                }
                let size = file.metadata().map(|m| m.len()).unwrap_or(0);
                // ORDER: unlinked while locked; a pull that opened the name
                // meanwhile sees the name gone once it has the lock and
                // opens it again (`registry/blob.rs`).
                // Best effort (Windows cannot unlink an open file): a
                // leftover is never trusted anyway, only resumed.
                if fs::remove_file(&path).is_ok() {
                    freed += size;
                }
            }
        }
        Ok(freed)
    }

    fn algorithm_dir(&self, algorithm: Algorithm) -> PathBuf {
        self.root.join("blobs").join(algorithm.name())
    }

    fn create_temp(&self, digest: &Digest) -> Result<(File, PathBuf), StoreError> {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let dir = self.algorithm_dir(digest.algorithm());
        loop {
            let n = COUNTER.fetch_add(1, Ordering::Relaxed);
            let path = dir.join(format!("{TEMP_PREFIX}{}-{}-{n}", digest.hex(), std::process::id()));
            match OpenOptions::new().write(true).create_new(true).open(&path) {
                Ok(f) => return Ok((f, path)),
                // A leftover from a crashed process that had our pid: try the next number.
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(source) => return Err(StoreError::Write { digest: digest.clone(), path, source }),
            }
        }
    }
}

fn write_verified(
    file: File,
    temp: &Path,
    reader: &mut impl Read,
    expected: &Digest,
    expected_size: Option<u64>,
) -> Result<u64, StoreError> {
    let write_err = |source| StoreError::Write { digest: expected.clone(), path: temp.to_owned(), source };
    let mut writer = VerifyingWriter::new(file, expected.algorithm());
    io::copy(reader, &mut writer).map_err(write_err)?;
    let (file, got, size) = writer.finish();
    if let Some(want) = expected_size
        && want != size
    {
        return Err(StoreError::SizeMismatch { digest: expected.clone(), expected: want, got: size });
    }
    if &got != expected {
        return Err(StoreError::DigestMismatch { expected: expected.clone(), got });
    }
    file.sync_all().map_err(write_err)?;
    Ok(size)
}

/// Links `temp` to `final_path` unless a blob is already there.
fn publish(temp: &Path, final_path: &Path) -> Result<(), StoreError> {
    match fs::hard_link(temp, final_path) {
        Ok(()) => Ok(()),
        // Another writer published the same verified content first.
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(()),
        // No hard links on this file system: rename, which may replace an
        // identical blob published in between, never a partial one.
        Err(_) => {
            fs::rename(temp, final_path).map_err(|source| StoreError::Publish { path: final_path.into(), source })
        }
    }
}

/// Makes a rename or link in `dir` durable.
#[cfg(unix)]
fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// Directories cannot be opened for syncing with std on this platform.
#[cfg(not(unix))]
fn sync_dir(_dir: &Path) -> io::Result<()> {
    Ok(())
}
