//! The parts of the OCI image format (and Docker's schema 2, which has the
//! same shape) that cove reads: descriptors, indexes, manifests and the
//! image config. Unknown fields are ignored.
//!
//! Belongs here: the JSON shapes and the few rules about them (which media
//! types are indexes, the chain id). Does not belong here: reading files.

use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};
use std::collections::BTreeMap;

use crate::digest::Digest;

/// OCI image index media type.
pub const INDEX_OCI: &str = "application/vnd.oci.image.index.v1+json";
/// Docker manifest list media type.
pub const INDEX_DOCKER: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
/// The annotation an OCI layout uses to name an image.
pub const REF_NAME: &str = "org.opencontainers.image.ref.name";
/// The annotation containerd and Docker 25+ put the full image name in
/// (their `REF_NAME` holds only the tag).
pub const CONTAINERD_NAME: &str = "io.containerd.image.name";

/// A content descriptor.
#[derive(Debug, Clone, Deserialize)]
pub struct Descriptor {
    /// Media type of the referenced content.
    #[serde(rename = "mediaType", default)]
    pub media_type: String,
    /// Its digest (`sha256:…`), checked when parsed with [`Descriptor::digest`].
    pub digest: String,
    /// Its size in bytes.
    pub size: u64,
    /// The platform, for manifests listed in an index.
    #[serde(default)]
    pub platform: Option<Platform>,
    /// Annotations (the layout's `org.opencontainers.image.ref.name`).
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
}

impl Descriptor {
    /// The parsed digest.
    pub fn digest(&self) -> Result<Digest, crate::DigestError> {
        self.digest.parse()
    }

    /// The image name its annotations give: containerd's full name, else
    /// the OCI ref name.
    pub fn image_name(&self) -> Option<String> {
        self.annotations.get(CONTAINERD_NAME).or_else(|| self.annotations.get(REF_NAME)).cloned()
    }

    /// Whether this descriptor points at an index (a manifest list).
    pub fn is_index(&self) -> bool {
        self.media_type == INDEX_OCI || self.media_type == INDEX_DOCKER
    }
}

/// An index entry's platform.
#[derive(Debug, Clone, Deserialize)]
pub struct Platform {
    /// `amd64`, `arm64`, …
    pub architecture: String,
    /// `linux`, `windows`, …
    pub os: String,
}

/// An image index (`index.json` of a layout, or a manifest list).
#[derive(Debug, Clone, Deserialize)]
pub struct Index {
    /// The manifests (or nested indexes).
    pub manifests: Vec<Descriptor>,
}

/// An image manifest.
#[derive(Debug, Clone, Deserialize)]
pub struct Manifest {
    /// The image config blob.
    pub config: Descriptor,
    /// The layers, base first.
    pub layers: Vec<Descriptor>,
}

/// The image config blob (only what cove uses).
#[derive(Debug, Clone, Deserialize)]
pub struct ImageConfig {
    /// Creation time (RFC 3339), when given.
    #[serde(default)]
    pub created: Option<String>,
    /// The runtime defaults.
    #[serde(default)]
    pub config: Option<RunConfig>,
    /// `amd64`, `arm64`, …
    #[serde(default)]
    pub architecture: String,
    /// `linux`, …
    #[serde(default)]
    pub os: String,
    /// The uncompressed layer digests.
    pub rootfs: RootFs,
}

/// `rootfs` of an image config.
#[derive(Debug, Clone, Deserialize)]
pub struct RootFs {
    /// One digest per layer, of the uncompressed tar.
    pub diff_ids: Vec<String>,
}

/// The runtime defaults an image carries (`config` of the image config).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunConfig {
    /// `User`: name or id, optionally `:group`.
    #[serde(rename = "User", default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// `Env`: `KEY=VALUE` entries.
    #[serde(rename = "Env", default, skip_serializing_if = "Option::is_none")]
    pub env: Option<Vec<String>>,
    /// `Entrypoint`.
    #[serde(rename = "Entrypoint", default, skip_serializing_if = "Option::is_none")]
    pub entrypoint: Option<Vec<String>>,
    /// `Cmd`.
    #[serde(rename = "Cmd", default, skip_serializing_if = "Option::is_none")]
    pub cmd: Option<Vec<String>>,
    /// `WorkingDir`.
    #[serde(rename = "WorkingDir", default, skip_serializing_if = "Option::is_none")]
    pub working_dir: Option<String>,
    /// `ExposedPorts`: `"80/tcp": {}` entries.
    #[serde(rename = "ExposedPorts", default, skip_serializing_if = "Option::is_none")]
    pub exposed_ports: Option<BTreeMap<String, serde_json::Value>>,
    /// `Labels`.
    #[serde(rename = "Labels", default, skip_serializing_if = "Option::is_none")]
    pub labels: Option<BTreeMap<String, String>>,
    /// `Healthcheck`: `Test`, `Interval`, `Timeout`, … as Docker writes them.
    #[serde(rename = "Healthcheck", default, skip_serializing_if = "Option::is_none")]
    pub healthcheck: Option<serde_json::Value>,
}

/// The chain id of a stack of layers (OCI image spec, "Layer ChainID"):
/// the first diff id, then `sha256(previous + " " + next)` for each next one.
/// `None` for no layers.
pub fn chain_id(diff_ids: &[Digest]) -> Option<Digest> {
    let mut it = diff_ids.iter();
    let mut chain = it.next()?.clone();
    for next in it {
        let hex = hex::encode(Sha256::digest(format!("{chain} {next}").as_bytes()));
        chain = format!("sha256:{hex}").parse().expect("sha256 hex is a valid digest");
    }
    Some(chain)
}

/// The OCI name of the architecture cove was built for (`amd64`, `arm64`, …).
pub fn host_architecture() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "x86" => "386",
        "powerpc64" => "ppc64le",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chain_id_follows_the_spec() {
        let a = Digest::sha256_of(b"a");
        let b = Digest::sha256_of(b"b");
        assert_eq!(chain_id(&[]), None);
        assert_eq!(chain_id(std::slice::from_ref(&a)), Some(a.clone()));
        let want = Digest::sha256_of(format!("{a} {b}").as_bytes());
        assert_eq!(chain_id(&[a, b]), Some(want));
    }
}
