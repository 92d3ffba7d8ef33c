//! Reading an OCI image layout directory (`oci-layout`, `index.json`,
//! `blobs/<algorithm>/<hex>`), as written by `umoci`, `skopeo copy oci:` or
//! `docker buildx --output type=oci` (unpacked).
//!
//! Belongs here: finding files in the layout and choosing the manifest.
//! Does not belong here: verifying blobs (the store does that while copying).

use std::fs::File;
use std::io::{self, Read};
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
        open_regular(&path).map_err(|source| LayoutError::Read { path, source })
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
        let mut bytes = Vec::new();
        let read_index = open_regular(&path).and_then(|f| f.take(INDEX_LIMIT + 1).read_to_end(&mut bytes));
        read_index.map_err(|source| LayoutError::Read { path: path.clone(), source })?;
        if bytes.len() as u64 > INDEX_LIMIT {
            let source = io::Error::new(io::ErrorKind::InvalidData, "larger than 4 MiB");
            return Err(LayoutError::Read { path, source }.into());
        }
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

/// The most of `index.json` read (a registry's manifest limit).
const INDEX_LIMIT: u64 = 4 << 20;

/// Opens `path` only when it is a regular file (links followed): a fifo in
/// a hostile layout would block the import forever, a device stream forever.
/// Checked before the open (which a fifo blocks) and again on what opened.
fn open_regular(path: &Path) -> io::Result<File> {
    let not_regular = || io::Error::new(io::ErrorKind::InvalidInput, "not a regular file");
    if !std::fs::metadata(path)?.is_file() {
        return Err(not_regular());
    }
    let file = File::open(path)?;
    if !file.metadata()?.is_file() {
        return Err(not_regular());
    }
    Ok(file)
}

fn parse_index(what: &str, bytes: &[u8]) -> Result<Index, LayoutError> {
    serde_json::from_slice(bytes).map_err(|source| LayoutError::Json { what: what.to_owned(), source })
}
