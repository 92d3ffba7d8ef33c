//! Local images (issue 4): `cove import` of an OCI layout built here in code,
//! `cove images`, and `cove run IMAGE` with the image's defaults. Each mode
//! uses its own store (`COVE_ROOT` in a scratch directory).

mod common;
#[path = "image_support/fixture.rs"]
mod fixture;

use common::*;
use fixture::*;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

/// The image's Cmd prints what each default should have set.
const CMD: &str = "echo cmd; pwd; id -u; echo $GREETING; cat /etc/added; \
                   test -e /etc/gone && echo gone-present || echo gone-hidden";
const DEFAULT_OUT: &str = "cmd\n/home/app\n1000\nhello\nadded\ngone-hidden\n";

/// What to build.
#[derive(Default)]
struct Spec {
    /// Put the manifest behind a nested index (after a decoy for another platform).
    nested: bool,
    /// The layout's ref.name annotation.
    ref_name: Option<&'static str>,
    /// Flip a byte of layer 2's blob after writing it.
    corrupt_layer: bool,
    /// Give layer 2 a wrong diff id in the config.
    bad_diff_id: bool,
}

/// An OCI layout under `dir/NAME`: layer 1 is the busybox fixture plus
/// `/etc/gone`; layer 2 (gzip) whites out `/etc/gone` and adds `/etc/added`.
fn build_layout(dir: &TestDir, rootfs: &Path, name: &str, spec: &Spec) -> PathBuf {
    let layout = Layout::new(dir, name);
    let layer1 = rootfs_layer(rootfs, |b| add(b, "etc/gone", b"lower layer\n"));
    let layer2 = tar_with(|b| {
        add(b, "etc/.wh.gone", b"");
        add(b, "etc/added", b"added\n");
    });
    let layer2_gz = gzip(&layer2);
    let run = json!({
        "Entrypoint": ["/bin/sh", "-c"],
        "Cmd": [CMD],
        "Env": ["PATH=/bin:/usr/bin", "GREETING=hello"],
        "WorkingDir": "/home/app",
        "User": "app",
    });
    let bogus = b"something else".to_vec();
    let diff2: &[u8] = if spec.bad_diff_id { &bogus } else { &layer2 };
    let config = config(host_arch(), run, &[&layer1, diff2]);
    let manifest = manifest(
        MANIFEST,
        layout.blob(CONFIG, &config),
        vec![layout.blob(LAYER_TAR, &layer1), layout.blob(LAYER_GZIP, &layer2_gz)],
    );
    if spec.corrupt_layer {
        let path = layout.blob_path(&sha(&layer2_gz));
        let mut bytes = std::fs::read(&path).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 0xff;
        std::fs::write(&path, bytes).unwrap();
    }
    let mut entry = layout.blob(MANIFEST, &manifest);
    entry["platform"] = json!({ "architecture": host_arch(), "os": "linux" });
    if spec.nested {
        let decoy = json!({
            "mediaType": MANIFEST,
            "digest": sha(b"not in this layout"),
            "size": 1,
            "platform": { "architecture": "s390x-decoy", "os": "linux" },
        });
        let nested = json!({ "schemaVersion": 2, "mediaType": INDEX, "manifests": [decoy, entry] });
        entry = layout.blob(INDEX, nested.to_string().as_bytes());
    }
    if let Some(r) = spec.ref_name {
        entry["annotations"] = json!({ "org.opencontainers.image.ref.name": r });
    }
    layout.finish(vec![entry])
}

/// A mode's scratch dir with an empty store, and a `cove` using it.
fn store(mode: Mode, tag: &str) -> (TestDir, String) {
    let dir = TestDir::new(mode, tag);
    let root = dir.mkdir("store").display().to_string();
    (dir, root)
}

fn cove_in(mode: Mode, root: &str) -> Cove {
    cove(mode).env("COVE_ROOT", root)
}

#[test]
fn import_list_and_run_with_the_image_defaults() {
    for mode in modes() {
        let Some(rootfs) = busybox(mode) else { continue };
        let (dir, root) = store(mode, "img-run");
        let layout = build_layout(&dir, rootfs, "layout", &Spec::default());
        cove_in(mode, &root)
            .arg("import")
            .arg(&layout)
            .args(["--tag", "test/img:1"])
            .run()
            .ok()
            .stdout_has("test/img:1 sha256:");

        let table = cove_in(mode, &root).arg("images").run();
        table.ok();
        let lines = table.lines();
        assert!(lines[0].starts_with("REPOSITORY   TAG   IMAGE ID"), "{}: header {:?}", table.desc, lines[0]);
        let row: Vec<&str> = lines[1].split_whitespace().collect();
        assert_eq!(&row[..2], ["test/img", "1"], "{}: row {:?}", table.desc, lines[1]);
        assert_eq!(row[2].len(), 12, "{}: image id {:?}", table.desc, row[2]);
        let id = row[2].to_owned();

        let out = cove_in(mode, &root).args(["images", "--format", "json"]).run();
        let list: Value = serde_json::from_str(&out.ok().stdout()).expect("images JSON");
        assert_eq!(list.as_array().map(Vec::len), Some(1), "{}: {list}", out.desc);
        assert_eq!(list[0]["repository"], "test/img");
        assert_eq!(list[0]["tag"], "1");
        assert_eq!(list[0]["reference"], "docker.io/test/img:1");
        assert_eq!(list[0]["created"], "2024-05-01T12:00:00Z");
        assert!(list[0]["id"].as_str().unwrap().starts_with(&format!("sha256:{id}")), "{list}");
        cove_in(mode, &root).args(["images", "-q"]).run().ok().stdout_is(&format!("{id}\n"));

        // Entrypoint + Cmd, Env, WorkingDir, User; a whiteout in layer 2.
        cove_in(mode, &root).args(["run", "test/img:1"]).run().ok().stdout_is(DEFAULT_OUT);
        // -u, -w and -e override the image's User, WorkingDir and Env.
        cove_in(mode, &root)
            .args(["run", "-u", "0", "-w", "/tmp", "-e", "GREETING=bye", "test/img:1"])
            .run()
            .ok()
            .stdout_is("cmd\n/tmp\n0\nbye\nadded\ngone-hidden\n");
        // Words after the image replace Cmd (the Entrypoint stays).
        cove_in(mode, &root)
            .args(["run", "test/img:1", "echo $GREETING $PATH"])
            .run()
            .ok()
            .stdout_is("hello /bin:/usr/bin\n");
        // --entrypoint replaces the Entrypoint; an image id prefix names the image.
        cove_in(mode, &root).args(["run", "--entrypoint", "/bin/echo", &id, "a", "b"]).run().ok().stdout_is("a b\n");
        cove_in(mode, &root).args(["run", "--entrypoint", "pwd", "test/img:1"]).run().ok().stdout_is("/home/app\n");
        // cove shell IMAGE: the image's /bin/sh (not its Entrypoint) with
        // its Env, WorkingDir and User, reading stdin.
        cove_in(mode, &root)
            .args(["shell", "test/img:1"])
            .stdin("echo $GREETING; pwd; id -u\n")
            .run()
            .ok()
            .stdout_is("hello\n/home/app\n1000\n");
        // Writes go to a throwaway layer, never into the stored rootfs.
        cove_in(mode, &root).args(["run", "-u", "0", "test/img:1", "echo x > /etc/added"]).run().ok();
        cove_in(mode, &root).args(["run", "test/img:1", "cat /etc/added"]).run().ok().stdout_is("added\n");
        // --read-only: the overlay's write layer is read-only too.
        let ro =
            cove_in(mode, &root).args(["run", "--read-only", "-u", "0", "test/img:1", "echo x > /etc/added"]).run();
        ro.failed().stderr_has("Read-only");
    }
}

/// Issue 4: where overlay cannot be mounted in a user namespace (forced
/// here with `COVE_IMAGE_ROOT=copy`), an image runs on a private copy of
/// its merged layers: whiteouts applied, writes never reach the stored
/// layers (`--read-only` refuses them), the copy gone after the run (a
/// stored container's with `rm`), and `cove info` says which root is used.
#[test]
fn copy_fallback_runs_images_without_overlay() {
    for mode in modes() {
        let Some(rootfs) = busybox(mode) else { continue };
        let (dir, root) = store(mode, "img-copy");
        let layout = build_layout(&dir, rootfs, "layout", &Spec::default());
        cove_in(mode, &root).arg("import").arg(&layout).args(["--tag", "test/copy:1"]).run().ok();
        let copy = || cove_in(mode, &root).env("COVE_IMAGE_ROOT", "copy");
        copy().arg("info").run().ok().stdout_has("private copy per container");
        copy().args(["run", "test/copy:1"]).run().ok().stdout_is(DEFAULT_OUT);
        let write = "echo changed > /etc/added && cat /etc/added";
        copy().args(["run", "-u", "0", "test/copy:1", write]).run().ok().stdout_is("changed\n");
        copy().args(["run", "--read-only", "-u", "0", "test/copy:1", write]).run().failed().stderr_has("Read-only");
        copy().args(["run", "test/copy:1", "cat /etc/added"]).run().ok().stdout_is("added\n");
        cove_in(mode, &root).args(["run", "test/copy:1", "cat /etc/added"]).run().ok().stdout_is("added\n");
        let layers = std::path::Path::new(&root).join("layers");
        for layer in std::fs::read_dir(&layers).unwrap().flatten() {
            if let Ok(text) = std::fs::read_to_string(layer.path().join("etc/added")) {
                assert_eq!(text, "added\n", "[{}] a write reached the stored layer {:?}", mode.label(), layer.path());
            }
        }
        let tmp = std::path::Path::new(&root).join("tmp");
        let left: Vec<_> =
            std::fs::read_dir(&tmp).map(|d| d.flatten().map(|e| e.file_name()).collect()).unwrap_or_default();
        assert!(left.is_empty(), "[{}] copies left in {}: {left:?}", mode.label(), tmp.display());
        // Stored containers get their own copy, removed with them.
        let id = copy().args(["create", "test/copy:1"]).run().ok().stdout().trim().to_owned();
        assert!(std::path::Path::new(&root).join("copies").join(&id).is_dir(), "[{}] copies/{id}", mode.label());
        copy().args(["rm", &id]).run().ok();
        assert!(
            !std::path::Path::new(&root).join("copies").join(&id).exists(),
            "[{}] copies/{id} after rm",
            mode.label()
        );
    }
}

#[test]
fn nested_index_and_name_annotation() {
    for mode in modes() {
        let Some(rootfs) = busybox(mode) else { continue };
        let (dir, root) = store(mode, "img-nested");
        let spec = Spec { nested: true, ref_name: Some("example.com/team/app:2"), ..Spec::default() };
        let layout = build_layout(&dir, rootfs, "layout", &spec);
        cove_in(mode, &root).arg("import").arg(&layout).run().ok();
        let out = cove_in(mode, &root).args(["images", "--format", "json"]).run();
        let list: Value = serde_json::from_str(&out.ok().stdout()).expect("images JSON");
        assert_eq!(list[0]["repository"], "example.com/team/app", "{}: {list}", out.desc);
        assert_eq!(list[0]["tag"], "2");
        cove_in(mode, &root).args(["run", "example.com/team/app:2", "cat /etc/added"]).run().ok().stdout_is("added\n");
    }
}

#[test]
fn corrupt_blob_or_wrong_diff_id_imports_nothing() {
    for mode in modes() {
        let Some(rootfs) = busybox(mode) else { continue };
        let (dir, root) = store(mode, "img-corrupt");
        let cases = [
            ("corrupt", Spec { corrupt_layer: true, ..Spec::default() }, "blob digest mismatch"),
            ("diffid", Spec { bad_diff_id: true, ..Spec::default() }, "uncompressed content is sha256:"),
        ];
        for (name, spec, error) in cases {
            let layout = build_layout(&dir, rootfs, name, &spec);
            cove_in(mode, &root).arg("import").arg(&layout).args(["--tag", "bad:1"]).run().cove_error(error);
            cove_in(mode, &root).args(["images", "-q"]).run().ok().stdout_is("");
            cove_in(mode, &root).args(["images", "--format", "json"]).run().ok().stdout_is("[]\n");
            cove_in(mode, &root)
                .args(["run", "--pull", "never", "bad:1", "true"])
                .run()
                .cove_error("image not found locally: bad:1");
            // No flattened rootfs, and no temp dirs left (verified lower
            // layers may stay: they are reused by the next import).
            let entries = |kind: &str| -> Vec<String> {
                std::fs::read_dir(Path::new(&root).join(kind))
                    .map(|d| d.flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect())
                    .unwrap_or_default()
            };
            assert!(entries("rootfs").is_empty(), "[{}] {name}: rootfs left: {:?}", mode.label(), entries("rootfs"));
            let temps: Vec<String> = entries("layers").into_iter().filter(|n| n.starts_with('.')).collect();
            assert!(temps.is_empty(), "[{}] {name}: temp layer dirs left: {temps:?}", mode.label());
        }
    }
}

#[test]
fn unknown_image_is_a_cove_error() {
    for mode in modes() {
        let (_dir, root) = store(mode, "img-unknown");
        let out = cove_in(mode, &root).args(["run", "--pull", "never", "nosuch:1", "true"]).run();
        out.code(125).stderr_has("image not found locally: nosuch:1 (and --pull never)");
    }
}
