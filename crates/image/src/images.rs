//! The local image store: verified blobs, one record per image, and the
//! unpacked layers that root filesystems are made of.
//!
//! Layout under the store root:
//! - `blobs/sha256/<hex>`: every manifest, config and layer ([`BlobStore`]);
//! - `images/images.json`: the image records ([`ImageRecord`]), rewritten
//!   atomically (temp file, fsync, rename) under `images/.lock`, which every
//!   writer (ingest, tag, rmi, prune) holds from start to end;
//! - `layers/<chain id hex>/`: one directory per layer, keyed by the chain id
//!   of the layers up to and including it, unpacked once and shared by every
//!   image with the same base; whiteouts are overlay markers
//!   ([`OverlayMarkers`]). `cove run` stacks them as overlay lower dirs;
//! - `rootfs/<chain id hex>/`: the fallback where the markers cannot be
//!   written: all layers flattened into one copy;
//! - `holds/<image id hex>`: locked (shared) by every running container of
//!   the image ([`crate::hold`]);
//! - `tmp/.tmp-root<n>-<pid>/`: a running container's private copy of its
//!   image where overlay cannot be mounted ([`RootCopy`]).
//!
//! Rootless with subordinate id ranges, unpacking, copying and removing
//! happen in a helper inside the containers' user namespace ([`IdMapper`]),
//! so files keep the image's owners.
//!
//! Directories are built under `.tmp-<hex>-<pid>` next to their final name
//! and renamed into place only when complete, and the record is written
//! last: a killed import leaves at most verified blobs and temp dirs, never
//! something a later import or run trusts. Layer and blob reference counts
//! are not stored: they are derived from the records when pruning, so they
//! cannot drift.
//!
//! Does not belong here: registry downloads (`crate::registry`, which calls
//! [`ImageStore::ingest`]), mounting overlays.

mod copy;
mod error;
mod import;
mod ingest;
mod layers;
mod maintain;
mod mapped;
mod record;
mod tarball;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use cove_core::overlay::OverlayMarkers;
use cove_core::state::StateStore;

use crate::reference::Reference;
use crate::store::BlobStore;

pub use copy::RootCopy;
pub use error::ImageError;
pub use ingest::IngestOptions;
pub use layers::ImageRoot;
pub use maintain::{DiskUsage, ImageUsers, PruneReport, Removed};
pub use mapped::{IdMapper, MappedJob};
use record::Records;
pub use record::{ImageRecord, Storage, familiar_parts};

const RECORDS: &str = "images.json";

/// The store (see the module docs).
#[derive(Clone)]
pub struct ImageStore {
    root: PathBuf,
    blobs: BlobStore,
    records: StateStore,
    markers: Option<Arc<dyn OverlayMarkers>>,
    /// Unpacks, copies and removes in the containers' user namespace.
    mapper: Option<Arc<dyn IdMapper>>,
}

impl std::fmt::Debug for ImageStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImageStore")
            .field("root", &self.root)
            .field("markers", &self.markers.is_some())
            .field("mapper", &self.mapper.is_some())
            .finish()
    }
}

impl ImageStore {
    /// Opens (creating when missing) the store under `root`. Without
    /// [`ImageStore::with_markers`] images are stored flattened.
    pub fn open(root: &Path) -> Result<Self, ImageError> {
        let blobs = BlobStore::open(root).map_err(|source| ImageError::BlobStore { op: "open blob store", source })?;
        let records = StateStore::open(&root.join("images"))?;
        Ok(ImageStore { root: root.to_owned(), blobs, records, markers: None, mapper: None })
    }

    /// Stores new images as per-layer directories, writing whiteouts with
    /// `markers` (when a probe in the store shows they work).
    pub fn with_markers(mut self, markers: Arc<dyn OverlayMarkers>) -> Self {
        self.markers = Some(markers);
        self
    }

    /// The store's root directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The verified blob store (a registry client downloads into it, then
    /// calls [`ImageStore::ingest`]).
    pub fn blobs(&self) -> &BlobStore {
        &self.blobs
    }

    /// Every image, in import order.
    pub fn list(&self) -> Result<Vec<ImageRecord>, ImageError> {
        Ok(self.records.read::<Records>(RECORDS)?.unwrap_or_default().images)
    }

    /// The image named `name` (a reference, normalised; `NAME@DIGEST` by its
    /// manifest digest) or, failing that, whose id starts with `name` (hex,
    /// optionally `sha256:`).
    pub fn find(&self, name: &str) -> Result<Option<ImageRecord>, ImageError> {
        find_in(&self.list()?, name).map(|i| i.cloned())
    }

    /// The image named `name`, or [`ImageError::NotFound`].
    pub fn get(&self, name: &str) -> Result<ImageRecord, ImageError> {
        self.find(name)?.ok_or_else(|| ImageError::NotFound(name.to_owned()))
    }
}

/// Looks `name` up among `images` (see [`ImageStore::find`]).
fn find_in<'a>(images: &'a [ImageRecord], name: &str) -> Result<Option<&'a ImageRecord>, ImageError> {
    if let Ok(r) = Reference::parse(name) {
        let full = r.to_string();
        // `NAME@sha256:…` names the image pulled by that manifest digest.
        if let Some(found) = images.iter().find(|i| i.tags.contains(&full) || i.digests.contains(&full)) {
            return Ok(Some(found));
        }
    }
    let hex = name.strip_prefix("sha256:").unwrap_or(name);
    if hex.is_empty() || !hex.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
        return Ok(None);
    }
    let mut hits = images.iter().filter(|i| i.id_hex().starts_with(hex));
    let Some(first) = hits.next() else { return Ok(None) };
    if hits.next().is_some() {
        return Err(ImageError::Ambiguous(name.to_owned()));
    }
    Ok(Some(first))
}

#[cfg(test)]
mod tests;
