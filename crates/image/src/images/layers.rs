//! Unpacked layers: one directory per layer under `layers/<chain id>` (the
//! whiteouts written as overlay markers), or one flattened copy under
//! `rootfs/<chain id>` where markers cannot be written. Each directory is
//! built under a temp name and renamed into place when complete.

use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use sha2::{Digest as _, Sha256};

use super::error::io_err;
use super::mapped::MappedJob;
use super::record::{ImageRecord, Storage};
use super::{ImageError, ImageStore};
use crate::digest::Digest;
use crate::oci::chain_id;
use crate::unpack::{UnpackError, UnpackOptions, UnpackReport, WhiteoutMode, decompress, unpack_layer, write_markers};

/// Names of directories being built start with this.
pub(crate) const TEMP_PREFIX: &str = ".tmp-";
/// Per-layer directories.
pub(crate) const LAYERS: &str = "layers";
/// Flattened root filesystems.
pub(crate) const FLAT: &str = "rootfs";
/// Stored containers' copies of their image (the copy fallback).
pub(crate) const COPIES: &str = "copies";

/// What `cove run` mounts for an image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImageRoot {
    /// Layer directories for an overlay, topmost first.
    Layers(Vec<PathBuf>),
    /// One flattened tree.
    Flat(PathBuf),
}

/// The chain id of every prefix of `diff_ids`: the key of each layer dir.
pub(crate) fn chain_ids(diff_ids: &[Digest]) -> Vec<Digest> {
    (1..=diff_ids.len()).filter_map(|n| chain_id(&diff_ids[..n])).collect()
}

/// Removes a tree the caller owns, including directories unpacked
/// read-only (a layer's `0555` directories): their mode is opened to the
/// owner first. Symlinks are never followed.
pub(crate) fn remove_tree(path: &Path) -> io::Result<()> {
    let meta = match fs::symlink_metadata(path) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        other => other?,
    };
    if !meta.is_dir() {
        return fs::remove_file(path);
    }
    open_to_owner(path, &meta)?;
    for entry in fs::read_dir(path)? {
        remove_tree(&entry?.path())?;
    }
    fs::remove_dir(path)
}

/// Gives the owner full access to a directory about to be emptied.
#[cfg(unix)]
fn open_to_owner(path: &Path, meta: &fs::Metadata) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    if meta.permissions().mode() & 0o700 != 0o700 {
        fs::set_permissions(path, fs::Permissions::from_mode(0o700))?;
    }
    Ok(())
}

/// Gives the owner full access to a directory about to be emptied.
#[cfg(not(unix))]
fn open_to_owner(path: &Path, meta: &fs::Metadata) -> io::Result<()> {
    let mut perms = meta.permissions();
    if perms.readonly() {
        #[allow(clippy::permissions_set_readonly_false)]
        perms.set_readonly(false);
        fs::set_permissions(path, perms)?;
    }
    Ok(())
}

/// The lock file a writer of the temp dir `temp` holds while it exists:
/// `<temp>.lock`.
pub(crate) fn lock_path(temp: &Path) -> PathBuf {
    let mut name = temp.as_os_str().to_owned();
    name.push(LOCK_SUFFIX);
    PathBuf::from(name)
}

/// Ends the name of a temp dir's lock file.
pub(crate) const LOCK_SUFFIX: &str = ".lock";

/// `<dir>/.tmp-<hex>-<pid>`.
fn temp_path(dir: &Path, hex: &str) -> PathBuf {
    dir.join(format!("{TEMP_PREFIX}{hex}-{}", std::process::id()))
}

impl ImageStore {
    /// How new images will be stored here: per layer when overlay markers
    /// can be written in the store (probed), flattened otherwise.
    pub fn storage_mode(&self) -> Storage {
        let Some(markers) = &self.markers else { return Storage::Flat };
        let dir = self.root.join(LAYERS);
        if fs::create_dir_all(&dir).is_err() {
            return Storage::Flat;
        }
        let probe = temp_path(&dir, "probe");
        let _ = fs::remove_dir_all(&probe);
        let works = fs::create_dir(&probe).is_ok()
            && markers.whiteout(&probe.join("w")).is_ok()
            && markers.is_whiteout(&probe.join("w"))
            && markers.opaque(&probe).is_ok();
        let _ = fs::remove_dir_all(&probe);
        if works { Storage::Layers } else { Storage::Flat }
    }

    /// The directories `cove run` mounts for `image`, checked to exist.
    pub fn image_root(&self, image: &ImageRecord) -> Result<ImageRoot, ImageError> {
        let missing = |path: PathBuf| {
            let source = io::Error::new(io::ErrorKind::NotFound, "missing: import the image again");
            ImageError::Io { op: "find image layer", path, source }
        };
        let ids: Vec<Digest> =
            image.diff_ids.iter().map(|d| super::ingest::digest("diff id", d)).collect::<Result<_, _>>()?;
        match image.storage {
            Storage::Layers => {
                let mut dirs: Vec<PathBuf> =
                    chain_ids(&ids).iter().map(|c| self.root.join(LAYERS).join(c.hex())).collect();
                if let Some(gone) = dirs.iter().find(|d| !d.is_dir()) {
                    return Err(missing(gone.clone()));
                }
                dirs.reverse();
                Ok(ImageRoot::Layers(dirs))
            }
            Storage::Flat => {
                let chain = chain_id(&ids).ok_or(ImageError::NoLayers)?;
                let dir = self.root.join(FLAT).join(chain.hex());
                if !dir.is_dir() {
                    return Err(missing(dir));
                }
                Ok(ImageRoot::Flat(dir))
            }
        }
    }

    /// Unpacks the layers (reusing directories already there); returns how
    /// they are stored.
    pub(crate) fn build_root(&self, layers: &[Digest], diff_ids: &[Digest], own: bool) -> Result<Storage, ImageError> {
        let storage = self.storage_mode();
        match storage {
            Storage::Layers => {
                let chains = chain_ids(diff_ids);
                for (i, chain) in chains.iter().enumerate() {
                    self.build_layer_dir(&layers[i], &diff_ids[i], chain, own)?;
                }
            }
            Storage::Flat => self.build_flat(layers, diff_ids, own)?,
        }
        Ok(storage)
    }

    /// All layers flattened into `rootfs/<chain hex>` (reused when there).
    pub(crate) fn build_flat(&self, layers: &[Digest], diff_ids: &[Digest], own: bool) -> Result<(), ImageError> {
        let chain = chain_id(diff_ids).ok_or(ImageError::NoLayers)?;
        if self.root.join(FLAT).join(chain.hex()).is_dir() {
            return Ok(());
        }
        let job = MappedJob::Flat {
            layers: layers.iter().map(Digest::to_string).collect(),
            diff_ids: diff_ids.iter().map(Digest::to_string).collect(),
        };
        if let Some(done) = self.delegate(&job) {
            return done;
        }
        self.build_dir(FLAT, chain.hex(), |temp| {
            let opts = UnpackOptions { apply_ownership: own, whiteouts: WhiteoutMode::Apply };
            layers.iter().zip(diff_ids).try_for_each(|(l, d)| self.apply_layer(l, d, temp, &opts).map(drop))
        })
    }

    /// Unpacks one layer blob (already verified in the blob store) into
    /// its own dir `layers/<chain hex>`, whiteouts written as overlay
    /// markers; nothing when the dir is there. Needs [`Storage::Layers`].
    /// Layers are independent of each other, so a pull calls this on its
    /// download threads as soon as each blob is in, before the ingest
    /// (which then finds the dirs done). With a mapper, the helper does it.
    pub(crate) fn build_layer_dir(
        &self,
        layer: &Digest,
        diff_id: &Digest,
        chain: &Digest,
        own: bool,
    ) -> Result<(), ImageError> {
        let markers = self.markers.as_deref().ok_or(ImageError::NoMarkers)?;
        if self.root.join(LAYERS).join(chain.hex()).is_dir() {
            return Ok(());
        }
        let job = MappedJob::Layer { layer: layer.to_string(), diff_id: diff_id.to_string(), chain: chain.to_string() };
        if let Some(done) = self.delegate(&job) {
            return done;
        }
        self.build_dir(LAYERS, chain.hex(), |temp| {
            let opts = UnpackOptions { apply_ownership: own, whiteouts: WhiteoutMode::Record };
            let report = self.apply_layer(layer, diff_id, temp, &opts)?;
            write_markers(temp, &report.whiteouts, markers)
                .map_err(|source| ImageError::Unpack { layer: layer.clone(), source })
        })
    }

    /// Builds `<kind>/<name>` with `fill` in a temp dir, then renames it
    /// into place; a directory already there is reused.
    pub(crate) fn build_dir(
        &self,
        kind: &str,
        name: &str,
        fill: impl FnOnce(&Path) -> Result<(), ImageError>,
    ) -> Result<(), ImageError> {
        let parent = self.root.join(kind);
        fs::create_dir_all(&parent).map_err(io_err("create", &parent))?;
        let done = parent.join(name);
        if done.is_dir() {
            return Ok(());
        }
        let temp = temp_path(&parent, name);
        // ORDER: the lock before the dir, so `prune` never sees the dir of
        // a live writer without its lock held (see `maintain.rs`).
        let lock = lock_path(&temp);
        let lock_file = fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(false)
            .open(&lock)
            .map_err(io_err("create", &lock))?;
        lock_file.lock().map_err(io_err("lock", &lock))?;
        let _ = self.remove_trees(vec![temp.clone()]);
        fs::create_dir(&temp).map_err(io_err("create", &temp))?;
        let result = fill(&temp).and_then(|()| fs::rename(&temp, &done).map_err(io_err("rename", &done)));
        if result.is_err() {
            // Another writer of the same layers may have won the rename.
            let _ = self.remove_trees(vec![temp]);
        }
        let _ = fs::remove_file(&lock);
        match result {
            Err(_) if done.is_dir() => Ok(()),
            other => other,
        }
    }

    /// Unpacks one layer, hashing the uncompressed stream on the way to
    /// check it against the diff id.
    fn apply_layer(
        &self,
        layer: &Digest,
        diff_id: &Digest,
        root: &Path,
        opts: &UnpackOptions,
    ) -> Result<UnpackReport, ImageError> {
        let file =
            self.blobs.open_blob(layer).map_err(|source| ImageError::Blob { digest: layer.to_string(), source })?;
        let archive_err = |source| ImageError::Unpack { layer: layer.clone(), source: UnpackError::Archive { source } };
        let mut hashing = HashingReader { inner: decompress(file).map_err(archive_err)?, hasher: Sha256::new() };
        let report = unpack_layer(&mut hashing, root, opts)
            .map_err(|source| ImageError::Unpack { layer: layer.clone(), source })?;
        // The tar reader stops at the end-of-archive marker; hash the rest.
        io::copy(&mut hashing, &mut io::sink()).map_err(archive_err)?;
        let got: Digest =
            format!("sha256:{}", hex::encode(hashing.hasher.finalize())).parse().expect("sha256 hex is a valid digest");
        if &got != diff_id {
            return Err(ImageError::DiffIdMismatch { layer: layer.clone(), expected: diff_id.clone(), got });
        }
        Ok(report)
    }
}

/// Hashes (sha256) everything read through it.
struct HashingReader<R> {
    inner: R,
    hasher: Sha256,
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
}
