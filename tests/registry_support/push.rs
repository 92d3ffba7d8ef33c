//! The fixture pusher: images built here in code from the busybox rootfs
//! (a gzip layer and a zstd layer), pushed over the registry API (blob
//! uploads, manifest PUTs), and the same image as an OCI layout for skopeo.

use super::common::*;
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};
use std::io::Write;
use std::path::{Path, PathBuf};

pub const MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub const INDEX: &str = "application/vnd.oci.image.index.v1+json";
const CONFIG: &str = "application/vnd.oci.image.config.v1+json";

pub fn sha(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

pub fn host_arch() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        other => other,
    }
}

/// A built image: its blobs (digest → bytes) and manifest.
pub struct Image {
    pub blobs: Vec<(String, Vec<u8>)>,
    pub manifest: Vec<u8>,
    pub layers: Vec<String>,
}

impl Image {
    pub fn digest(&self) -> String {
        sha(&self.manifest)
    }
}

fn file_entry(builder: &mut tar::Builder<Vec<u8>>, path: &str, data: &[u8]) {
    let mut header = tar::Header::new_gnu();
    header.set_size(data.len() as u64);
    header.set_mode(0o644);
    header.set_uid(0);
    header.set_gid(0);
    header.set_mtime(1_700_000_000);
    header.set_entry_type(tar::EntryType::Regular);
    builder.append_data(&mut header, path, data).unwrap();
}

/// The busybox rootfs (gzip) plus `/etc/marker` holding `marker` and
/// `extra` bytes of incompressible data in `/big` (zstd); Cmd prints the marker.
pub fn build(rootfs: &Path, marker: &str, arch: &str, extra: usize) -> Image {
    let mut one = tar::Builder::new(Vec::new());
    one.mode(tar::HeaderMode::Deterministic);
    one.follow_symlinks(false);
    one.append_dir_all(".", rootfs).unwrap();
    let one = one.into_inner().unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&one).unwrap();
    let one_gz = gz.finish().unwrap();

    let mut two = tar::Builder::new(Vec::new());
    file_entry(&mut two, "etc/marker", format!("{marker}\n").as_bytes());
    if extra > 0 {
        file_entry(&mut two, "big", &pseudo_random(extra, 7));
    }
    let two = two.into_inner().unwrap();
    let two_zst = zstd::encode_all(&two[..], 1).unwrap();

    let config = json!({
        "architecture": arch, "os": "linux", "created": "2025-01-02T03:04:05Z",
        "config": { "Cmd": ["/bin/sh", "-c", "cat /etc/marker"], "Env": ["PATH=/bin"] },
        "rootfs": { "type": "layers", "diff_ids": [sha(&one), sha(&two)] },
    })
    .to_string()
    .into_bytes();
    let desc = |media: &str, b: &[u8]| json!({ "mediaType": media, "digest": sha(b), "size": b.len() });
    let manifest = json!({
        "schemaVersion": 2, "mediaType": MANIFEST,
        "config": desc(CONFIG, &config),
        "layers": [
            desc("application/vnd.oci.image.layer.v1.tar+gzip", &one_gz),
            desc("application/vnd.oci.image.layer.v1.tar+zstd", &two_zst),
        ],
    })
    .to_string()
    .into_bytes();
    let layers = vec![sha(&one_gz), sha(&two_zst)];
    Image { blobs: vec![(sha(&config), config), (sha(&one_gz), one_gz), (sha(&two_zst), two_zst)], manifest, layers }
}

/// Docker's schema 2 manifest and its config and layer media types.
pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";

/// A Docker schema 2 image: the busybox rootfs (gzip) plus a gzip layer
/// holding `/zeros` (`zeros` bytes, which compress to almost nothing: a
/// gzip bomb when large); Cmd prints the size of `/zeros`.
pub fn docker_zeros(rootfs: &Path, zeros: usize) -> Image {
    let gzip = |tar: &[u8]| {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(tar).unwrap();
        gz.finish().unwrap()
    };
    let mut one = tar::Builder::new(Vec::new());
    one.mode(tar::HeaderMode::Deterministic);
    one.follow_symlinks(false);
    one.append_dir_all(".", rootfs).unwrap();
    let one = one.into_inner().unwrap();
    let mut two = tar::Builder::new(Vec::new());
    file_entry(&mut two, "zeros", &vec![0u8; zeros]);
    let two = two.into_inner().unwrap();
    let (one_gz, two_gz) = (gzip(&one), gzip(&two));
    let config = json!({
        "architecture": host_arch(), "os": "linux", "created": "2025-01-02T03:04:05Z",
        "config": { "Cmd": ["/bin/sh", "-c", "wc -c < /zeros"], "Env": ["PATH=/bin"] },
        "rootfs": { "type": "layers", "diff_ids": [sha(&one), sha(&two)] },
    })
    .to_string()
    .into_bytes();
    let desc = |media: &str, b: &[u8]| json!({ "mediaType": media, "digest": sha(b), "size": b.len() });
    let layer = "application/vnd.docker.image.rootfs.diff.tar.gzip";
    let manifest = json!({
        "schemaVersion": 2, "mediaType": DOCKER_MANIFEST,
        "config": desc("application/vnd.docker.container.image.v1+json", &config),
        "layers": [desc(layer, &one_gz), desc(layer, &two_gz)],
    })
    .to_string()
    .into_bytes();
    let layers = vec![sha(&one_gz), sha(&two_gz)];
    Image { blobs: vec![(sha(&config), config), (sha(&one_gz), one_gz), (sha(&two_gz), two_gz)], manifest, layers }
}

/// An index of `(image, os/arch/variant)` entries.
pub fn index(entries: &[(&Image, &str, &str, Option<&str>)]) -> Vec<u8> {
    let manifests: Vec<Value> = entries
        .iter()
        .map(|(img, os, arch, variant)| {
            let mut platform = json!({ "os": os, "architecture": arch });
            if let Some(v) = variant {
                platform["variant"] = json!(v);
            }
            json!({ "mediaType": MANIFEST, "digest": img.digest(), "size": img.manifest.len(), "platform": platform })
        })
        .collect();
    json!({ "schemaVersion": 2, "mediaType": INDEX, "manifests": manifests }).to_string().into_bytes()
}

/// Pushes over the registry API with an optional `Authorization` value.
pub struct Pusher {
    agent: ureq::Agent,
    base: String,
    auth: Option<String>,
}

impl Pusher {
    pub fn new(host: &str, auth: Option<String>) -> Pusher {
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(std::time::Duration::from_secs(30)))
            .build()
            .new_agent();
        Pusher { agent, base: format!("http://{host}"), auth }
    }

    fn put(&self, url: &str, content_type: &str, body: &[u8]) -> u16 {
        let mut req = self.agent.put(url).header("Content-Type", content_type);
        if let Some(a) = &self.auth {
            req = req.header("Authorization", a);
        }
        req.send(body).unwrap_or_else(|e| panic!("PUT {url}: {e}")).status().as_u16()
    }

    /// POST an upload, then PUT the bytes with their digest.
    pub fn blob(&self, repo: &str, bytes: &[u8]) {
        let url = format!("{}/v2/{repo}/blobs/uploads/", self.base);
        let mut req = self.agent.post(&url);
        if let Some(a) = &self.auth {
            req = req.header("Authorization", a);
        }
        let resp = req.send_empty().unwrap_or_else(|e| panic!("POST {url}: {e}"));
        assert_eq!(resp.status().as_u16(), 202, "POST {url}");
        let location = resp.headers().get("location").unwrap().to_str().unwrap().to_owned();
        let location = if location.starts_with('/') { format!("{}{location}", self.base) } else { location };
        let sep = if location.contains('?') { '&' } else { '?' };
        let put = format!("{location}{sep}digest={}", sha(bytes));
        assert_eq!(self.put(&put, "application/octet-stream", bytes), 201, "PUT blob {put}");
    }

    pub fn manifest(&self, repo: &str, reference: &str, media_type: &str, bytes: &[u8]) {
        let url = format!("{}/v2/{repo}/manifests/{reference}", self.base);
        assert_eq!(self.put(&url, media_type, bytes), 201, "PUT manifest {url}");
    }

    /// Every blob and the manifest of `image` as `repo:tag`.
    pub fn image(&self, repo: &str, tag: &str, image: &Image) {
        for (_, bytes) in &image.blobs {
            self.blob(repo, bytes);
        }
        self.manifest(repo, tag, MANIFEST, &image.manifest);
    }
}

/// Writes `image` as an OCI layout under `dir/name` (for skopeo).
pub fn layout(dir: &TestDir, name: &str, tag: &str, image: &Image) -> PathBuf {
    dir.write(&format!("{name}/oci-layout"), r#"{"imageLayoutVersion":"1.0.0"}"#);
    for (digest, bytes) in image.blobs.iter().chain([(image.digest(), image.manifest.clone())].iter()) {
        dir.write(&format!("{name}/blobs/sha256/{}", &digest[7..]), bytes);
    }
    let index = json!({ "schemaVersion": 2, "manifests": [{
        "mediaType": MANIFEST, "digest": image.digest(), "size": image.manifest.len(),
        "annotations": { "org.opencontainers.image.ref.name": tag },
    }]});
    dir.write(&format!("{name}/index.json"), index.to_string());
    dir.join(name)
}
