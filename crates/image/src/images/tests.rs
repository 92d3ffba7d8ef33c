//! The store against small layouts written here.

use super::*;
use std::io::Write as _;

/// A one-layer layout (`hello` with `text`) under `dir`; returns its config digest.
fn layout(dir: &Path, text: &str, name: Option<&str>) -> String {
    let blobs = dir.join("blobs/sha256");
    fs::create_dir_all(&blobs).unwrap();
    fs::write(dir.join("oci-layout"), r#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
    let put = |bytes: &[u8]| {
        let d = Digest::sha256_of(bytes);
        fs::File::create(blobs.join(d.hex())).unwrap().write_all(bytes).unwrap();
        serde_json::json!({ "digest": d.to_string(), "size": bytes.len(), "mediaType": "x" })
    };
    let mut tar = tar::Builder::new(Vec::new());
    let mut header = tar::Header::new_gnu();
    header.set_size(text.len() as u64);
    header.set_mode(0o644);
    header.set_uid(0);
    header.set_gid(0);
    header.set_mtime(0);
    tar.append_data(&mut header, "hello", text.as_bytes()).unwrap();
    let layer = tar.into_inner().unwrap();
    let config = serde_json::json!({
        "config": { "Cmd": ["cat", "/hello"] },
        "rootfs": { "type": "layers", "diff_ids": [Digest::sha256_of(&layer).to_string()] },
    });
    let config = put(config.to_string().as_bytes());
    let manifest = serde_json::json!({ "schemaVersion": 2, "config": config, "layers": [put(&layer)] });
    let mut entry = put(manifest.to_string().as_bytes());
    if let Some(n) = name {
        entry["annotations"] = serde_json::json!({ crate::oci::REF_NAME: n });
    }
    let index = serde_json::json!({ "schemaVersion": 2, "manifests": [entry] });
    fs::write(dir.join("index.json"), index.to_string()).unwrap();
    config["digest"].as_str().unwrap().to_owned()
}

#[test]
fn import_find_and_retag() {
    let tmp = tempfile::tempdir().unwrap();
    let store = ImageStore::open(&tmp.path().join("store")).unwrap();
    let config = layout(&tmp.path().join("a"), "one\n", Some("alpine"));
    let image = store.import_layout(&tmp.path().join("a"), None, false).unwrap();
    assert_eq!((image.repository.as_str(), image.tag.as_str()), ("alpine", "latest"));
    assert_eq!(image.config, config);
    assert_eq!(image.run_config.cmd.as_deref(), Some(&["cat".to_owned(), "/hello".to_owned()][..]));
    assert_eq!(fs::read_to_string(store.rootfs(&image).join("hello")).unwrap(), "one\n");
    // By normalised name, by id prefix (with and without the algorithm).
    assert_eq!(store.find("docker.io/library/alpine:latest").unwrap(), Some(image.clone()));
    assert_eq!(store.find(&image.id_hex()[..6]).unwrap(), Some(image.clone()));
    assert_eq!(store.find(&image.config).unwrap(), Some(image.clone()));
    assert_eq!(store.find("other").unwrap(), None);
    // The same name again replaces the record; another name adds one.
    layout(&tmp.path().join("b"), "two\n", None);
    let tag = Reference::parse("alpine").unwrap();
    let second = store.import_layout(&tmp.path().join("b"), Some(&tag), false).unwrap();
    store.import_layout(&tmp.path().join("a"), Some(&Reference::parse("x/y:1").unwrap()), false).unwrap();
    let names: Vec<_> = store.list().unwrap().into_iter().map(|i| (i.reference, i.config)).collect();
    assert_eq!(
        names,
        [("docker.io/library/alpine:latest".to_owned(), second.config), ("docker.io/x/y:1".to_owned(), config)]
    );
    assert!(matches!(store.import_layout(&tmp.path().join("b"), None, false), Err(ImageError::NoName)));
}

#[test]
fn a_missing_layout_file_names_the_path() {
    let tmp = tempfile::tempdir().unwrap();
    let store = ImageStore::open(&tmp.path().join("store")).unwrap();
    let err = store.import_layout(&tmp.path().join("nope"), None, false).unwrap_err();
    assert!(err.to_string().contains("nope/oci-layout"), "{err}");
}
