//! Applying one layer tarball (plain, gzip or zstd) onto a directory, safely
//! against hostile layers.
//!
//! Belongs here: reading layer entries and turning them into files,
//! directories, links and whiteout operations under one root. Does not
//! belong here: choosing the root, chain ids, overlay mounts.
//!
//! Safety rules, in the order they are checked for every entry:
//! 1. Paths are normalised lexically: `.` is dropped; absolute paths and any
//!    `..` component are **refused** (the whole layer fails with an error
//!    naming the entry). Real images never need either.
//! 2. Every parent directory is walked component by component from the root
//!    with `symlink_metadata`: a missing one is created, a symlink or a
//!    non-directory is refused. Symlinks are never followed while unpacking,
//!    so `link -> /tmp` followed by `link/pwned` fails instead of writing to
//!    `/tmp/pwned`. The final component is replaced without following it:
//!    an existing entry is removed first and files are created with
//!    `create_new` (`O_EXCL`, which fails rather than follow a symlink).
//! 3. Symlink targets may be anything: they are resolved inside the
//!    container later, never here.
//! 4. Hardlink targets go through rule 1 and 2 as well and must be an
//!    existing regular file (not a symlink, not a directory) in the root.
//! 5. Device nodes and fifos are skipped and counted: `std` cannot make them
//!    and rootless unpacking could not anyway.
//!
//! TOCTOU: the checks and the writes are separate path-based calls, so a
//! process that can write into the root concurrently could swap a checked
//! directory for a symlink between check and use. The caller must keep the
//! unpack directory private (under a 0700 store directory) and run nothing
//! else in it while a layer is applied; within one archive the entries are
//! applied strictly in order, so a layer cannot race itself. A Linux-only
//! backend may later swap the walk for
//! `openat2(RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS)`.
//!
//! Whiteouts: see [`WhiteoutMode`]. Whiteout marker files are never written.
//! Extended attributes: see `unpack/xattrs.rs`.

mod compression;
mod entries;
mod markers;
mod paths;
mod pool;
mod whiteout;
mod xattrs;

use std::collections::HashSet;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use tar::EntryType;

pub(crate) use compression::decompress;
pub use markers::write_markers;
pub use whiteout::{Whiteout, WhiteoutMode};

/// A failed unpack; each variant names the entry or path and the operation.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum UnpackError {
    /// The archive itself could not be read or decompressed.
    #[error("read layer archive")]
    Archive {
        /// The cause.
        #[source]
        source: io::Error,
    },
    /// An entry had an absolute path.
    #[error("layer entry {entry:?} has an absolute path")]
    AbsolutePath {
        /// The entry name as stored in the archive.
        entry: PathBuf,
    },
    /// An entry had a `..` component.
    #[error("layer entry {entry:?} has a `..` component")]
    ParentComponent {
        /// The entry name as stored in the archive.
        entry: PathBuf,
    },
    /// A parent of the entry is a symlink; it would be followed.
    #[error("layer entry {entry:?}: parent {parent:?} is a symlink")]
    SymlinkParent {
        /// The entry name.
        entry: PathBuf,
        /// The parent, relative to the root.
        parent: PathBuf,
    },
    /// A parent of the entry exists and is not a directory.
    #[error("layer entry {entry:?}: parent {parent:?} is not a directory")]
    NotADirectory {
        /// The entry name.
        entry: PathBuf,
        /// The parent, relative to the root.
        parent: PathBuf,
    },
    /// A hardlink pointed at something other than a regular file in the root.
    #[error("layer entry {entry:?}: hardlink target {target:?} {reason}")]
    BadHardlink {
        /// The entry name.
        entry: PathBuf,
        /// The link target as stored.
        target: PathBuf,
        /// Why it was refused.
        reason: &'static str,
    },
    /// A whiteout named nothing usable (`.wh.`, `.wh..`).
    #[error("layer entry {entry:?} is a malformed whiteout")]
    BadWhiteout {
        /// The entry name.
        entry: PathBuf,
    },
    /// A file-system operation on an entry failed.
    #[error("{op} {path:?}")]
    Io {
        /// What was being done (`create file`, `set mode`, …).
        op: &'static str,
        /// The host path.
        path: PathBuf,
        /// The cause.
        #[source]
        source: io::Error,
    },
}

/// How to apply a layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct UnpackOptions {
    /// Apply each entry's uid/gid (only meaningful as root, or inside a user
    /// namespace that maps them). When false, files belong to the caller and
    /// [`UnpackReport::ownership_not_applied`] counts entries not owned by 0:0.
    pub apply_ownership: bool,
    /// What to do with whiteouts.
    pub whiteouts: WhiteoutMode,
}

/// What an unpack did besides writing files.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UnpackReport {
    /// Entries written (files, directories, links).
    pub entries: u64,
    /// Character and block devices skipped.
    pub skipped_devices: u64,
    /// Fifos skipped.
    pub skipped_fifos: u64,
    /// Other entry types skipped (unknown or archive-level metadata).
    pub skipped_other: u64,
    /// Entries whose uid/gid were not 0:0 and were not applied.
    pub ownership_not_applied: u64,
    /// Extended attributes skipped (see `unpack/xattrs.rs`) or refused by the kernel.
    pub xattrs_not_applied: u64,
    /// Whiteouts in archive order, paths relative to the root.
    pub whiteouts: Vec<Whiteout>,
}

/// Unpacks one layer from `reader` (plain tar, gzip or zstd, detected by
/// magic bytes) onto the existing directory `root`.
pub fn unpack_layer(reader: impl Read, root: &Path, options: &UnpackOptions) -> Result<UnpackReport, UnpackError> {
    let reader = compression::decompress(reader).map_err(|source| UnpackError::Archive { source })?;
    let mut archive = tar::Archive::new(reader);
    std::thread::scope(|scope| {
        let mut state = State {
            root,
            options,
            report: UnpackReport::default(),
            written: HashSet::new(),
            dirs: Vec::new(),
            known_dirs: HashSet::new(),
            pool: pool::Pool::start(scope),
            pending: HashSet::new(),
        };
        for entry in archive.entries().map_err(|source| UnpackError::Archive { source })? {
            let entry = entry.map_err(|source| UnpackError::Archive { source })?;
            state.apply(entry)?;
        }
        state.settle(root, true)?;
        state.pool.stop();
        // ORDER: directory modes and mtimes last, deepest first: creating
        // children bumps a directory's mtime, and a read-only mode would stop
        // later entries from being created inside it.
        state.dirs.sort_by_key(|d| std::cmp::Reverse(d.path.components().count()));
        for dir in &state.dirs {
            state.report.xattrs_not_applied += entries::finish_dir(dir)?;
        }
        Ok(state.report)
    })
}

/// Mutable state while one layer is applied.
struct State<'a> {
    root: &'a Path,
    options: &'a UnpackOptions,
    report: UnpackReport,
    /// Root-relative paths this layer wrote; whiteouts only remove lower content.
    written: HashSet<PathBuf>,
    /// Directory metadata applied after all entries.
    dirs: Vec<entries::DirMeta>,
    /// Host directories already checked (see `paths::prepare_parents`).
    known_dirs: HashSet<PathBuf>,
    /// Writes small regular files on other threads (see `unpack/pool.rs`).
    pool: pool::Pool,
    /// Host paths queued to the pool since its last drain.
    pending: HashSet<PathBuf>,
}

impl State<'_> {
    fn apply<R: Read>(&mut self, mut entry: tar::Entry<'_, R>) -> Result<(), UnpackError> {
        let raw = entry.path().map_err(|source| UnpackError::Archive { source })?.into_owned();
        // ORDER: refuse escaping names before anything else looks at the entry.
        let rel = paths::normalise(&raw)?;
        let kind = entry.header().entry_type();
        if let Some(wh) = whiteout::parse(&raw, &rel)? {
            if self.options.whiteouts == WhiteoutMode::Apply {
                self.settle(self.root, true)?;
                // The whiteout may remove checked directories.
                self.known_dirs.clear();
                whiteout::apply(self.root, &raw, &wh, &self.written)?;
            }
            self.report.whiteouts.push(wh);
            return Ok(());
        }
        match kind {
            EntryType::Char | EntryType::Block => self.report.skipped_devices += 1,
            EntryType::Fifo => self.report.skipped_fifos += 1,
            // The root itself (`./`): its metadata belongs to whoever made the root.
            _ if rel.as_os_str().is_empty() => {}
            EntryType::Regular
            | EntryType::Continuous
            | EntryType::GNUSparse
            | EntryType::Directory
            | EntryType::Symlink
            | EntryType::Link => {
                self.write(&mut entry, &raw, &rel)?;
                self.written.insert(rel);
                self.report.entries += 1;
            }
            _ => self.report.skipped_other += 1,
        }
        Ok(())
    }

    /// Creates one file, directory or link after its parents are checked.
    fn write<R: Read>(&mut self, entry: &mut tar::Entry<'_, R>, raw: &Path, rel: &Path) -> Result<(), UnpackError> {
        let meta = entries::Meta::from_header(entry.header(), raw)?;
        let (attrs, skipped) = xattrs::of_entry(entry);
        self.report.xattrs_not_applied += skipped;
        let owner = self.options.apply_ownership;
        if !owner && (meta.uid, meta.gid) != (0, 0) {
            self.report.ownership_not_applied += 1;
        }
        let kind = entry.header().entry_type();
        // ORDER: pending writes finish before anything at, above or below
        // their paths changes (see `unpack/pool.rs`).
        self.settle(&self.root.join(rel), kind == EntryType::Link)?;
        let host = paths::prepare_parents(self.root, raw, rel, &mut self.known_dirs)?;
        if kind != EntryType::Directory {
            self.forget(&host);
        }
        match entry.header().entry_type() {
            EntryType::Directory => {
                entries::make_dir(&host)?;
                self.dirs.push(entries::DirMeta { path: host, meta, owner, attrs });
                Ok(())
            }
            EntryType::Symlink => {
                let target = link_name(entry, raw)?;
                entries::make_symlink(&host, &target, &meta, owner)
            }
            EntryType::Link => {
                let target = link_name(entry, raw)?;
                let source = paths::hardlink_source(self.root, raw, &target)?;
                entries::make_hardlink(&source, &host)
            }
            // Sparse entries expand beyond their size: written here.
            EntryType::Regular if entry.size() <= pool::SMALL => {
                let mut data = Vec::with_capacity(usize::try_from(entry.size()).unwrap_or(0));
                entry.read_to_end(&mut data).map_err(|source| UnpackError::Archive { source })?;
                self.pending.insert(host.clone());
                self.pool.send(pool::Job { host, data, meta, owner, attrs });
                Ok(())
            }
            _ => {
                self.report.xattrs_not_applied += entries::write_file(&host, entry, &meta, owner, &attrs)?;
                Ok(())
            }
        }
    }
}

impl State<'_> {
    /// Waits for the pool when `always`, or when `host` (an entry about to
    /// be written) is pending or below a pending path, or exists (then it
    /// is replaced, and pending files may be below it).
    fn settle(&mut self, host: &Path, always: bool) -> Result<(), UnpackError> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let conflict =
            always || host.ancestors().any(|a| self.pending.contains(a)) || std::fs::symlink_metadata(host).is_ok();
        if conflict {
            self.pending.clear();
            self.pool.drain(&mut self.report.xattrs_not_applied)?;
        }
        Ok(())
    }

    /// Drops `host` and everything below it from the checked directories:
    /// a non-directory entry is about to replace whatever is there.
    fn forget(&mut self, host: &Path) {
        if self.known_dirs.remove(host) {
            self.known_dirs.retain(|d| !d.starts_with(host));
        }
    }
}

fn link_name<R: Read>(entry: &tar::Entry<'_, R>, raw: &Path) -> Result<PathBuf, UnpackError> {
    match entry.link_name() {
        Ok(Some(target)) => Ok(target.into_owned()),
        Ok(None) => Err(UnpackError::Archive { source: missing_link(raw) }),
        Err(source) => Err(UnpackError::Archive { source }),
    }
}

fn missing_link(entry: &Path) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, format!("link entry {entry:?} has no target"))
}
