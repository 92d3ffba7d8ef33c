//! Resumable blob downloads, verified before they are published.
//!
//! A blob is downloaded into `blobs/<alg>/.partial-<hex>` beside its final
//! name, holding an exclusive lock on that file (`flock`), so that two
//! pulls never write the same partial file and the second one finds the
//! blob published by the first. Interrupted transfers continue with an HTTP
//! `Range` request from the partial file's length, in this process (after a
//! connection error) or in a later pull (after a kill). Only
//! [`BlobStore::adopt`], which hashes the whole file and compares it with
//! the digest and size, makes a blob visible under its name; a partial
//! file is never trusted. A mismatch removes the partial file (and, when
//! the download had resumed a leftover, starts once more from zero).

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use super::transport::Session;
use super::{LayerProgress, RegistryError};
use crate::digest::Digest;
use crate::store::{BlobStore, PARTIAL_PREFIX, PutOutcome, StoreError};

/// Retries of a transfer that broke off mid-body.
const RESUMES: u32 = 5;

/// One blob to fetch.
pub(super) struct BlobJob<'a> {
    /// `layer` or `config`, for messages.
    pub what: &'static str,
    /// The repository path.
    pub repository: &'a str,
    /// The digest.
    pub digest: Digest,
    /// The size from the descriptor.
    pub size: u64,
}

/// Where the partial download of `digest` lives.
fn partial_path(blobs: &BlobStore, digest: &Digest) -> PathBuf {
    blobs.path(digest).with_file_name(format!("{PARTIAL_PREFIX}{}", digest.hex()))
}

/// Stores `bytes` (already verified by the caller) as the blob `digest`,
/// through the same partial file and lock as downloads.
pub(super) fn store_bytes(blobs: &BlobStore, digest: &Digest, bytes: &[u8]) -> Result<(), RegistryError> {
    let path = partial_path(blobs, digest);
    let mut file = open_locked(&path)?;
    let io_err = |source| RegistryError::Io { op: "write", path: path.clone(), source };
    file.set_len(0).map_err(io_err)?;
    file.write_all(bytes).map_err(io_err)?;
    publish(blobs, &path, digest, Some(bytes.len() as u64), "manifest")
}

/// Downloads `job` into the store unless it is there; reports progress.
pub(super) fn fetch(
    session: &Session,
    blobs: &BlobStore,
    job: &BlobJob<'_>,
    progress: &dyn LayerProgress,
    stop: &AtomicBool,
) -> Result<(), RegistryError> {
    if blobs.contains(&job.digest) {
        progress.finish("Already exists");
        return Ok(());
    }
    let path = partial_path(blobs, &job.digest);
    // ORDER: lock before looking at the store again, so a concurrent pull
    // that published the blob meanwhile is seen and nothing is downloaded twice.
    let mut file = open_locked(&path)?;
    if blobs.contains(&job.digest) {
        let _ = std::fs::remove_file(&path);
        progress.finish("Already exists");
        return Ok(());
    }
    let io_err = |source| RegistryError::Io { op: "write", path: path.clone(), source };
    let leftover = file.metadata().map_err(io_err)?.len();
    if leftover > job.size {
        file.set_len(0).map_err(io_err)?;
    }
    download(session, job, &mut file, &path, progress, stop)?;
    match publish(blobs, &path, &job.digest, Some(job.size), job.what) {
        Err(RegistryError::DigestMismatch { .. }) if leftover > 0 && leftover <= job.size => {
            // The leftover of an earlier pull may be what was wrong: once more from zero.
            let mut file = open_locked(&path)?;
            file.set_len(0).map_err(io_err)?;
            download(session, job, &mut file, &path, progress, stop)?;
            publish(blobs, &path, &job.digest, Some(job.size), job.what)?;
        }
        other => other?,
    }
    progress.finish("Download complete");
    Ok(())
}

/// Opens (creating) the partial file and waits for its lock; opens it
/// again when `prune` removed the name while this waited.
fn open_locked(path: &Path) -> Result<File, RegistryError> {
    let io_err = |op| move |source| RegistryError::Io { op, path: path.to_owned(), source };
    loop {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
            .map_err(io_err("open"))?;
        file.lock().map_err(io_err("lock"))?;
        if same_file(&file, path) {
            return Ok(file);
        }
    }
}

/// Whether `path` still names the open `file`.
#[cfg(unix)]
fn same_file(file: &File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (file.metadata(), std::fs::metadata(path)) {
        (Ok(a), Ok(b)) => (a.dev(), a.ino()) == (b.dev(), b.ino()),
        _ => false,
    }
}

/// Open files cannot be unlinked on Windows, so the name is still the file.
#[cfg(not(unix))]
fn same_file(_file: &File, path: &Path) -> bool {
    path.exists()
}

/// Fills `file` up to `job.size` bytes, continuing from its length.
fn download(
    session: &Session,
    job: &BlobJob<'_>,
    file: &mut File,
    path: &Path,
    progress: &dyn LayerProgress,
    stop: &AtomicBool,
) -> Result<(), RegistryError> {
    let url = format!("{}/v2/{}/blobs/{}", session.base, job.repository, job.digest);
    let io_err = |source| RegistryError::Io { op: "write", path: path.to_owned(), source };
    let mut resumes = 0;
    loop {
        let have = file.metadata().map_err(io_err)?.len();
        progress.position(have);
        if have >= job.size {
            return Ok(());
        }
        let range = format!("bytes={have}-");
        let headers: &[(&str, &str)] = if have > 0 { &[("Range", &range)] } else { &[] };
        let response = session.get(&url, headers)?;
        let start = match response.status().as_u16() {
            206 => have,
            // The server ignored the range: start over.
            200 => 0,
            // The range is past what the server has: start over.
            416 => {
                file.set_len(0).map_err(io_err)?;
                continue;
            }
            404 => {
                return Err(RegistryError::BlobUnknown {
                    what: job.what,
                    digest: job.digest.clone(),
                    repository: format!("{}/{}", session.registry, job.repository),
                });
            }
            _ => return Err(session.status_error(&url, response, &job.digest.to_string())),
        };
        file.set_len(start).map_err(io_err)?;
        file.seek(SeekFrom::Start(start)).map_err(io_err)?;
        let mut body = response.into_body().into_reader();
        match copy(&mut body, file, start, job.size, progress, stop) {
            Ok(()) => {}
            Err(CopyError::Stopped) => return Err(RegistryError::Aborted),
            Err(CopyError::Write(e)) => return Err(io_err(e)),
            Err(CopyError::Read(_)) if resumes < RESUMES => {
                resumes += 1;
                std::thread::sleep(std::time::Duration::from_millis(200 * u64::from(resumes)));
            }
            Err(CopyError::Read(e)) => {
                let source = ureq::Error::Io(e);
                return Err(RegistryError::Unreachable { registry: session.registry.clone(), url, source });
            }
        }
    }
}

enum CopyError {
    Read(io::Error),
    Write(io::Error),
    Stopped,
}

/// Copies the body into the file, never past `size` bytes in all.
fn copy(
    body: &mut impl Read,
    file: &mut File,
    mut at: u64,
    size: u64,
    progress: &dyn LayerProgress,
    stop: &AtomicBool,
) -> Result<(), CopyError> {
    let mut buf = vec![0u8; 256 * 1024];
    while at < size {
        if stop.load(Ordering::Relaxed) {
            return Err(CopyError::Stopped);
        }
        let want = buf.len().min(usize::try_from(size - at).unwrap_or(usize::MAX));
        let n = match body.read(&mut buf[..want]) {
            Ok(0) => return Err(CopyError::Read(io::ErrorKind::UnexpectedEof.into())),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(CopyError::Read(e)),
        };
        file.write_all(&buf[..n]).map_err(CopyError::Write)?;
        at += n as u64;
        progress.position(at);
    }
    Ok(())
}

/// Verifies the partial file and publishes it; removes it either way.
fn publish(
    blobs: &BlobStore,
    path: &Path,
    digest: &Digest,
    size: Option<u64>,
    what: &'static str,
) -> Result<(), RegistryError> {
    let result = blobs.adopt(path, digest, size);
    // Published (linked) or refused: the partial file has served either way.
    let _ = std::fs::remove_file(path);
    match result {
        Ok(PutOutcome::Stored(_) | PutOutcome::AlreadyPresent) => Ok(()),
        Err(StoreError::DigestMismatch { expected, got }) => Err(RegistryError::DigestMismatch { what, expected, got }),
        Err(StoreError::SizeMismatch { digest, expected, got }) => {
            Err(RegistryError::SizeMismatch { what, digest, expected, got })
        }
        Err(source) => Err(RegistryError::Store { digest: digest.clone(), source }),
    }
}
