//! The local image store: verified blobs, one record per tagged image, and
//! one flattened root filesystem per layer stack.
//!
//! Layout under the store root:
//! - `blobs/sha256/<hex>`: every manifest, config and layer ([`BlobStore`]);
//! - `images/images.json`: the image records, rewritten atomically (temp
//!   file, fsync, rename) under `images/.lock`, which an import holds from
//!   start to end;
//! - `rootfs/<chain id hex>/`: the layers applied in order (whiteouts
//!   applied), built in `rootfs/.tmp-<hex>-<pid>` and renamed into place only
//!   when complete, so a killed import never leaves a tree that looks done.
//!   The next import (holding the lock, so no other writer is running)
//!   removes temps left by a killed one.
//!
//! An import writes the record last: a failed import (a corrupt blob, a
//! layer whose content does not match its diff id) leaves at most verified
//! blobs and a temp dir, never an image.
//!
//! Does not belong here: registry downloads (later), overlay assembly.

use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use cove_core::state::{StateStore, StoreError as RecordError};
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use crate::digest::{Digest, DigestError};
use crate::layout::{Layout, LayoutError};
use crate::oci::{Manifest, RunConfig};
use crate::reference::{Reference, ReferenceError};
use crate::store::{BlobStore, StoreError};
use crate::unpack::{UnpackError, UnpackOptions, WhiteoutMode, decompress, unpack_layer};

const RECORDS: &str = "images.json";

/// A failed image-store operation.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ImageError {
    /// Reading the layout failed.
    #[error(transparent)]
    Layout(#[from] LayoutError),
    /// Copying or reading a blob failed (a corrupt blob ends here).
    #[error("blob {digest}")]
    Blob {
        /// The blob.
        digest: String,
        /// The cause.
        #[source]
        source: StoreError,
    },
    /// A manifest or config did not parse.
    #[error("parse {what} {digest}")]
    Json {
        /// `manifest` or `config`.
        what: &'static str,
        /// The blob.
        digest: Digest,
        /// The cause.
        #[source]
        source: serde_json::Error,
    },
    /// A digest in a manifest or config was malformed.
    #[error("bad {what} digest")]
    BadDigest {
        /// Where it was.
        what: &'static str,
        /// The cause.
        #[source]
        source: DigestError,
    },
    /// The config's diff ids do not match the manifest's layers.
    #[error("image config lists {diff_ids} diff ids for {layers} layers")]
    LayerCount {
        /// Diff ids in the config.
        diff_ids: usize,
        /// Layers in the manifest.
        layers: usize,
    },
    /// An image without layers.
    #[error("the image has no layers")]
    NoLayers,
    /// No `--tag` and no name in the layout.
    #[error("the layout names no image (no org.opencontainers.image.ref.name annotation): use --tag")]
    NoName,
    /// The name to tag with is not a valid reference.
    #[error("invalid image name")]
    BadName(#[from] ReferenceError),
    /// A layer's uncompressed content has another digest than its diff id.
    #[error("layer {layer}: uncompressed content is {got}, the config says {expected}")]
    DiffIdMismatch {
        /// The layer blob.
        layer: Digest,
        /// The diff id in the config.
        expected: Digest,
        /// What the content hashed to.
        got: Digest,
    },
    /// Unpacking a layer failed.
    #[error("unpack layer {layer}")]
    Unpack {
        /// The layer blob.
        layer: Digest,
        /// The cause.
        #[source]
        source: UnpackError,
    },
    /// A file-system operation on the rootfs directory failed.
    #[error("{op} {path}")]
    Io {
        /// What was done.
        op: &'static str,
        /// The path.
        path: PathBuf,
        /// The cause.
        #[source]
        source: io::Error,
    },
    /// Opening the blob store or removing its stale temp files failed.
    #[error("{op}")]
    BlobStore {
        /// What was done.
        op: &'static str,
        /// The cause.
        #[source]
        source: StoreError,
    },
    /// Reading or writing the records failed.
    #[error(transparent)]
    Records(#[from] RecordError),
    /// An id prefix matched more than one image.
    #[error("image id prefix {0:?} is ambiguous")]
    Ambiguous(String),
}

/// One tagged image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageRecord {
    /// The normalised reference (`docker.io/library/busybox:latest`).
    pub reference: String,
    /// The repository as Docker prints it (`busybox`, `example.com/x`).
    pub repository: String,
    /// The tag.
    pub tag: String,
    /// The manifest digest.
    pub manifest: String,
    /// The config digest; the image id.
    pub config: String,
    /// The layer blob digests, base first.
    pub layers: Vec<String>,
    /// The chain id of the layers; names the rootfs directory.
    pub chain_id: String,
    /// Creation time from the config (RFC 3339), when given.
    pub created: Option<String>,
    /// The sum of the layer blob sizes (compressed), in bytes.
    pub size: u64,
    /// The runtime defaults (Entrypoint, Cmd, Env, WorkingDir, User).
    pub run_config: RunConfig,
}

impl ImageRecord {
    /// The hex of the config digest (the image id).
    pub fn id_hex(&self) -> &str {
        self.config.split_once(':').map_or(&self.config, |(_, hex)| hex)
    }
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct Records {
    images: Vec<ImageRecord>,
}

/// The store (see the module docs).
#[derive(Debug, Clone)]
pub struct ImageStore {
    root: PathBuf,
    blobs: BlobStore,
    records: StateStore,
}

impl ImageStore {
    /// Opens (creating when missing) the store under `root`.
    pub fn open(root: &Path) -> Result<Self, ImageError> {
        let blobs = BlobStore::open(root).map_err(|source| ImageError::BlobStore { op: "open blob store", source })?;
        let records = StateStore::open(&root.join("images"))?;
        Ok(ImageStore { root: root.to_owned(), blobs, records })
    }

    /// Every image, in import order.
    pub fn list(&self) -> Result<Vec<ImageRecord>, ImageError> {
        Ok(self.records.read::<Records>(RECORDS)?.unwrap_or_default().images)
    }

    /// The image named `name` (a reference, normalised) or, failing that,
    /// whose id starts with `name` (hex, optionally `sha256:`).
    pub fn find(&self, name: &str) -> Result<Option<ImageRecord>, ImageError> {
        let images = self.list()?;
        if let Ok(r) = Reference::parse(name) {
            let full = r.to_string();
            if let Some(found) = images.iter().find(|i| i.reference == full) {
                return Ok(Some(found.clone()));
            }
        }
        let hex = name.strip_prefix("sha256:").unwrap_or(name);
        if hex.is_empty() || !hex.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
            return Ok(None);
        }
        let mut hits = images.into_iter().filter(|i| i.id_hex().starts_with(hex));
        let Some(first) = hits.next() else { return Ok(None) };
        if hits.any(|i| i.config != first.config) {
            return Err(ImageError::Ambiguous(name.to_owned()));
        }
        Ok(Some(first))
    }

    /// The flattened root filesystem of `image`.
    pub fn rootfs(&self, image: &ImageRecord) -> PathBuf {
        let hex = image.chain_id.split_once(':').map_or(image.chain_id.as_str(), |(_, h)| h);
        self.root.join("rootfs").join(hex)
    }

    /// Imports the image an OCI layout directory holds (see
    /// [`Layout::pick`]), tagged `tag` or by the layout's name annotation.
    /// `apply_ownership`: keep the layers' uids and gids (root callers).
    pub fn import_layout(
        &self,
        dir: &Path,
        tag: Option<&Reference>,
        apply_ownership: bool,
    ) -> Result<ImageRecord, ImageError> {
        let lock = self.records.lock()?;
        // Every writer holds the lock, so any temp left now is from a killed import.
        self.remove_stale_temps()?;
        let layout = Layout::open(dir)?;
        let (manifest_desc, name) = layout.pick(|d| self.copy(&layout, d, true))?;
        let reference = match (tag, name) {
            (Some(t), _) => t.clone(),
            (None, Some(n)) => Reference::parse(&n)?,
            (None, None) => return Err(ImageError::NoName),
        };
        let manifest_digest = digest("manifest", &manifest_desc.digest)?;
        let manifest: Manifest = parse("manifest", &manifest_digest, &self.copy(&layout, &manifest_desc, true)?)?;
        self.copy(&layout, &manifest.config, false)?;
        for layer in &manifest.layers {
            self.copy(&layout, layer, false)?;
        }
        self.ingest_locked(&lock, &reference, &manifest_digest, apply_ownership)
    }

    /// Removes blob temps and `rootfs/.tmp-*` dirs; call with the lock held.
    fn remove_stale_temps(&self) -> Result<(), ImageError> {
        self.blobs
            .gc_temp(std::time::Duration::ZERO)
            .map_err(|source| ImageError::BlobStore { op: "remove stale blob temps", source })?;
        let parent = self.root.join("rootfs");
        let Ok(entries) = fs::read_dir(&parent) else { return Ok(()) };
        for entry in entries.flatten() {
            if entry.file_name().to_string_lossy().starts_with(".tmp-") {
                // Best effort: a leftover that cannot be removed must not block imports.
                let _ = fs::remove_dir_all(entry.path());
            }
        }
        Ok(())
    }

    /// Copies one blob from the layout into the store (verifying its digest
    /// and size) and returns its bytes when it is small metadata.
    fn copy(&self, layout: &Layout, desc: &crate::oci::Descriptor, read_back: bool) -> Result<Vec<u8>, ImageError> {
        let d = digest("descriptor", &desc.digest)?;
        let blob_err = |source| ImageError::Blob { digest: d.to_string(), source };
        let mut file = layout.open_blob(&d)?;
        self.blobs.put(&mut file, &d, Some(desc.size)).map_err(blob_err)?;
        if !read_back {
            return Ok(Vec::new());
        }
        let path = self.blobs.path(&d);
        fs::read(&path).map_err(|source| ImageError::Io { op: "read blob", path, source })
    }

    /// Applies the layers in order onto a temp dir and renames it to
    /// `rootfs/<chain hex>`; a tree already there is reused.
    fn build_rootfs(
        &self,
        layers: &[Digest],
        diff_ids: &[Digest],
        chain: &Digest,
        own: bool,
    ) -> Result<(), ImageError> {
        let parent = self.root.join("rootfs");
        let io_err = |op, path: &Path| {
            let path = path.to_owned();
            move |source| ImageError::Io { op, path, source }
        };
        fs::create_dir_all(&parent).map_err(io_err("create", &parent))?;
        let done = parent.join(chain.hex());
        if done.is_dir() {
            return Ok(());
        }
        let temp = parent.join(format!(".tmp-{}-{}", chain.hex(), std::process::id()));
        let _ = fs::remove_dir_all(&temp);
        fs::create_dir(&temp).map_err(io_err("create", &temp))?;
        let options = UnpackOptions { apply_ownership: own, whiteouts: WhiteoutMode::Apply };
        let result = layers
            .iter()
            .zip(diff_ids)
            .try_for_each(|(layer, diff_id)| self.apply_layer(layer, diff_id, &temp, &options))
            .and_then(|()| fs::rename(&temp, &done).map_err(io_err("rename", &done)));
        match result {
            Ok(()) => Ok(()),
            // Another import of the same layers won the rename.
            Err(_) if done.is_dir() => {
                let _ = fs::remove_dir_all(&temp);
                Ok(())
            }
            Err(e) => {
                let _ = fs::remove_dir_all(&temp);
                Err(e)
            }
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
    ) -> Result<(), ImageError> {
        let file =
            self.blobs.open_blob(layer).map_err(|source| ImageError::Blob { digest: layer.to_string(), source })?;
        let archive_err = |source| ImageError::Unpack { layer: layer.clone(), source: UnpackError::Archive { source } };
        let mut hashing = HashingReader { inner: decompress(file).map_err(archive_err)?, hasher: Sha256::new() };
        unpack_layer(&mut hashing, root, opts).map_err(|source| ImageError::Unpack { layer: layer.clone(), source })?;
        // The tar reader stops at the end-of-archive marker; hash the rest.
        io::copy(&mut hashing, &mut io::sink()).map_err(archive_err)?;
        let got: Digest =
            format!("sha256:{}", hex::encode(hashing.hasher.finalize())).parse().expect("sha256 hex is a valid digest");
        if &got != diff_id {
            return Err(ImageError::DiffIdMismatch { layer: layer.clone(), expected: diff_id.clone(), got });
        }
        Ok(())
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

fn digest(what: &'static str, s: &str) -> Result<Digest, ImageError> {
    s.parse().map_err(|source| ImageError::BadDigest { what, source })
}

fn parse<T: serde::de::DeserializeOwned>(what: &'static str, digest: &Digest, bytes: &[u8]) -> Result<T, ImageError> {
    serde_json::from_slice(bytes).map_err(|source| ImageError::Json { what, digest: digest.clone(), source })
}

mod ingest;
#[cfg(test)]
mod tests;
