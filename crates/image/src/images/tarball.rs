//! Image tarballs: unpacked (with the same hostile-entry rules as layers)
//! into a private temp dir of the store, then read as an OCI layout or as
//! `docker save` output. The temp dir is removed afterwards; a killed
//! import leaves it for prune.

use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use serde::Deserialize;
use serde_json::json;

use super::ingest::IngestOptions;
use super::layers::TEMP_PREFIX;
use super::maintain::IMPORT_TMP;
use super::record::ImageRecord;
use super::{ImageError, ImageStore};
use crate::digest::{Algorithm, Digest, digest_reader};
use crate::reference::Reference;
use crate::unpack::{UnpackOptions, WhiteoutMode, unpack_layer};

/// One entry of a `docker save` `manifest.json`.
#[derive(Debug, Deserialize)]
struct SavedImage {
    #[serde(rename = "Config")]
    config: String,
    #[serde(rename = "RepoTags", default)]
    repo_tags: Option<Vec<String>>,
    #[serde(rename = "Layers")]
    layers: Vec<String>,
}

/// A temp dir removed on drop.
struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = super::layers::remove_tree(&self.0);
    }
}

impl ImageStore {
    /// Imports the images of an OCI layout tar or a `docker save` tar.
    pub(crate) fn import_tarball(
        &self,
        path: &Path,
        tag: Option<&Reference>,
        opts: &IngestOptions,
    ) -> Result<Vec<ImageRecord>, ImageError> {
        let bad = |reason: String| ImageError::BadArchive { path: path.to_owned(), reason };
        let temp = self.extract(path)?;
        let dir = temp.0.as_path();
        if dir.join("manifest.json").is_file() {
            return self.import_saved(dir, path, tag, opts);
        }
        if dir.join("oci-layout").is_file() {
            return Ok(vec![self.import_layout(dir, tag, opts)?]);
        }
        Err(bad("it has neither manifest.json (docker save) nor oci-layout (OCI layout)".to_owned()))
    }

    /// Unpacks the tarball into `tmp/.tmp-import<n>-<pid>`.
    fn extract(&self, path: &Path) -> Result<TempDir, ImageError> {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let parent = self.root.join(IMPORT_TMP);
        fs::create_dir_all(&parent).map_err(super::error::io_err("create", &parent))?;
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let dir = TempDir(parent.join(format!("{TEMP_PREFIX}import{n}-{}", std::process::id())));
        fs::create_dir(&dir.0).map_err(super::error::io_err("create", &dir.0))?;
        let file = File::open(path).map_err(super::error::io_err("open", path))?;
        let opts = UnpackOptions { apply_ownership: false, whiteouts: WhiteoutMode::Apply };
        unpack_layer(file, &dir.0, &opts)
            .map_err(|source| ImageError::ReadArchive { path: path.to_owned(), source })?;
        Ok(dir)
    }

    /// `docker save` output: each listed image's config and layers become
    /// verified blobs and an OCI manifest cove writes for them.
    fn import_saved(
        &self,
        dir: &Path,
        path: &Path,
        tag: Option<&Reference>,
        opts: &IngestOptions,
    ) -> Result<Vec<ImageRecord>, ImageError> {
        let bad = |reason: String| ImageError::BadArchive { path: path.to_owned(), reason };
        let text =
            fs::read(dir.join("manifest.json")).map_err(super::error::io_err("read", &dir.join("manifest.json")))?;
        let saved: Vec<SavedImage> =
            serde_json::from_slice(&text).map_err(|e| bad(format!("manifest.json does not parse: {e}")))?;
        if saved.is_empty() {
            return Err(bad("manifest.json lists no image".to_owned()));
        }
        if tag.is_some() && saved.len() > 1 {
            return Err(bad(format!("it holds {} images; --tag needs exactly one", saved.len())));
        }
        let mut out = Vec::new();
        for image in &saved {
            let (config, config_size) = self.put_file(dir, &image.config, path)?;
            let mut layers = Vec::new();
            for layer in &image.layers {
                let (d, size) = self.put_file(dir, layer, path)?;
                layers.push(json!({ "mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": d.to_string(), "size": size }));
            }
            let manifest = json!({
                "schemaVersion": 2,
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "config": { "mediaType": "application/vnd.oci.image.config.v1+json", "digest": config.to_string(), "size": config_size },
                "layers": layers,
            })
            .to_string();
            let manifest_digest = Digest::sha256_of(manifest.as_bytes());
            self.blobs
                .put(&mut manifest.as_bytes(), &manifest_digest, None)
                .map_err(|source| ImageError::Blob { digest: manifest_digest.to_string(), source })?;
            let names: Vec<Reference> = match tag {
                Some(t) => vec![t.clone()],
                None => image.repo_tags.iter().flatten().map(|t| Reference::parse(t)).collect::<Result<_, _>>()?,
            };
            let mut record = self.ingest(&manifest_digest, names.first(), opts)?;
            for extra in names.iter().skip(1) {
                record = self.tag(&record.id, extra)?;
            }
            out.push(record);
        }
        Ok(out)
    }

    /// Hashes the file `rel` (resolved inside `dir`) and stores it as a
    /// verified blob; returns its digest and size.
    fn put_file(&self, dir: &Path, rel: &str, path: &Path) -> Result<(Digest, u64), ImageError> {
        let bad = |reason: String| ImageError::BadArchive { path: path.to_owned(), reason };
        if rel.starts_with('/') || rel.split('/').any(|c| c == "..") {
            return Err(bad(format!("manifest.json names {rel:?}, outside the archive")));
        }
        let host =
            cove_core::rootpath::resolve_in_root(dir, rel).map_err(super::error::io_err("resolve", &dir.join(rel)))?;
        let open = |host: &Path| {
            File::open(host).map_err(|_| bad(format!("manifest.json names {rel:?}, which it does not hold")))
        };
        let (d, size) =
            digest_reader(&mut open(&host)?, Algorithm::Sha256).map_err(super::error::io_err("read", &host))?;
        self.blobs
            .put(&mut open(&host)?, &d, Some(size))
            .map_err(|source| ImageError::Blob { digest: d.to_string(), source })?;
        Ok((d, size))
    }
}
