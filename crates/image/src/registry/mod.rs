//! Pulling images from registries (the distribution API v2) into the local
//! image store.
//!
//! Belongs here: HTTP(S) to registries (`transport.rs`: which scheme a
//! registry may use, retries with backoff, the `Authorization` header),
//! authentication challenges and tokens (`auth.rs`), Docker's credentials
//! file (`credentials.rs`) and credential helpers (`helper.rs`), manifests and platform choice (`manifest.rs`),
//! resumable blob downloads verified before they are published
//! (`blob.rs`), and the pull itself (`pull.rs`). Does not belong here:
//! printing (callers get [`Progress`] events), building root filesystems
//! (the pull ends in [`crate::ImageStore::ingest`], as `cove import` does).
//!
//! Trust: TLS uses the system's certificate store (rustls with the platform
//! verifier). Plain HTTP is used only for registries on loopback
//! (`localhost`, 127.0.0.0/8, `::1`) and for those named in
//! `COVE_INSECURE_REGISTRIES`, and only after HTTPS was tried and the
//! server did not speak TLS; a certificate that does not verify is always
//! refused. Every blob is hashed and compared with its digest before it
//! enters the store; a manifest fetched by digest is checked the same way.

mod auth;
mod blob;
pub mod credentials;
mod helper;
mod manifest;
mod pull;
mod transport;

use std::io;
use std::path::PathBuf;

use crate::digest::Digest;
use crate::images::ImageError;
use crate::store::StoreError;

pub use manifest::PlatformSpec;
pub use pull::{PullOptions, PullStatus, Pulled, pull};
pub use transport::{ClientOptions, login};

/// A failed registry operation. Each variant says what failed and, where
/// there is one, what to do about it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RegistryError {
    /// The registry has no such repository, tag or digest.
    #[error("manifest unknown: {reference} (no such image, tag or digest in the registry)")]
    ManifestUnknown {
        /// The reference asked for.
        reference: String,
    },
    /// The manifest names a blob the registry does not have.
    #[error("blob unknown: {what} {digest} is not in {repository} (the image in the registry is incomplete)")]
    BlobUnknown {
        /// `layer` or `config`.
        what: &'static str,
        /// The blob.
        digest: Digest,
        /// The repository.
        repository: String,
    },
    /// The registry wants credentials that were missing or wrong.
    #[error("unauthorized: {registry} wants valid credentials{detail} (log in with `cove login {registry}`)")]
    Unauthorized {
        /// The registry domain.
        registry: String,
        /// What the server said, as `: …`, or empty.
        detail: String,
    },
    /// The registry refused access (HTTP 403).
    #[error("denied: {registry} refused access to {what} (check the name, or log in with `cove login {registry}`)")]
    Denied {
        /// The registry domain.
        registry: String,
        /// What was asked for.
        what: String,
    },
    /// The registry could not be reached (after retries).
    #[error("cannot reach registry {registry} at {url}")]
    Unreachable {
        /// The registry domain.
        registry: String,
        /// The URL tried.
        url: String,
        /// The cause.
        #[source]
        source: ureq::Error,
    },
    /// The registry's TLS certificate did not verify.
    #[error(
        "registry {registry}: its TLS certificate is not trusted (add its CA to the system certificate store; \
         cove never skips verification)"
    )]
    UntrustedCertificate {
        /// The registry domain.
        registry: String,
        /// The cause.
        #[source]
        source: ureq::Error,
    },
    /// The registry answered with an unexpected status.
    #[error("registry {registry} answered HTTP {status} for {url}{body}")]
    Status {
        /// The registry domain.
        registry: String,
        /// The URL.
        url: String,
        /// The status.
        status: u16,
        /// The start of the body, as `: …`, or empty.
        body: String,
    },
    /// Content had another digest than the one asked for.
    #[error("digest mismatch: {what} {expected} downloaded as {got} (the registry's copy is corrupt or was changed)")]
    DigestMismatch {
        /// `manifest`, `layer`, …
        what: &'static str,
        /// The digest asked for.
        expected: Digest,
        /// What the content hashed to.
        got: Digest,
    },
    /// Content had another size than its descriptor says.
    #[error("size mismatch: {what} {digest} is {got} bytes, the manifest says {expected}")]
    SizeMismatch {
        /// `manifest`, `layer`, …
        what: &'static str,
        /// The blob.
        digest: Digest,
        /// The size in the descriptor.
        expected: u64,
        /// The size received.
        got: u64,
    },
    /// A manifest, index or token response did not parse.
    #[error("parse {what} from {registry}")]
    Json {
        /// What it was.
        what: &'static str,
        /// The registry domain.
        registry: String,
        /// The cause.
        #[source]
        source: serde_json::Error,
    },
    /// A manifest of a kind cove does not read.
    #[error("unsupported manifest type {media_type:?} for {reference}")]
    MediaType {
        /// The media type.
        media_type: String,
        /// The reference.
        reference: String,
    },
    /// The index has no image for the platform.
    #[error("no image for {platform} in {reference} (it has: {available})")]
    NoPlatform {
        /// The platform wanted.
        platform: String,
        /// The reference.
        reference: String,
        /// The platforms it has.
        available: String,
    },
    /// A digest in a manifest was malformed.
    #[error("malformed {what} digest in the manifest")]
    BadDigest {
        /// Where it was.
        what: &'static str,
        /// The cause.
        #[source]
        source: crate::digest::DigestError,
    },
    /// `--platform` did not parse.
    #[error("invalid platform {0:?}: expected os/arch[/variant], e.g. linux/arm64/v8")]
    BadPlatform(String),
    /// A `WWW-Authenticate` challenge cove cannot answer.
    #[error("registry {registry} sent an authentication challenge cove cannot answer: {challenge:?}")]
    Challenge {
        /// The registry domain.
        registry: String,
        /// The header.
        challenge: String,
    },
    /// A file operation failed.
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
    /// Reading or writing the credentials file failed.
    #[error(transparent)]
    Credentials(#[from] credentials::CredentialsError),
    /// Publishing a blob into the store failed.
    #[error("store blob {digest}")]
    Store {
        /// The blob.
        digest: Digest,
        /// The cause.
        #[source]
        source: StoreError,
    },
    /// Building the rootfs or writing the record failed.
    #[error(transparent)]
    Image(#[from] ImageError),
    /// The pull was stopped because another download failed.
    #[error("download stopped after another one failed")]
    Aborted,
}

/// Receives download progress, one [`LayerProgress`] per blob. Called
/// from the download threads.
pub trait Progress: Sync {
    /// A blob of `size` bytes starts (or is found already present).
    fn blob(&self, digest: &Digest, size: u64) -> Box<dyn LayerProgress + '_>;
}

/// Progress of one blob.
pub trait LayerProgress: Send {
    /// `bytes` of the blob are now on disk (resumed bytes included).
    fn position(&self, bytes: u64);
    /// The blob is done: `Already exists`, `Download complete`, …
    fn finish(&self, status: &'static str);
}

/// A [`Progress`] that ignores everything.
pub struct NoProgress;

struct NoLayer;

impl Progress for NoProgress {
    fn blob(&self, _: &Digest, _: u64) -> Box<dyn LayerProgress + '_> {
        Box::new(NoLayer)
    }
}

impl LayerProgress for NoLayer {
    fn position(&self, _: u64) {}
    fn finish(&self, _: &'static str) {}
}
