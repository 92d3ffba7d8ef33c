//! The store against small layouts and tarballs written here.

use super::*;
use crate::digest::Digest;
use std::collections::HashSet;
use std::fs;
use std::io::Write as _;
use std::sync::Mutex;

/// Markers as plain files, so the per-layer code runs without a kernel.
#[derive(Default)]
struct FileMarkers(Mutex<HashSet<PathBuf>>);

impl OverlayMarkers for FileMarkers {
    fn whiteout(&self, path: &Path) -> std::io::Result<()> {
        fs::write(path, "")?;
        self.0.lock().unwrap().insert(path.to_owned());
        Ok(())
    }
    fn opaque(&self, dir: &Path) -> std::io::Result<()> {
        fs::write(dir.join(".opaque-marker"), "")
    }
    fn is_whiteout(&self, path: &Path) -> bool {
        self.0.lock().unwrap().contains(path)
    }
}

fn tar_of(files: &[(&str, &str)]) -> Vec<u8> {
    let mut tar = tar::Builder::new(Vec::new());
    for (name, text) in files {
        let mut header = tar::Header::new_gnu();
        header.set_size(text.len() as u64);
        header.set_mode(0o644);
        header.set_mtime(0);
        header.set_uid(0);
        header.set_gid(0);
        tar.append_data(&mut header, name, text.as_bytes()).unwrap();
    }
    tar.into_inner().unwrap()
}

/// A layout under `dir` with one layer per `layers` entry; returns the config digest.
fn layout_with(dir: &Path, layers: &[Vec<u8>], name: Option<&str>) -> String {
    let blobs = dir.join("blobs/sha256");
    fs::create_dir_all(&blobs).unwrap();
    fs::write(dir.join("oci-layout"), r#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
    let put = |bytes: &[u8]| {
        let d = Digest::sha256_of(bytes);
        fs::File::create(blobs.join(d.hex())).unwrap().write_all(bytes).unwrap();
        serde_json::json!({ "digest": d.to_string(), "size": bytes.len(), "mediaType": "x" })
    };
    let diff_ids: Vec<String> = layers.iter().map(|l| Digest::sha256_of(l).to_string()).collect();
    let config = serde_json::json!({
        "architecture": "amd64", "os": "linux",
        "config": { "Cmd": ["cat", "/hello"], "Labels": { "a": "b" } },
        "rootfs": { "type": "layers", "diff_ids": diff_ids },
    });
    let config = put(config.to_string().as_bytes());
    let layer_descs: Vec<_> = layers.iter().map(|l| put(l)).collect();
    let manifest = serde_json::json!({ "schemaVersion": 2, "config": config, "layers": layer_descs });
    let mut entry = put(manifest.to_string().as_bytes());
    if let Some(n) = name {
        entry["annotations"] = serde_json::json!({ crate::oci::REF_NAME: n });
    }
    let index = serde_json::json!({ "schemaVersion": 2, "manifests": [entry] });
    fs::write(dir.join("index.json"), index.to_string()).unwrap();
    config["digest"].as_str().unwrap().to_owned()
}

fn layout(dir: &Path, text: &str, name: Option<&str>) -> String {
    layout_with(dir, &[tar_of(&[("hello", text)])], name)
}

const OPTS: IngestOptions = IngestOptions { apply_ownership: false };

fn layered(tmp: &Path) -> ImageStore {
    ImageStore::open(&tmp.join("store")).unwrap().with_markers(Arc::new(FileMarkers::default()))
}

fn dirs(store: &ImageStore, kind: &str) -> usize {
    fs::read_dir(store.root().join(kind)).map(|d| d.count()).unwrap_or(0)
}

#[test]
fn import_find_and_retag() {
    let tmp = tempfile::tempdir().unwrap();
    let store = ImageStore::open(&tmp.path().join("store")).unwrap();
    let config = layout(&tmp.path().join("a"), "one\n", Some("alpine"));
    let image = store.import_layout(&tmp.path().join("a"), None, &OPTS).unwrap();
    assert_eq!(image.names(), [("alpine".to_owned(), "latest".to_owned())]);
    assert_eq!((image.id.as_str(), image.storage), (config.as_str(), Storage::Flat));
    assert_eq!(image.run_config.cmd.as_deref(), Some(&["cat".to_owned(), "/hello".to_owned()][..]));
    let ImageRoot::Flat(root) = store.image_root(&image).unwrap() else { panic!("flat expected") };
    assert_eq!(fs::read_to_string(root.join("hello")).unwrap(), "one\n");
    assert_eq!(store.find("docker.io/library/alpine:latest").unwrap(), Some(image.clone()));
    assert_eq!(store.find(&image.id_hex()[..6]).unwrap(), Some(image.clone()));
    assert_eq!(store.find(&image.id).unwrap(), Some(image.clone()));
    assert_eq!(store.find("other").unwrap(), None);
    // The same name on another image moves the tag; the first one is left dangling.
    layout(&tmp.path().join("b"), "two\n", None);
    let tag = Reference::parse("alpine").unwrap();
    let second = store.import_layout(&tmp.path().join("b"), Some(&tag), &OPTS).unwrap();
    store.tag(&second.id, &Reference::parse("x/y:1").unwrap()).unwrap();
    let names: Vec<_> = store.list().unwrap().into_iter().map(|i| (i.id, i.tags)).collect();
    let both = vec!["docker.io/library/alpine:latest".to_owned(), "docker.io/x/y:1".to_owned()];
    assert_eq!(names, [(config, vec![]), (second.id.clone(), both)]);
    assert!(matches!(store.import_layout(&tmp.path().join("b"), None, &OPTS), Err(ImageError::NoName)));
    // Removing by id with two tags needs -f; the dangling one goes with prune.
    assert!(matches!(store.remove(&second.id, false), Err(ImageError::MultipleTags { .. })));
    let report = store.prune(false).unwrap();
    assert_eq!(report.removed, [Removed::Deleted(image.id.clone())]);
    assert_eq!(store.list().unwrap().len(), 1);
}

#[test]
fn layers_are_shared_and_removed_with_their_last_image() {
    let tmp = tempfile::tempdir().unwrap();
    let store = layered(tmp.path());
    assert_eq!(store.storage_mode(), Storage::Layers);
    let base = tar_of(&[("etc/base", "base\n"), ("etc/gone", "x")]);
    let top_a = tar_of(&[("etc/.wh.gone", ""), ("a", "a\n")]);
    let top_b = tar_of(&[("b", "b\n")]);
    layout_with(&tmp.path().join("a"), &[base.clone(), top_a], Some("a"));
    layout_with(&tmp.path().join("b"), &[base, top_b], Some("b"));
    let a = store.import_layout(&tmp.path().join("a"), None, &OPTS).unwrap();
    let b = store.import_layout(&tmp.path().join("b"), None, &OPTS).unwrap();
    assert_eq!((a.storage, dirs(&store, "layers")), (Storage::Layers, 3), "base shared, two tops");
    let ImageRoot::Layers(lowers) = store.image_root(&a).unwrap() else { panic!("layers expected") };
    assert_eq!(lowers.len(), 2);
    assert_eq!(fs::read_to_string(lowers[1].join("etc/base")).unwrap(), "base\n");
    assert!(lowers[0].join("etc/gone").exists() && !lowers[0].join("etc/.wh.gone").exists(), "marker written");
    // A held image is refused; -f only untags.
    let held = crate::hold::hold(store.root(), a.id_hex()).unwrap();
    assert!(matches!(store.remove("a", false), Err(ImageError::InUse { .. })));
    assert_eq!(store.remove("a", true).unwrap(), [Removed::Untagged("a:latest".into())]);
    assert_eq!(dirs(&store, "layers"), 3);
    assert!(store.prune(false).unwrap().removed.is_empty(), "held dangling image kept");
    drop(held);
    assert_eq!(store.prune(false).unwrap().removed, [Removed::Deleted(a.id.clone())]);
    assert_eq!(dirs(&store, "layers"), 2, "the shared base stays for b");
    assert!(store.image_root(&b).is_ok());
    // An image a stored container uses: refused, and kept by prune -a.
    let users = super::ImageUsers::from([(b.id.clone(), "0123456789ab".to_owned())]);
    let refused = store.remove_unused("b", false, &users).unwrap_err().to_string();
    assert!(refused.contains("container 0123456789ab is using its referenced image"), "{refused}");
    assert!(store.prune_unused(true, &users).unwrap().removed.is_empty(), "used image pruned");
    let removed = store.remove("b", false).unwrap();
    assert_eq!(removed, [Removed::Untagged("b:latest".into()), Removed::Deleted(b.id.clone())]);
    assert_eq!(dirs(&store, "layers"), 0);
}

#[test]
fn prune_removes_dead_old_temps_only() {
    let tmp = tempfile::tempdir().unwrap();
    let store = layered(tmp.path());
    let layers = store.root().join("layers");
    let mk = |name: &str, age: u64| {
        let dir = layers.join(name);
        fs::create_dir_all(dir.join("sub")).unwrap();
        let when = std::time::SystemTime::now() - std::time::Duration::from_secs(age);
        fs::File::open(&dir).unwrap().set_modified(when).unwrap();
        dir
    };
    let dead_old = mk(".tmp-aa-999999999", 3600);
    let dead_young = mk(".tmp-bb-999999999", 0);
    let live_old = mk(&format!(".tmp-cc-{}", std::process::id()), 3600);
    store.prune(false).unwrap();
    assert!(!dead_old.exists());
    assert!(dead_young.exists() && live_old.exists());
}

/// A `docker save` archive (legacy layout) of one two-layer image.
fn docker_save(tags: &[&str], extra: Option<(&str, &str)>) -> Vec<u8> {
    let l1 = tar_of(&[("hello", "saved\n")]);
    let l2 = tar_of(&[("more", "more\n")]);
    let config = serde_json::json!({
        "architecture": "amd64", "os": "linux", "config": { "Cmd": ["sh"] },
        "rootfs": { "type": "layers", "diff_ids": [Digest::sha256_of(&l1).to_string(), Digest::sha256_of(&l2).to_string()] },
    })
    .to_string();
    let manifest =
        serde_json::json!([{ "Config": "cfg.json", "RepoTags": tags, "Layers": ["l1/layer.tar", "l2/layer.tar"] }]);
    let mut files = vec![("cfg.json", config), ("manifest.json", manifest.to_string())];
    let mut tar = tar::Builder::new(Vec::new());
    let mut add = |name: &str, data: &[u8]| {
        let mut header = tar::Header::new_gnu();
        header.set_size(data.len() as u64);
        header.set_mode(0o644);
        header.set_uid(0);
        header.set_gid(0);
        header.set_mtime(0);
        tar.append_data(&mut header, name, data).unwrap();
    };
    add("l1/layer.tar", &l1);
    add("l2/layer.tar", &l2);
    for (name, text) in files.drain(..) {
        add(name, text.as_bytes());
    }
    if let Some((name, text)) = extra {
        add(name, text.as_bytes());
    }
    tar.into_inner().unwrap()
}

#[test]
fn docker_save_tarballs_import_with_their_tags() {
    let tmp = tempfile::tempdir().unwrap();
    let store = layered(tmp.path());
    let path = tmp.path().join("saved.tar");
    fs::write(&path, docker_save(&["busybox:1", "me/bb:2"], None)).unwrap();
    let images = store.import(&path, None, &OPTS).unwrap();
    assert_eq!(images.len(), 1);
    assert_eq!(images[0].familiar_tags(), ["busybox:1", "me/bb:2"]);
    let ImageRoot::Layers(lowers) = store.image_root(&images[0]).unwrap() else { panic!() };
    assert_eq!(fs::read_to_string(lowers[1].join("hello")).unwrap(), "saved\n");
    assert_eq!(dirs(&store, "tmp"), 0, "the unpacked archive is removed");
}

#[test]
fn hostile_or_broken_tarballs_import_nothing() {
    let manifest = |layer: &str| format!(r#"[{{"Config":"c","RepoTags":["o:1"],"Layers":["{layer}"]}}]"#);
    let tmp = tempfile::tempdir().unwrap();
    let store = layered(tmp.path());
    let mut escaping = tar::Builder::new(Vec::new());
    let mut header = tar::Header::new_gnu();
    header.set_size(1);
    header.set_mode(0o644);
    header.set_uid(0);
    header.set_gid(0);
    header.set_mtime(0);
    // `append_data` refuses `..`; write the name into the header directly.
    header.as_gnu_mut().unwrap().name[..9].copy_from_slice(b"../escape");
    header.set_cksum();
    escaping.append(&header, &b"x"[..]).unwrap();
    let mut truncated = docker_save(&["t:1"], None);
    truncated.truncate(700);
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("escape", escaping.into_inner().unwrap()),
        ("truncated", truncated),
        ("not-an-image", tar_of(&[("readme", "hi")])),
        ("outside", tar_of(&[("c", "{}"), ("manifest.json", &manifest("../../../etc/passwd"))])),
        ("absent", tar_of(&[("c", "{}"), ("manifest.json", &manifest("l/layer.tar"))])),
    ];
    for (name, bytes) in cases {
        let path = tmp.path().join(format!("{name}.tar"));
        fs::write(&path, bytes).unwrap();
        assert!(store.import(&path, None, &OPTS).is_err(), "{name} imported");
        assert!(store.list().unwrap().is_empty(), "{name}");
    }
    assert!(!tmp.path().join("escape").exists());
    assert_eq!(dirs(&store, "tmp"), 0);
}

#[test]
fn containerd_name_annotation_wins_over_a_bare_tag() {
    let tmp = tempfile::tempdir().unwrap();
    let store = layered(tmp.path());
    let dir = tmp.path().join("l");
    layout(&dir, "x\n", Some("1.0"));
    let mut index: serde_json::Value = serde_json::from_slice(&fs::read(dir.join("index.json")).unwrap()).unwrap();
    index["manifests"][0]["annotations"][crate::oci::CONTAINERD_NAME] = "docker.io/team/app:1.0".into();
    fs::write(dir.join("index.json"), index.to_string()).unwrap();
    let image = store.import_layout(&dir, None, &OPTS).unwrap();
    assert_eq!(image.familiar_tags(), ["team/app:1.0"]);
}
