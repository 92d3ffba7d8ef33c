//! `cove import`: an OCI layout directory, an OCI layout tarball or a
//! `docker save` tarball (legacy `manifest.json` + `<id>/layer.tar`, and
//! Docker 25+'s OCI layout inside the tar). Every blob is copied into the
//! blob store verified against its digest, then [`ImageStore::ingest`]
//! does the rest.

use std::path::Path;

use super::ingest::{IngestOptions, digest, parse};
use super::record::ImageRecord;
use super::{ImageError, ImageStore};
use crate::layout::Layout;
use crate::oci::{Descriptor, Manifest};
use crate::reference::Reference;

impl ImageStore {
    /// Imports every image `path` holds (a layout directory or a tarball,
    /// told apart by what `path` is). `tag` names the image (only when the
    /// source holds one); otherwise the source's own names are used.
    pub fn import(
        &self,
        path: &Path,
        tag: Option<&Reference>,
        opts: &IngestOptions,
    ) -> Result<Vec<ImageRecord>, ImageError> {
        let meta = std::fs::metadata(path).map_err(super::error::io_err("read", path))?;
        if meta.is_dir() {
            return Ok(vec![self.import_layout(path, tag, opts)?]);
        }
        self.import_tarball(path, tag, opts)
    }

    /// Imports the image an OCI layout directory holds (see
    /// [`Layout::pick`]), tagged `tag` or by the layout's name annotation.
    pub fn import_layout(
        &self,
        dir: &Path,
        tag: Option<&Reference>,
        opts: &IngestOptions,
    ) -> Result<ImageRecord, ImageError> {
        let layout = Layout::open(dir)?;
        let (manifest_desc, name) = layout.pick(|d| self.copy(&layout, d, true))?;
        let reference = match (tag, name) {
            (Some(t), _) => t.clone(),
            (None, Some(n)) => Reference::parse(&n)?,
            (None, None) => return Err(ImageError::NoName),
        };
        self.copy_manifest(&layout, &manifest_desc)?;
        self.ingest(&digest("manifest", &manifest_desc.digest)?, Some(&reference), opts)
    }

    /// Copies a manifest, its config and its layers from the layout.
    pub(crate) fn copy_manifest(&self, layout: &Layout, desc: &Descriptor) -> Result<(), ImageError> {
        let manifest_digest = digest("manifest", &desc.digest)?;
        let manifest: Manifest = parse("manifest", &manifest_digest, &self.copy(layout, desc, true)?)?;
        self.copy(layout, &manifest.config, false)?;
        for layer in &manifest.layers {
            self.copy(layout, layer, false)?;
        }
        Ok(())
    }

    /// Copies one blob from the layout into the store (verifying its digest
    /// and size) and returns its bytes when asked (small metadata).
    fn copy(&self, layout: &Layout, desc: &Descriptor, read_back: bool) -> Result<Vec<u8>, ImageError> {
        let d = digest("descriptor", &desc.digest)?;
        let blob_err = |source| ImageError::Blob { digest: d.to_string(), source };
        let mut file = layout.open_blob(&d)?;
        self.blobs.put(&mut file, &d, Some(desc.size)).map_err(blob_err)?;
        if !read_back {
            return Ok(Vec::new());
        }
        self.read_blob(&d)
    }
}
