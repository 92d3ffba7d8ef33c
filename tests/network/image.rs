//! A one-layer OCI layout of the busybox fixture whose config exposes a
//! port and serves /www with httpd (for `-P`).

use crate::common::TestDir;
use serde_json::json;
use sha2::{Digest as _, Sha256};
use std::path::{Path, PathBuf};

fn sha(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

/// Writes the layout under `dir/name`; its config has `ExposedPorts`
/// `PORT/tcp` and runs `httpd -f -p PORT -h /www`.
pub fn exposing_httpd(dir: &TestDir, name: &str, rootfs: &Path, port: u16) -> PathBuf {
    let mut b = tar::Builder::new(Vec::new());
    b.mode(tar::HeaderMode::Deterministic);
    b.follow_symlinks(false);
    b.append_dir_all(".", rootfs).expect("tar the busybox rootfs");
    let layer = b.into_inner().expect("finish the layer");
    let arch = if cfg!(target_arch = "aarch64") { "arm64" } else { "amd64" };
    let config = json!({
        "architecture": arch, "os": "linux",
        "config": {
            "Cmd": ["httpd", "-f", "-p", port.to_string(), "-h", "/www"],
            "Env": ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"],
            "ExposedPorts": { format!("{port}/tcp"): {} },
        },
        "rootfs": { "type": "layers", "diff_ids": [sha(&layer)] },
    })
    .to_string();
    let blob = |bytes: &[u8], media: &str| {
        let digest = sha(bytes);
        dir.write(&format!("{name}/blobs/sha256/{}", &digest[7..]), bytes);
        json!({ "mediaType": media, "digest": digest, "size": bytes.len() })
    };
    let config = blob(config.as_bytes(), "application/vnd.oci.image.config.v1+json");
    let layer = blob(&layer, "application/vnd.oci.image.layer.v1.tar");
    let manifest = json!({ "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                           "config": config, "layers": [layer] });
    let entry = blob(manifest.to_string().as_bytes(), "application/vnd.oci.image.manifest.v1+json");
    dir.write(&format!("{name}/oci-layout"), r#"{"imageLayoutVersion":"1.0.0"}"#);
    dir.write(&format!("{name}/index.json"), json!({ "schemaVersion": 2, "manifests": [entry] }).to_string());
    dir.join(name)
}
