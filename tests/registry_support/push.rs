//! The fixture pusher: images built here in code from the busybox rootfs
//! (a gzip layer and a zstd layer; with the shared builder in
//! `image_support/fixture.rs`), pushed over the registry API (blob
//! uploads, manifest PUTs), and the same image as an OCI layout for skopeo.

// Shared by registry.rs and registry_faults.rs; each uses a part.
#![allow(dead_code)]

use super::common::*;
use super::fixture::*;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

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

/// The busybox rootfs (gzip) plus `/etc/marker` holding `marker` and
/// `extra` bytes of incompressible data in `/big` (zstd); Cmd prints the marker.
pub fn build(rootfs: &Path, marker: &str, arch: &str, extra: usize) -> Image {
    let one = rootfs_layer(rootfs, |_| {});
    let two = tar_with(|b| {
        add(b, "etc/marker", format!("{marker}\n").as_bytes());
        if extra > 0 {
            add(b, "big", &pseudo_random(extra, 7));
        }
    });
    let (one_gz, two_zst) = (gzip(&one), zstd(&two));
    let run = json!({ "Cmd": ["/bin/sh", "-c", "cat /etc/marker"], "Env": ["PATH=/bin"] });
    let config = config(arch, run, &[&one, &two]);
    let layers = vec![descriptor(LAYER_GZIP, &one_gz), descriptor(LAYER_ZSTD, &two_zst)];
    let manifest = manifest(MANIFEST, descriptor(CONFIG, &config), layers);
    let layers = vec![sha(&one_gz), sha(&two_zst)];
    Image { blobs: vec![(sha(&config), config), (sha(&one_gz), one_gz), (sha(&two_zst), two_zst)], manifest, layers }
}

/// A Docker schema 2 image: the busybox rootfs (gzip) plus a gzip layer
/// holding `/zeros` (`zeros` bytes, which compress to almost nothing: a
/// gzip bomb when large); Cmd prints the size of `/zeros`.
pub fn docker_zeros(rootfs: &Path, zeros: usize) -> Image {
    let one = rootfs_layer(rootfs, |_| {});
    let two = tar_with(|b| add(b, "zeros", &vec![0u8; zeros]));
    let (one_gz, two_gz) = (gzip(&one), gzip(&two));
    let run = json!({ "Cmd": ["/bin/sh", "-c", "wc -c < /zeros"], "Env": ["PATH=/bin"] });
    let config = config(host_arch(), run, &[&one, &two]);
    let layers = vec![descriptor(DOCKER_LAYER_GZIP, &one_gz), descriptor(DOCKER_LAYER_GZIP, &two_gz)];
    let manifest = manifest(DOCKER_MANIFEST, descriptor(DOCKER_CONFIG, &config), layers);
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
    let layout = Layout::new(dir, name);
    for (_, bytes) in &image.blobs {
        layout.blob("", bytes);
    }
    let mut entry = layout.blob(MANIFEST, &image.manifest);
    entry["annotations"] = json!({ "org.opencontainers.image.ref.name": tag });
    layout.finish(vec![entry])
}
