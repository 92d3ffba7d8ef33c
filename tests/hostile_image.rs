//! Hostile images (issue 4): OCI layouts and `docker save` tarballs whose
//! digests, blob paths and config fields try to reach outside the store or
//! the container. Each must be refused (exit 125, nothing stored or written
//! outside) or stay inside the container.

mod common;
#[path = "image_support/fixture.rs"]
mod fixture;

use common::*;
use fixture::{add, header, host_arch, rootfs_layer, sha};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

fn tar_of(rootfs: &Path) -> Vec<u8> {
    rootfs_layer(rootfs, |_| {})
}

/// What to make hostile.
#[derive(Default, Clone)]
struct Evil {
    /// Replaces the index entry's digest.
    index_digest: Option<String>,
    /// Replaces the layer descriptor's digest.
    layer_digest: Option<String>,
    /// Replaces the config descriptor's digest.
    config_digest: Option<String>,
    /// Merged into the image config's `config`.
    config: Value,
    /// Merged into the image config itself (`rootfs`, …).
    top: Value,
}

/// An OCI layout of the busybox fixture under `dir/NAME`, made hostile by `evil`.
fn layout(dir: &TestDir, rootfs: &Path, name: &str, evil: &Evil) -> PathBuf {
    let blob = |bytes: &[u8], media: &str| {
        let digest = sha(bytes);
        dir.write(&format!("{name}/blobs/sha256/{}", &digest[7..]), bytes);
        json!({ "mediaType": media, "digest": digest, "size": bytes.len() })
    };
    let layer = tar_of(rootfs);
    let mut cfg = json!({ "Cmd": ["sh", "-c", "pwd; id -u"], "Env": ["PATH=/bin"] });
    if let Value::Object(extra) = &evil.config {
        for (k, v) in extra {
            cfg[k] = v.clone();
        }
    }
    let mut config = json!({ "architecture": host_arch(), "os": "linux", "config": cfg,
                         "rootfs": { "type": "layers", "diff_ids": [sha(&layer)] } });
    if let Value::Object(extra) = &evil.top {
        for (k, v) in extra {
            config[k] = v.clone();
        }
    }
    let mut config = blob(config.to_string().as_bytes(), "application/vnd.oci.image.config.v1+json");
    let mut layer = blob(&layer, "application/vnd.oci.image.layer.v1.tar");
    if let Some(d) = &evil.config_digest {
        config["digest"] = json!(d);
    }
    if let Some(d) = &evil.layer_digest {
        layer["digest"] = json!(d);
    }
    let manifest = json!({ "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                           "config": config, "layers": [layer] });
    let mut entry = blob(manifest.to_string().as_bytes(), "application/vnd.oci.image.manifest.v1+json");
    entry["annotations"] = json!({ "org.opencontainers.image.ref.name": "evil" });
    if let Some(d) = &evil.index_digest {
        entry["digest"] = json!(d);
    }
    dir.write(&format!("{name}/oci-layout"), r#"{"imageLayoutVersion":"1.0.0"}"#);
    dir.write(&format!("{name}/index.json"), json!({ "schemaVersion": 2, "manifests": [entry] }).to_string());
    dir.join(name)
}

fn cove_in(mode: Mode, root: &Path) -> Cove {
    cove(mode).env("COVE_ROOT", root.to_str().unwrap())
}

/// Digests that are not `algorithm:lowercase-hex` of the right length, in
/// the index, the manifest's config and its layers: the blob path must
/// never be built from them.
#[test]
fn digests_with_path_characters_are_refused() {
    let Some(mode) = modes().into_iter().next() else { return };
    let Some(rootfs) = busybox(mode) else { return };
    let dir = TestDir::new(mode, "evil-digest");
    let victim = unique("cove-evil-digest");
    // A blob the traversal would find: if cove ever opened it, the import
    // would read a "manifest" from outside the layout.
    let outside = dir.write(&format!("{victim}/x"), "{}");
    let real = sha(b"x");
    let hex = &real[7..];
    let bad = [
        format!("sha256:../../../{victim}/x"),
        format!("sha256:{}", hex.to_uppercase()),
        format!("sha256:{}", &hex[..40]),
        format!("sha256:{hex}/../../x"),
        format!("md5:{}", &hex[..32]),
        format!("../sha256:{hex}"),
        "sha256:".to_string(),
    ];
    let store = dir.join("store");
    for (i, d) in bad.iter().enumerate() {
        for (what, evil) in [
            ("index", Evil { index_digest: Some(d.clone()), ..Evil::default() }),
            ("config", Evil { config_digest: Some(d.clone()), ..Evil::default() }),
            ("layer", Evil { layer_digest: Some(d.clone()), ..Evil::default() }),
        ] {
            let src = layout(&dir, rootfs, &format!("l{i}-{what}"), &evil);
            let out = cove_in(mode, &store).arg("import").arg(&src).args(["--tag", &format!("evil{i}{what}")]).run();
            out.stderr_has("digest");
            if out.code != Some(125) {
                out.fail(&format!("exit 125 for the {what} digest {d:?}"));
            }
        }
    }
    assert!(outside.exists(), "the decoy outside the layout was touched");
    let out = cove_in(mode, &store).args(["images", "-q"]).run();
    out.ok().stdout_is("");
}

/// A `docker save` tarball whose manifest names paths outside itself.
#[test]
fn docker_save_paths_outside_the_tarball_are_refused() {
    let Some(mode) = modes().into_iter().next() else { return };
    let dir = TestDir::new(mode, "evil-save");
    let store = dir.join("store");
    for (config, layer) in [
        ("../../../../../../etc/passwd", "l/layer.tar"),
        ("/etc/passwd", "l/layer.tar"),
        ("cfg.json", "../../../../../../etc/passwd"),
        ("cfg.json", "/etc/passwd"),
        ("link/cfg.json", "l/layer.tar"),
    ] {
        let mut b = tar::Builder::new(Vec::new());
        let mut h = header(0, 0o777);
        h.set_entry_type(tar::EntryType::Symlink);
        b.append_link(&mut h, "link", "/etc").unwrap();
        add(&mut b, "l/layer.tar", &tar_of(&dir.mkdir("empty")));
        add(&mut b, "cfg.json", br#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}"#);
        let manifest = json!([{ "Config": config, "RepoTags": ["evil:1"], "Layers": [layer] }]);
        add(&mut b, "manifest.json", manifest.to_string().as_bytes());
        let tarball = dir.write("save.tar", b.into_inner().unwrap());
        let out = cove_in(mode, &store).arg("import").arg(&tarball).run();
        if out.code != Some(125) {
            out.fail(&format!("exit 125 for Config {config:?}, Layers [{layer:?}]"));
        }
        out.stderr_has("manifest.json names");
    }
}

/// Config fields from a hostile image: a working directory that climbs or
/// goes through a descriptor, odd users, a huge environment.
#[test]
fn hostile_config_fields_stay_inside() {
    for mode in modes() {
        let Some(rootfs) = busybox(mode) else { return };
        let dir = TestDir::new(mode, "evil-config");
        let store = dir.join("store");
        let climb = unique("cove-evil-wd");
        let big = format!("BIG={}", "x".repeat(200_000));
        let cases: Vec<(Value, &[i32])> = vec![
            (json!({ "WorkingDir": format!("../../../../../../tmp/{climb}") }), &[0, 125]),
            (json!({ "WorkingDir": "/proc/self/fd/3" }), &[125]),
            (json!({ "WorkingDir": "/proc/self/cwd/../../../../" }), &[0, 125]),
            (json!({ "User": "4294967295" }), &[125]),
            (json!({ "User": "-1" }), &[125]),
            (json!({ "User": "0:0:0" }), &[125]),
            (json!({ "User": "nosuchuser" }), &[125]),
            (json!({ "User": "0\n1" }), &[125]),
            (
                json!({ "Env": [big.clone(), big.clone(), big.clone(), big.clone(), big.clone(), big.clone(), big] }),
                &[0, 126],
            ),
        ];
        for (i, (cfg, codes)) in cases.into_iter().enumerate() {
            let src = layout(&dir, rootfs, &format!("c{i}"), &Evil { config: cfg.clone(), ..Evil::default() });
            cove_in(mode, &store).arg("import").arg(&src).args(["--tag", &format!("evil{i}")]).run().ok();
            let out = cove_in(mode, &store).args(["run", "--rm", "--network", "none", &format!("evil{i}")]).run();
            if !out.code.is_some_and(|c| codes.contains(&c)) {
                out.fail(&format!("exit {codes:?} for config {cfg}"));
            }
            assert!(
                !Path::new("/tmp").join(&climb).exists(),
                "{}: a working directory was created on the host",
                out.desc
            );
            if out.code == Some(0) {
                let pwd = out.lines().first().cloned().unwrap_or_default();
                assert!(!pwd.contains("(unreachable)") && pwd.starts_with('/'), "{}: pwd {pwd:?}", out.desc);
            }
        }
    }
}

/// Odd layer entries: a 5000-byte name (refused cleanly), a uid of 2^40
/// and a file capability xattr (CAP_SYS_ADMIN on a copy of busybox): the
/// import works or fails with 125 (no panic), and a file capability never
/// gives the command a capability.
#[test]
fn odd_layer_entries_fail_cleanly_or_grant_nothing() {
    for mode in modes() {
        let Some(rootfs) = busybox(mode) else { return };
        let dir = TestDir::new(mode, "evil-entries");
        let store = dir.join("store");
        let segment = "d".repeat(250);
        let long = format!("{}/f", vec![segment.as_str(); 20].join("/"));
        let out = import_with(mode, &dir, &store, rootfs, "long", |layer, h| {
            layer.append_data(&mut h.clone(), &long, &b"x\n"[..]).unwrap();
        });
        out.code(125);
        let busybox_bin = std::fs::read(rootfs.join("bin/busybox")).unwrap();
        let out = import_with(mode, &dir, &store, rootfs, "cap", |layer, h| {
            // security.capability = CAP_SYS_ADMIN, effective (VFS_CAP_REVISION_2)
            let cap: Vec<u8> = [1, 0, 0, 2, 0, 0, 0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0].to_vec();
            let pax: Vec<(&str, &[u8])> = vec![("uid", b"1099511627776"), ("SCHILY.xattr.security.capability", &cap)];
            layer.append_pax_extensions(pax).unwrap();
            let mut h = h.clone();
            h.set_mode(0o755);
            h.set_size(busybox_bin.len() as u64);
            layer.append_data(&mut h, "opt/sh", &busybox_bin[..]).unwrap();
        });
        if !matches!(out.code, Some(0) | Some(125)) {
            out.fail("exit 0 or 125 for a huge uid and a file capability");
        }
        if out.code == Some(0) {
            let script = "grep CapEff /proc/self/status";
            let out = cove_in(mode, &store)
                .args(["run", "--rm", "--network", "none", "--user", "1000", "cap", "/opt/sh", "-c", script])
                .run();
            out.ok().stdout_is("CapEff:\t0000000000000000\n");
        }
    }
}

/// Imports an image of the busybox fixture plus what `add` appends (given a
/// plain header to start from), tagged `tag`.
fn import_with(
    mode: Mode,
    dir: &TestDir,
    store: &Path,
    rootfs: &Path,
    tag: &str,
    add: impl FnOnce(&mut tar::Builder<Vec<u8>>, &tar::Header),
) -> Out {
    let h = header(2, 0o644);
    let layer = rootfs_layer(rootfs, |b| add(b, &h));
    let blob = |bytes: &[u8], media: &str| {
        let digest = sha(bytes);
        dir.write(&format!("{tag}/blobs/sha256/{}", &digest[7..]), bytes);
        json!({ "mediaType": media, "digest": digest, "size": bytes.len() })
    };
    let config = json!({ "architecture": host_arch(), "os": "linux", "config": { "Env": ["PATH=/bin"] },
                         "rootfs": { "type": "layers", "diff_ids": [sha(&layer)] } });
    let config = blob(config.to_string().as_bytes(), "application/vnd.oci.image.config.v1+json");
    let manifest = json!({ "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                           "config": config, "layers": [blob(&layer, "application/vnd.oci.image.layer.v1.tar")] });
    let entry = blob(manifest.to_string().as_bytes(), "application/vnd.oci.image.manifest.v1+json");
    dir.write(&format!("{tag}/oci-layout"), r#"{"imageLayoutVersion":"1.0.0"}"#);
    dir.write(&format!("{tag}/index.json"), json!({ "schemaVersion": 2, "manifests": [entry] }).to_string());
    cove_in(mode, store).arg("import").arg(dir.join(tag)).args(["--tag", tag]).run()
}

/// More hostile config fields (second red-team pass): environment entries
/// with a newline, a NUL, no `=` or an empty name; users that climb; a
/// hundred thousand labels and exposed ports. Each runs (0) or is refused
/// (125); none crashes cove (101) or hangs it.
#[test]
fn hostile_env_users_and_sizes_fail_cleanly() {
    for mode in modes() {
        let Some(rootfs) = busybox(mode) else { return };
        let dir = TestDir::new(mode, "evil-config2");
        let store = dir.join("store");
        let labels: serde_json::Map<String, Value> = (0..100_000).map(|i| (format!("l{i}"), json!("v"))).collect();
        let ports: serde_json::Map<String, Value> =
            (0..100_000).map(|i| (format!("{}/tcp", i % 65535 + 1), json!({}))).collect();
        let cases: Vec<(Value, &[i32])> = vec![
            (json!({ "Env": ["PATH=/bin", "A=1\nB=2"] }), &[0]),
            (json!({ "Env": ["PATH=/bin", "A\0B=1"] }), &[125]),
            (json!({ "Env": ["PATH=/bin", "C=1\0D=2"] }), &[125]),
            (json!({ "Env": ["PATH=/bin", "NOEQUALS", "=x"] }), &[0, 125]),
            (json!({ "User": "../x" }), &[125]),
            (json!({ "User": "0:../../etc" }), &[125]),
            (json!({ "User": "root\0x" }), &[125]),
            (json!({ "Cmd": ["sh\0x"] }), &[125, 126, 127]),
            (json!({ "Labels": labels, "ExposedPorts": ports }), &[0]),
        ];
        for (i, (cfg, codes)) in cases.into_iter().enumerate() {
            let src = layout(&dir, rootfs, &format!("c{i}"), &Evil { config: cfg.clone(), ..Evil::default() });
            let tag = format!("evil{i}");
            let out = cove_in(mode, &store).arg("import").arg(&src).args(["--tag", &tag]).run();
            if out.code != Some(0) {
                if out.code != Some(125) {
                    out.fail(&format!(
                        "import: exit 0 or 125 for config {}",
                        &cfg.to_string()[..80.min(cfg.to_string().len())]
                    ));
                }
                continue;
            }
            let out = cove_in(mode, &store).args(["run", "--rm", "--network", "none", &tag]).run();
            if !out.code.is_some_and(|c| codes.contains(&c)) {
                out.fail(&format!("exit {codes:?} for config case {i}"));
            }
        }
    }
}

/// An image config whose `rootfs.diff_ids` disagree with its layers (one
/// too many, another layer's, sha512) is refused at import (125), and
/// nothing is tagged.
#[test]
fn diff_ids_that_disagree_with_the_layers_are_refused() {
    for mode in modes() {
        let Some(rootfs) = busybox(mode) else { return };
        let dir = TestDir::new(mode, "evil-diffids");
        let store = dir.join("store");
        let real = sha(&tar_of(rootfs));
        let other = sha(b"another layer");
        let long = format!("sha512:{}", "0".repeat(128));
        let cases = [json!([real.clone(), real.clone()]), json!([other]), json!([long]), json!([])];
        for (i, ids) in cases.into_iter().enumerate() {
            let top = json!({ "rootfs": { "type": "layers", "diff_ids": ids } });
            let src = layout(&dir, rootfs, &format!("d{i}"), &Evil { top, ..Evil::default() });
            let out = cove_in(mode, &store).arg("import").arg(&src).args(["--tag", &format!("evil{i}")]).run();
            out.code(125);
            let out = cove_in(mode, &store).args(["images", "-q"]).run();
            out.ok().stdout_is("");
        }
    }
}

/// An OCI layout directory whose `index.json` or layer blob is a fifo
/// (which used to block the import forever) or a link to `/dev/zero`:
/// refused (125) with the file named, promptly.
#[test]
fn layout_files_that_are_not_regular_are_refused() {
    let Some(mode) = modes().into_iter().next() else { return };
    let Some(rootfs) = busybox(mode) else { return };
    let dir = TestDir::new(mode, "evil-fifo");
    let store = dir.join("store");
    let layer_hex = sha(&tar_of(rootfs))[7..].to_owned();
    for (i, file) in ["index.json".to_owned(), format!("blobs/sha256/{layer_hex}")].iter().enumerate() {
        for (j, kind) in ["fifo", "zero"].iter().enumerate() {
            let name = format!("f{i}{j}");
            let src = layout(&dir, rootfs, &name, &Evil::default());
            let path = src.join(file);
            std::fs::remove_file(&path).unwrap();
            match *kind {
                "fifo" => drop(run_host(std::process::Command::new("mkfifo").arg(&path))),
                _ => std::os::unix::fs::symlink("/dev/zero", &path).unwrap(),
            }
            let out = cove_in(mode, &store)
                .arg("import")
                .arg(&src)
                .args(["--tag", &name])
                .timeout(std::time::Duration::from_secs(20))
                .run();
            out.code(125).stderr_has("not a regular file");
        }
    }
}

/// An image `Healthcheck` with a 1 ns interval (or a timeout under 1 ms)
/// would have the monitor run `exec` after `exec` without pause: refused at
/// `run -d` with Docker's message (125), nothing left running.
#[test]
fn health_check_intervals_under_a_millisecond_are_refused() {
    for mode in modes() {
        let Some(rootfs) = busybox(mode) else { return };
        let dir = TestDir::new(mode, "evil-health");
        let store = dir.join("store");
        let cases = [("Interval", json!({ "Interval": 1 })), ("Timeout", json!({ "Timeout": 999_999 }))];
        for (i, (name, extra)) in cases.into_iter().enumerate() {
            let mut health = json!({ "Test": ["CMD", "true"] });
            health.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
            let cfg = json!({ "Healthcheck": health, "Cmd": ["sleep", "30"] });
            let src = layout(&dir, rootfs, &format!("h{i}"), &Evil { config: cfg, ..Evil::default() });
            let tag = format!("health{i}");
            cove_in(mode, &store).arg("import").arg(&src).args(["--tag", &tag]).run().ok();
            let out = cove_in(mode, &store).args(["run", "-d", "--network", "none", &tag]).run();
            out.code(125).stderr_has(&format!("{name} in Healthcheck cannot be less than 1ms"));
            cove_in(mode, &store).args(["ps", "-q"]).run().ok().stdout_is("");
        }
    }
}
