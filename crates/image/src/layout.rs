//! Reading an OCI image layout directory (`oci-layout`, `index.json`,
//! `blobs/<algorithm>/<hex>`), as written by `umoci`, `skopeo copy oci:` or
//! `docker buildx --output type=oci` (unpacked).
//!
//! Belongs here: finding files in the layout and choosing the manifest.
//! Does not belong here: verifying blobs (the store does that while copying).

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};

use crate::digest::Digest;
use crate::oci::{Descriptor, Index, host_architecture};

/// A failed layout read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LayoutError {
    /// A file of the layout could not be read.
    #[error("read {path}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: io::Error,
    },
    /// `index.json` or a nested index did not parse.
    #[error("parse {what}")]
    Json {
        /// Which file or blob.
        what: String,
        /// The cause.
        #[source]
        source: serde_json::Error,
    },
    /// No manifest in the index is for this host.
    #[error("no image in the layout is for linux/{0}")]
    NoManifest(&'static str),
}

/// An OCI layout directory.
#[derive(Debug)]
pub struct Layout {
    dir: PathBuf,
}

impl Layout {
    /// Checks that `dir` is a layout (it has an `oci-layout` file).
    pub fn open(dir: &Path) -> Result<Self, LayoutError> {
        let marker = dir.join("oci-layout");
        std::fs::metadata(&marker).map_err(|source| LayoutError::Read { path: marker, source })?;
        Ok(Layout { dir: dir.to_owned() })
    }

    /// Opens the blob `digest` (its name comes from a parsed digest: only
    /// an algorithm name and hex digits, so it stays inside the layout).
    pub fn open_blob(&self, digest: &Digest) -> Result<File, LayoutError> {
        let path = self.dir.join("blobs").join(digest.algorithm().name()).join(digest.hex());
        File::open(&path).map_err(|source| LayoutError::Read { path, source })
    }

    /// Picks the manifest to import from `index.json`: the first manifest
    /// without a platform or for linux/<host architecture>, looking one level
    /// into nested indexes (whose bytes `read` fetches, verified). Returns
    /// it with the image name annotation, when the layout gives one.
    pub fn pick<E: From<LayoutError>>(
        &self,
        mut read: impl FnMut(&Descriptor) -> Result<Vec<u8>, E>,
    ) -> Result<(Descriptor, Option<String>), E> {
        let path = self.dir.join("index.json");
        let bytes = std::fs::read(&path).map_err(|source| LayoutError::Read { path, source })?;
        let index: Index = parse_index("index.json", &bytes)?;
        let mut candidates = Vec::new();
        for desc in index.manifests {
            let name = desc.image_name();
            if desc.is_index() {
                let nested = parse_index(&format!("index {}", desc.digest), &read(&desc)?)?;
                for inner in nested.manifests.into_iter().filter(|m| !m.is_index()) {
                    let inner_name = inner.image_name().or_else(|| name.clone());
                    candidates.push((inner, inner_name));
                }
            } else {
                candidates.push((desc, name));
            }
        }
        let arch = host_architecture();
        let fits = |d: &Descriptor| d.platform.as_ref().is_none_or(|p| p.os == "linux" && p.architecture == arch);
        Ok(candidates.into_iter().find(|(d, _)| fits(d)).ok_or(LayoutError::NoManifest(arch))?)
    }
}

fn parse_index(what: &str, bytes: &[u8]) -> Result<Index, LayoutError> {
    serde_json::from_slice(bytes).map_err(|source| LayoutError::Json { what: what.to_owned(), source })
}
