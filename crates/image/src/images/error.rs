//! The image store's error type.

use std::io;
use std::path::PathBuf;

use cove_core::state::StoreError as RecordError;

use crate::digest::{Digest, DigestError};
use crate::layout::LayoutError;
use crate::reference::ReferenceError;
use crate::store::StoreError;
use crate::unpack::UnpackError;

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
    /// Per-layer dirs asked for where no overlay marker writer was given.
    #[error("per-layer storage needs overlay markers, which this store was opened without")]
    NoMarkers,
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
    /// A file-system operation in the store failed.
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
    /// No image has this name or id.
    #[error("No such image: {0}")]
    NotFound(String),
    /// Removing would delete an image a running container uses.
    #[error(
        "unable to remove image {name} (id {id}): it is in use by a running container (stop it, or use -f to remove the tags only)"
    )]
    InUse {
        /// The name given.
        name: String,
        /// The short image id.
        id: String,
    },
    /// Removing the last reference to an image a stored container uses
    /// (Docker's words).
    #[error(
        "conflict: unable to remove repository reference {name:?} (must force) - container {container} is using its referenced image {id}"
    )]
    UsedByContainer {
        /// The name given.
        name: String,
        /// The container's short id.
        container: String,
        /// The short image id.
        id: String,
    },
    /// Removing by id an image that has several tags.
    #[error("unable to remove image {name} (must be forced): it is tagged in several repositories ({tags})")]
    MultipleTags {
        /// The id given.
        name: String,
        /// Its tags, comma-separated.
        tags: String,
    },
    /// A tarball given to import could not be unpacked (or was hostile).
    #[error("read image archive {path}")]
    ReadArchive {
        /// The tarball.
        path: PathBuf,
        /// The cause.
        #[source]
        source: UnpackError,
    },
    /// The helper in the containers' user namespace failed (its message).
    #[error("in the user-namespace helper: {message}")]
    Mapped {
        /// What the helper reported.
        message: String,
    },
    /// A tarball given to import is not an image archive cove knows.
    #[error("{path}: not an image archive ({reason})")]
    BadArchive {
        /// The tarball.
        path: PathBuf,
        /// What was wrong.
        reason: String,
    },
}

/// An `ImageError::Io` maker for `map_err`.
pub(crate) fn io_err(op: &'static str, path: &std::path::Path) -> impl FnOnce(io::Error) -> ImageError {
    let path = path.to_owned();
    move |source| ImageError::Io { op, path, source }
}
