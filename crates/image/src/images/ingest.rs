//! The step `cove import` and `cove pull` share: a manifest whose blobs are
//! all in the store becomes a root filesystem and, last, an image record.

use std::fs;

use super::{ImageError, ImageRecord, ImageStore, RECORDS, Records, digest, parse};
use crate::digest::Digest;
use crate::oci::{ImageConfig, Manifest, chain_id};
use crate::reference::Reference;
use crate::store::{BlobStore, StoreError};

impl ImageStore {
    /// The shared last step of `cove import` and `cove pull`: builds the
    /// root filesystem of the manifest `manifest_digest`, whose manifest,
    /// config and layer blobs are all in the store already (verified on the
    /// way in), and records it as `reference`. Holds the lock throughout.
    pub fn ingest(
        &self,
        reference: &Reference,
        manifest_digest: &Digest,
        apply_ownership: bool,
    ) -> Result<ImageRecord, ImageError> {
        let lock = self.records.lock()?;
        // Every writer holds the lock, so any temp left now is from a killed one.
        self.remove_stale_temps()?;
        self.ingest_locked(&lock, reference, manifest_digest, apply_ownership)
    }

    /// The blob store under this image store (for writers that verify and
    /// publish blobs themselves, such as the registry client).
    pub fn blobs(&self) -> &BlobStore {
        &self.blobs
    }

    pub(super) fn ingest_locked(
        &self,
        lock: &cove_core::state::StoreLock,
        reference: &Reference,
        manifest_digest: &Digest,
        apply_ownership: bool,
    ) -> Result<ImageRecord, ImageError> {
        let manifest: Manifest = parse("manifest", manifest_digest, &self.read_blob(manifest_digest)?)?;
        let config_digest = digest("config", &manifest.config.digest)?;
        let config: ImageConfig = parse("config", &config_digest, &self.read_blob(&config_digest)?)?;
        let layers: Vec<Digest> =
            manifest.layers.iter().map(|l| digest("layer", &l.digest)).collect::<Result<_, _>>()?;
        let diff_ids: Vec<Digest> =
            config.rootfs.diff_ids.iter().map(|d| digest("diff id", d)).collect::<Result<_, _>>()?;
        if diff_ids.len() != layers.len() {
            return Err(ImageError::LayerCount { diff_ids: diff_ids.len(), layers: layers.len() });
        }
        let chain = chain_id(&diff_ids).ok_or(ImageError::NoLayers)?;
        self.build_rootfs(&layers, &diff_ids, &chain, apply_ownership)?;
        let tag_name = reference.tag().unwrap_or("<none>").to_owned();
        let familiar = reference.familiar();
        let repository = familiar.split(['@']).next().unwrap_or(&familiar);
        let repository = repository.strip_suffix(&format!(":{tag_name}")).unwrap_or(repository).to_owned();
        let record = ImageRecord {
            reference: reference.to_string(),
            repository,
            tag: tag_name,
            manifest: manifest_digest.to_string(),
            config: config_digest.to_string(),
            layers: layers.iter().map(Digest::to_string).collect(),
            chain_id: chain.to_string(),
            created: config.created,
            size: manifest.layers.iter().map(|l| l.size).sum(),
            run_config: config.config.unwrap_or_default(),
        };
        // ORDER: the record goes last, after every blob and the rootfs are
        // complete, so a failed import never shows up as an image.
        let mut records = self.records.read::<Records>(RECORDS)?.unwrap_or_default();
        records.images.retain(|i| i.reference != record.reference);
        records.images.push(record.clone());
        self.records.write(lock, RECORDS, &records)?;
        Ok(record)
    }

    /// The bytes of a small stored blob (a manifest or config).
    fn read_blob(&self, d: &Digest) -> Result<Vec<u8>, ImageError> {
        let path = self.blobs.path(d);
        fs::read(&path)
            .map_err(|source| ImageError::Blob { digest: d.to_string(), source: StoreError::Read { path, source } })
    }
}
