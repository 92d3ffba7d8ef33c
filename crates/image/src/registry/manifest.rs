//! Fetching manifests: the accepted kinds (OCI and Docker schema 2
//! manifests and indexes), digest checks, and choosing one platform from
//! an index.

use std::fmt;
use std::str::FromStr;

use serde::Deserialize;

use super::RegistryError;
use super::transport::{SMALL_BODY, Session};
use crate::digest::Digest;
use crate::oci::{INDEX_DOCKER, INDEX_OCI, Manifest, host_architecture};
use crate::reference::Reference;
use crate::store::BlobStore;

/// OCI image manifest.
const MANIFEST_OCI: &str = "application/vnd.oci.image.manifest.v1+json";
/// Docker schema 2 manifest.
const MANIFEST_DOCKER: &str = "application/vnd.docker.distribution.manifest.v2+json";
const ACCEPT: &str = "application/vnd.oci.image.index.v1+json, \
    application/vnd.docker.distribution.manifest.list.v2+json, \
    application/vnd.oci.image.manifest.v1+json, \
    application/vnd.docker.distribution.manifest.v2+json";

/// A platform to pull (`--platform os/arch[/variant]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlatformSpec {
    /// `linux`, …
    pub os: String,
    /// `amd64`, `arm64`, …
    pub architecture: String,
    /// `v7`, `v8`, … (any variant matches when unset).
    pub variant: Option<String>,
}

impl PlatformSpec {
    /// linux/<the architecture cove was built for>.
    pub fn host() -> Self {
        PlatformSpec { os: "linux".into(), architecture: host_architecture().into(), variant: None }
    }

    fn matches(&self, p: &IndexPlatform) -> bool {
        p.os == self.os
            && p.architecture == self.architecture
            && self.variant.as_ref().is_none_or(|v| p.variant.as_ref() == Some(v))
    }
}

impl FromStr for PlatformSpec {
    type Err = RegistryError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let parts: Vec<&str> = s.split('/').collect();
        let ok = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        if !(2..=3).contains(&parts.len()) || !parts.iter().all(|p| ok(p)) {
            return Err(RegistryError::BadPlatform(s.to_owned()));
        }
        Ok(PlatformSpec {
            os: parts[0].to_ascii_lowercase(),
            architecture: parts[1].to_ascii_lowercase(),
            variant: parts.get(2).map(|v| v.to_ascii_lowercase()),
        })
    }
}

impl fmt::Display for PlatformSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.os, self.architecture)?;
        match &self.variant {
            Some(v) => write!(f, "/{v}"),
            None => Ok(()),
        }
    }
}

#[derive(Debug, Deserialize)]
struct IndexPlatform {
    os: String,
    architecture: String,
    #[serde(default)]
    variant: Option<String>,
}

#[derive(Debug, Deserialize)]
struct IndexEntry {
    #[serde(rename = "mediaType", default)]
    media_type: String,
    digest: String,
    size: u64,
    #[serde(default)]
    platform: Option<IndexPlatform>,
}

#[derive(Debug, Deserialize)]
struct Index {
    manifests: Vec<IndexEntry>,
}

/// The manifest a reference resolved to.
pub(super) struct Resolved {
    /// The digest of what the reference names (an index or a manifest).
    pub top: Digest,
    /// The image manifest's digest.
    pub digest: Digest,
    /// Its bytes, verified against `digest`.
    pub bytes: Vec<u8>,
    /// Parsed.
    pub manifest: Manifest,
}

/// Resolves `reference` to one image manifest for `platform`.
pub(super) fn resolve(
    session: &Session,
    reference: &Reference,
    platform: &PlatformSpec,
) -> Result<Resolved, RegistryError> {
    let name = match (reference.digest(), reference.tag()) {
        (Some(d), _) => d.to_string(),
        (None, Some(t)) => t.to_owned(),
        (None, None) => "latest".to_owned(),
    };
    let (media_type, bytes, top) = fetch(session, reference, &name, reference.digest())?;
    let (digest, bytes) = if media_type == INDEX_OCI || media_type == INDEX_DOCKER {
        let index: Index = parse(session, "index", &bytes)?;
        let entry = pick(&index, platform).ok_or_else(|| RegistryError::NoPlatform {
            platform: platform.to_string(),
            reference: reference.to_string(),
            available: available(&index),
        })?;
        let digest: Digest = entry.digest.parse().map_err(|_| RegistryError::MediaType {
            media_type: format!("index entry with digest {:?}", entry.digest),
            reference: reference.to_string(),
        })?;
        let (inner_type, inner, _) = fetch(session, reference, &digest.to_string(), Some(&digest))?;
        check_manifest_type(&inner_type, reference)?;
        if inner.len() as u64 != entry.size {
            return Err(RegistryError::SizeMismatch {
                what: "manifest",
                digest,
                expected: entry.size,
                got: inner.len() as u64,
            });
        }
        (digest, inner)
    } else {
        check_manifest_type(&media_type, reference)?;
        (top.clone(), bytes)
    };
    let manifest: Manifest = parse(session, "manifest", &bytes)?;
    Ok(Resolved { top, digest, bytes, manifest })
}

/// GETs one manifest or index; returns its media type, bytes and digest
/// (checked against `expected` when the reference pinned one).
fn fetch(
    session: &Session,
    reference: &Reference,
    name: &str,
    expected: Option<&Digest>,
) -> Result<(String, Vec<u8>, Digest), RegistryError> {
    let url = format!("{}/v2/{}/manifests/{name}", session.base, reference.path());
    let response = session.get(&url, &[("Accept", ACCEPT)])?;
    match response.status().as_u16() {
        200 => {}
        404 => return Err(RegistryError::ManifestUnknown { reference: reference.to_string() }),
        _ => return Err(session.status_error(&url, response, &reference.to_string())),
    }
    let header_type = response.headers().get("content-type").and_then(|v| v.to_str().ok()).map(str::to_owned);
    let bytes = response.into_body().with_config().limit(SMALL_BODY).read_to_vec().map_err(|source| {
        RegistryError::Unreachable { registry: session.registry.clone(), url: url.clone(), source }
    })?;
    let got = Digest::sha256_of(&bytes);
    if let Some(want) = expected
        && want != &got
    {
        return Err(RegistryError::DigestMismatch { what: "manifest", expected: want.clone(), got });
    }
    #[derive(Deserialize)]
    struct Typed {
        #[serde(rename = "mediaType", default)]
        media_type: Option<String>,
    }
    let body_type = serde_json::from_slice::<Typed>(&bytes).ok().and_then(|t| t.media_type);
    let header_type = header_type.map(|h| h.split(';').next().unwrap_or_default().trim().to_owned());
    let media_type = body_type.or(header_type).unwrap_or_default();
    Ok((media_type, bytes, got))
}

fn check_manifest_type(media_type: &str, reference: &Reference) -> Result<(), RegistryError> {
    // OCI allows a manifest without mediaType; registries then send their own guess.
    match media_type {
        MANIFEST_OCI | MANIFEST_DOCKER | "" | "application/json" => Ok(()),
        other => Err(RegistryError::MediaType { media_type: other.to_owned(), reference: reference.to_string() }),
    }
}

/// Refuses a single-platform image whose config names another platform
/// than the one asked for.
pub(super) fn check_config_platform(
    blobs: &BlobStore,
    config: &Digest,
    platform: &PlatformSpec,
    reference: &Reference,
) -> Result<(), RegistryError> {
    let path = blobs.path(config);
    let bytes = std::fs::read(&path).map_err(|source| RegistryError::Io { op: "read", path, source })?;
    let got: IndexPlatform = serde_json::from_slice(&bytes).map_err(|source| RegistryError::Json {
        what: "image config",
        registry: reference.domain().to_owned(),
        source,
    })?;
    if platform.matches(&got) {
        return Ok(());
    }
    Err(RegistryError::NoPlatform {
        platform: platform.to_string(),
        reference: reference.to_string(),
        available: format!("{}/{} only", got.os, got.architecture),
    })
}

/// The first image manifest in the index for `platform`.
fn pick<'a>(index: &'a Index, platform: &PlatformSpec) -> Option<&'a IndexEntry> {
    index
        .manifests
        .iter()
        .filter(|e| e.media_type != INDEX_OCI && e.media_type != INDEX_DOCKER)
        .find(|e| e.platform.as_ref().is_some_and(|p| platform.matches(p)))
}

fn available(index: &Index) -> String {
    let names: Vec<String> = index
        .manifests
        .iter()
        .filter_map(|e| e.platform.as_ref())
        .map(|p| match &p.variant {
            Some(v) => format!("{}/{}/{v}", p.os, p.architecture),
            None => format!("{}/{}", p.os, p.architecture),
        })
        .collect();
    if names.is_empty() { "no platforms listed".to_owned() } else { names.join(", ") }
}

fn parse<T: serde::de::DeserializeOwned>(
    session: &Session,
    what: &'static str,
    bytes: &[u8],
) -> Result<T, RegistryError> {
    serde_json::from_slice(bytes).map_err(|source| RegistryError::Json {
        what,
        registry: session.registry.clone(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn index(json: &str) -> Index {
        serde_json::from_str(json).unwrap()
    }

    const TWO: &str = r#"{"manifests":[
        {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:a","size":1,
         "platform":{"os":"linux","architecture":"arm","variant":"v7"}},
        {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:b","size":1,
         "platform":{"os":"linux","architecture":"arm64","variant":"v8"}},
        {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:c","size":1,
         "platform":{"os":"linux","architecture":"amd64"}}]}"#;

    #[test]
    fn picks_by_os_arch_and_variant() {
        let i = index(TWO);
        let p = |s: &str| s.parse::<PlatformSpec>().unwrap();
        assert_eq!(pick(&i, &p("linux/amd64")).unwrap().digest, "sha256:c");
        assert_eq!(pick(&i, &p("linux/arm64")).unwrap().digest, "sha256:b");
        assert_eq!(pick(&i, &p("linux/arm64/v8")).unwrap().digest, "sha256:b");
        assert_eq!(pick(&i, &p("linux/arm/v7")).unwrap().digest, "sha256:a");
        assert!(pick(&i, &p("linux/arm/v6")).is_none());
        assert!(pick(&i, &p("windows/amd64")).is_none());
        assert_eq!(available(&i), "linux/arm/v7, linux/arm64/v8, linux/amd64");
    }

    #[test]
    fn platform_strings() {
        assert_eq!("linux/ARM64/v8".parse::<PlatformSpec>().unwrap().to_string(), "linux/arm64/v8");
        for bad in ["linux", "linux/", "/amd64", "a/b/c/d", "linux/am d64", ""] {
            assert!(bad.parse::<PlatformSpec>().is_err(), "{bad:?}");
        }
        assert_eq!(PlatformSpec::host().os, "linux");
    }
}
