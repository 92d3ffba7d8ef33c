//! The one way an image enters the store: a manifest whose blobs are
//! already verified in the blob store becomes unpacked layers and, last, a
//! record. `cove import` (layouts, tarballs) and the registry client both
//! end here.

use std::fs;

use super::record::{ImageRecord, Records};
use super::{ImageError, ImageStore, RECORDS};
use crate::digest::Digest;
use crate::oci::{ImageConfig, Manifest, chain_id};
use crate::reference::Reference;

/// How to ingest an image.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct IngestOptions {
    /// Keep the layers' uids and gids (root callers); otherwise files
    /// belong to the caller.
    pub apply_ownership: bool,
}

impl ImageStore {
    /// Makes the image of `manifest` (its manifest, config and layer blobs
    /// must already be in [`ImageStore::blobs`], verified) available: every
    /// layer unpacked (checked against its diff id) and the record written
    /// last, tagged `tag` (moved from any other image, as Docker does) or
    /// dangling when `None`. Takes the records lock for the whole time.
    pub fn ingest(
        &self,
        manifest: &Digest,
        tag: Option<&Reference>,
        opts: &IngestOptions,
    ) -> Result<ImageRecord, ImageError> {
        let lock = self.records.lock()?;
        self.remove_stale_temps(super::maintain::STALE_AFTER)?;
        let parsed: Manifest = parse("manifest", manifest, &self.read_blob(manifest)?)?;
        let config_digest = digest("config", &parsed.config.digest)?;
        let config: ImageConfig = parse("config", &config_digest, &self.read_blob(&config_digest)?)?;
        let layer_digests: Vec<Digest> =
            parsed.layers.iter().map(|l| digest("layer", &l.digest)).collect::<Result<_, _>>()?;
        let diff_ids: Vec<Digest> =
            config.rootfs.diff_ids.iter().map(|d| digest("diff id", d)).collect::<Result<_, _>>()?;
        if diff_ids.len() != layer_digests.len() {
            return Err(ImageError::LayerCount { diff_ids: diff_ids.len(), layers: layer_digests.len() });
        }
        let chain = chain_id(&diff_ids).ok_or(ImageError::NoLayers)?;
        let storage = self.build_root(&layer_digests, &diff_ids, opts.apply_ownership)?;
        let mut record = ImageRecord {
            id: config_digest.to_string(),
            tags: Vec::new(),
            digests: Vec::new(),
            manifest: manifest.to_string(),
            layers: layer_digests.iter().map(Digest::to_string).collect(),
            diff_ids: diff_ids.iter().map(Digest::to_string).collect(),
            chain_id: chain.to_string(),
            created: config.created,
            architecture: config.architecture,
            os: config.os,
            size: parsed.layers.iter().map(|l| l.size).sum(),
            storage,
            run_config: config.config.unwrap_or_default(),
        };
        // ORDER: the record goes last, after every blob and layer is
        // complete, so a failed ingest never shows up as an image.
        let mut records = self.records.read::<Records>(RECORDS)?.unwrap_or_default();
        if let Some(old) = records.images.iter_mut().find(|i| i.id == record.id) {
            record.tags = std::mem::take(&mut old.tags);
            record.digests = std::mem::take(&mut old.digests);
            *old = record.clone();
        } else {
            records.images.push(record.clone());
        }
        if let Some(tag) = tag {
            records.move_tag(&tag.to_string(), &record.id);
            let by_digest = format!("{}/{}@{manifest}", tag.domain(), tag.path());
            let image = records.images.iter_mut().find(|i| i.id == record.id).expect("just inserted");
            if !image.digests.contains(&by_digest) {
                image.digests.push(by_digest);
            }
            record = image.clone();
        }
        self.records.write(&lock, RECORDS, &records)?;
        Ok(record)
    }

    /// The bytes of a (small, metadata) blob.
    pub(crate) fn read_blob(&self, d: &Digest) -> Result<Vec<u8>, ImageError> {
        let path = self.blobs.path(d);
        if !self.blobs.contains(d) {
            let source = std::io::Error::new(std::io::ErrorKind::NotFound, "not in the blob store");
            return Err(ImageError::Io { op: "read blob", path, source });
        }
        fs::read(&path).map_err(super::error::io_err("read blob", &path))
    }
}

/// Parses a digest string found in a manifest or config.
pub(crate) fn digest(what: &'static str, s: &str) -> Result<Digest, ImageError> {
    s.parse().map_err(|source| ImageError::BadDigest { what, source })
}

/// Parses a manifest or config blob.
pub(crate) fn parse<T: serde::de::DeserializeOwned>(
    what: &'static str,
    digest: &Digest,
    bytes: &[u8],
) -> Result<T, ImageError> {
    serde_json::from_slice(bytes).map_err(|source| ImageError::Json { what, digest: digest.clone(), source })
}
