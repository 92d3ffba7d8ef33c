//! The OCI image fixture builder the image tests share (`tests/images.rs`,
//! `tests/image_verbs.rs`, `tests/hostile_image.rs`, and `tests/registry.rs` through
//! `registry_support/push.rs`): digests, layers built in code as tar
//! streams (plain, gzip, zstd), descriptors and OCI layout directories.
//! Each test file decides what its images contain; the mechanics live here.

#![allow(dead_code)]

use super::common::*;
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};
use std::io::Write;
use std::path::{Path, PathBuf};

pub const MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub const INDEX: &str = "application/vnd.oci.image.index.v1+json";
pub const CONFIG: &str = "application/vnd.oci.image.config.v1+json";
pub const LAYER_TAR: &str = "application/vnd.oci.image.layer.v1.tar";
pub const LAYER_GZIP: &str = "application/vnd.oci.image.layer.v1.tar+gzip";
pub const LAYER_ZSTD: &str = "application/vnd.oci.image.layer.v1.tar+zstd";
pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
pub const DOCKER_CONFIG: &str = "application/vnd.docker.container.image.v1+json";
pub const DOCKER_LAYER_GZIP: &str = "application/vnd.docker.image.rootfs.diff.tar.gzip";

/// `sha256:<hex>` of `bytes`.
pub fn sha(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

/// The OCI name of this machine's architecture.
pub fn host_arch() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        other => other,
    }
}

/// A tar stream built by `build` (deterministic headers, links kept as links).
pub fn tar_with(build: impl FnOnce(&mut tar::Builder<Vec<u8>>)) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    b.mode(tar::HeaderMode::Deterministic);
    b.follow_symlinks(false);
    build(&mut b);
    b.into_inner().unwrap()
}

/// A regular-file header owned by 0:0 with a fixed mtime.
pub fn header(size: u64, mode: u32) -> tar::Header {
    let mut h = tar::Header::new_gnu();
    h.set_size(size);
    h.set_mode(mode);
    h.set_uid(0);
    h.set_gid(0);
    h.set_mtime(1_700_000_000);
    h.set_entry_type(tar::EntryType::Regular);
    h
}

/// Appends a regular file (mode 0644).
pub fn add(b: &mut tar::Builder<Vec<u8>>, path: &str, data: &[u8]) {
    b.append_data(&mut header(data.len() as u64, 0o644), path, data).unwrap();
}

/// The tree at `rootfs` as a layer, with `more` entries after it.
pub fn rootfs_layer(rootfs: &Path, more: impl FnOnce(&mut tar::Builder<Vec<u8>>)) -> Vec<u8> {
    tar_with(|b| {
        b.append_dir_all(".", rootfs).unwrap();
        more(b);
    })
}

pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(bytes).unwrap();
    gz.finish().unwrap()
}

pub fn zstd(bytes: &[u8]) -> Vec<u8> {
    zstd::encode_all(bytes, 1).unwrap()
}

/// A descriptor of `bytes`.
pub fn descriptor(media: &str, bytes: &[u8]) -> Value {
    json!({ "mediaType": media, "digest": sha(bytes), "size": bytes.len() })
}

/// An image config: `run` is its `config` object, one diff id per
/// uncompressed layer.
pub fn config(arch: &str, run: Value, uncompressed: &[&[u8]]) -> Vec<u8> {
    let diff_ids: Vec<String> = uncompressed.iter().map(|l| sha(l)).collect();
    json!({
        "created": "2024-05-01T12:00:00Z", "architecture": arch, "os": "linux",
        "config": run,
        "rootfs": { "type": "layers", "diff_ids": diff_ids },
    })
    .to_string()
    .into_bytes()
}

/// A manifest of `media` type over a config and layer descriptors.
pub fn manifest(media: &str, config: Value, layers: Vec<Value>) -> Vec<u8> {
    json!({ "schemaVersion": 2, "mediaType": media, "config": config, "layers": layers }).to_string().into_bytes()
}

/// An OCI layout directory being written under `dir/name`.
pub struct Layout<'a> {
    dir: &'a TestDir,
    name: String,
}

impl<'a> Layout<'a> {
    /// Starts `dir/name` with its `oci-layout` file.
    pub fn new(dir: &'a TestDir, name: &str) -> Layout<'a> {
        dir.write(&format!("{name}/oci-layout"), r#"{"imageLayoutVersion":"1.0.0"}"#);
        Layout { dir, name: name.to_owned() }
    }

    /// Writes a blob; returns its descriptor.
    pub fn blob(&self, media: &str, bytes: &[u8]) -> Value {
        let digest = sha(bytes);
        self.dir.write(&format!("{}/blobs/sha256/{}", self.name, &digest[7..]), bytes);
        descriptor(media, bytes)
    }

    /// Where the blob `digest` (`sha256:…`) is stored.
    pub fn blob_path(&self, digest: &str) -> PathBuf {
        self.dir.join(&format!("{}/blobs/sha256/{}", self.name, &digest[7..]))
    }

    /// Writes `index.json` listing `manifests`; returns the layout's path.
    pub fn finish(self, manifests: Vec<Value>) -> PathBuf {
        let index = json!({ "schemaVersion": 2, "mediaType": INDEX, "manifests": manifests });
        self.dir.write(&format!("{}/index.json", self.name), index.to_string());
        self.dir.join(&self.name)
    }
}
