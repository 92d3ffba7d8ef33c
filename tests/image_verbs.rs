//! The image verbs (issue 4) against images built here in code: shared
//! per-layer storage, `tag`, `rmi` (refused while `cove run` uses the
//! image), `image inspect`, `image prune`, `system df`, and `import` of
//! `docker save` tarballs (built here, and a real one from skopeo) and of
//! hostile or broken tarballs. Each test uses its own store (`COVE_ROOT`).

mod common;
#[path = "image_support/fixture.rs"]
mod fixture;

use common::*;
use fixture::*;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, SystemTime};

/// The busybox fixture as a layer, plus `/etc/gone`.
fn base_layer(rootfs: &Path) -> Vec<u8> {
    rootfs_layer(rootfs, |b| {
        add(b, "etc/gone", b"lower\n");
        add(b, "data/old", b"old\n");
    })
}

/// A top layer adding `/NAME`, whiting out `/etc/gone`, making `/data`
/// opaque (only `/data/NAME` is left) and adding a read-only directory.
fn top_layer(name: &str) -> Vec<u8> {
    tar_with(|b| {
        add(b, name, format!("{name}\n").as_bytes());
        add(b, "etc/.wh.gone", b"");
        add(b, "data/.wh..wh..opq", b"");
        add(b, &format!("data/{name}"), b"");
        let mut dir = header(0, 0o555);
        dir.set_entry_type(tar::EntryType::Directory);
        b.append_data(&mut dir, "ro", &[][..]).unwrap();
        add(b, "ro/file", b"");
    })
}

/// The image config for `layers`.
fn image_config(layers: &[&[u8]]) -> Vec<u8> {
    let run = json!({
        "Entrypoint": ["/bin/sh", "-c"], "Cmd": ["echo default"], "Env": ["PATH=/bin", "K=v"],
        "WorkingDir": "/", "User": "0", "ExposedPorts": { "80/tcp": {} }, "Labels": { "team": "cove" },
    });
    config(host_arch(), run, layers)
}

/// Writes an OCI layout of `layers` under `dir/name`.
fn layout(dir: &TestDir, name: &str, layers: &[&[u8]]) -> PathBuf {
    let layout = Layout::new(dir, name);
    let config = layout.blob(CONFIG, &image_config(layers));
    let layer_descs: Vec<Value> = layers.iter().map(|l| layout.blob(LAYER_TAR, l)).collect();
    let entry = layout.blob(MANIFEST, &manifest(MANIFEST, config, layer_descs));
    layout.finish(vec![entry])
}

/// A `docker save` tarball (legacy layout) of `layers`, tagged `tag`.
fn docker_save(layers: &[&[u8]], tag: &str) -> Vec<u8> {
    tar_with(|b| {
        let names: Vec<String> = (0..layers.len()).map(|i| format!("l{i}/layer.tar")).collect();
        for (name, layer) in names.iter().zip(layers) {
            add(b, name, layer);
        }
        add(b, "cfg.json", &image_config(layers));
        let manifest = json!([{ "Config": "cfg.json", "RepoTags": [tag], "Layers": names }]);
        add(b, "manifest.json", manifest.to_string().as_bytes());
    })
}

fn store(mode: Mode, tag: &str) -> (TestDir, String) {
    let dir = TestDir::new(mode, tag);
    let root = dir.mkdir("store").display().to_string();
    (dir, root)
}

fn cove_in(mode: Mode, root: &str) -> Cove {
    cove(mode).env("COVE_ROOT", root)
}

/// Complete (non-temp) entries of `store/kind`.
fn entries(root: &str, kind: &str) -> Vec<String> {
    std::fs::read_dir(Path::new(root).join(kind))
        .map(|d| d.flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect::<Vec<String>>())
        .unwrap_or_default()
        .into_iter()
        .filter(|n: &String| !n.starts_with('.'))
        .collect()
}

/// Kills a background `cove run` if the test fails before it is stopped.
struct Background(Option<Running>);

impl Drop for Background {
    fn drop(&mut self) {
        if let Some(r) = self.0.take() {
            r.signal(rustix::process::Signal::KILL);
        }
    }
}

#[test]
fn images_share_layers_and_rmi_keeps_what_others_use() {
    for mode in modes() {
        let Some(rootfs) = busybox(mode) else { continue };
        let (dir, root) = store(mode, "verbs-share");
        let base = base_layer(rootfs);
        let (a, b) = (top_layer("a"), top_layer("b"));
        for (name, top) in [("a", &a), ("b", &b)] {
            let path = layout(&dir, name, &[&base, top]);
            cove_in(mode, &root).arg("import").arg(&path).args(["--tag", &format!("{name}:1")]).run().ok();
        }
        cove_in(mode, &root).arg("info").run().ok().stdout_has("image roots:").stdout_has("per-layer dirs");
        assert_eq!(entries(&root, "layers").len(), 3, "[{}] one shared base, two tops", mode.label());
        cove_in(mode, &root)
            .args(["run", "--rm", "a:1", "cat /a; test -e /etc/gone || echo hidden"])
            .run()
            .ok()
            .stdout_is("a\nhidden\n");
        // tag adds a name; rmi of one of two names only untags.
        cove_in(mode, &root).args(["tag", "a:1", "example.com/x/a:2"]).run().ok();
        let out = cove_in(mode, &root).args(["image", "ls", "--format", "json"]).run();
        let list: Value = serde_json::from_str(&out.ok().stdout()).expect("image ls JSON");
        assert_eq!(list.as_array().map(Vec::len), Some(3), "{}: {list}", out.desc);
        cove_in(mode, &root).args(["rmi", "example.com/x/a:2"]).run().ok().stdout_is("Untagged: example.com/x/a:2\n");
        let gone = cove_in(mode, &root).args(["rmi", "a:1"]).run();
        gone.ok().stdout_has("Untagged: a:1\nDeleted: sha256:");
        assert_eq!(entries(&root, "layers").len(), 2, "[{}] the shared base stays", mode.label());
        cove_in(mode, &root).args(["run", "--rm", "b:1", "cat /b"]).run().ok().stdout_is("b\n");
        cove_in(mode, &root).args(["rmi", "a:1"]).run().code(1).stderr_has("No such image: a:1");
    }
}

#[test]
fn flattened_fallback_runs_and_is_removed() {
    for mode in modes() {
        let Some(rootfs) = busybox(mode) else { continue };
        let (dir, root) = store(mode, "verbs-flat");
        let flat = |c: Cove| c.env("COVE_STORAGE", "flat");
        let path = layout(&dir, "img", &[&base_layer(rootfs), &top_layer("f")]);
        flat(cove_in(mode, &root)).arg("import").arg(&path).args(["--tag", "flat:1"]).run().ok();
        flat(cove_in(mode, &root)).arg("info").run().ok().stdout_has("flattened copy per image");
        assert_eq!((entries(&root, "rootfs").len(), entries(&root, "layers").len()), (1, 0), "[{}]", mode.label());
        let check = "cat /f; test -e /etc/gone || echo hidden; ls /data";
        cove_in(mode, &root).args(["run", "--rm", "flat:1", check]).run().ok().stdout_is("f\nhidden\nf\n");
        let out = cove_in(mode, &root).args(["image", "inspect", "flat:1"]).run();
        out.ok().stdout_has("\"Name\": \"flattened copy\"");
        cove_in(mode, &root).args(["rmi", "flat:1"]).run().ok().stdout_has("Deleted: sha256:");
        assert!(entries(&root, "rootfs").is_empty(), "[{}] flattened tree left", mode.label());
    }
}

#[test]
fn rmi_is_refused_while_cove_run_uses_the_image() {
    for mode in modes() {
        let Some(rootfs) = busybox(mode) else { continue };
        let (dir, root) = store(mode, "verbs-inuse");
        let path = layout(&dir, "img", &[&base_layer(rootfs), &top_layer("a")]);
        cove_in(mode, &root).arg("import").arg(&path).args(["--tag", "busy:1"]).run().ok();
        let running = cove_in(mode, &root).args(["run", "--name", "busy", "busy:1", "echo started; sleep 30"]).spawn();
        running.expect_stdout("started");
        let mut bg = Background(Some(running));
        cove_in(mode, &root).args(["rmi", "busy:1"]).run().code(1).stderr_has("in use by a running container");
        cove_in(mode, &root).args(["rmi", "-f", "busy:1"]).run().ok().stdout_is("Untagged: busy:1\n");
        cove_in(mode, &root).arg("images").run().ok().stdout_has("<none>");
        cove_in(mode, &root).args(["image", "prune", "-f"]).run().ok().stdout_is("Total reclaimed space: 0B\n");
        assert_eq!(entries(&root, "layers").len(), 2, "[{}] layers of a running image stay", mode.label());
        let df = cove_in(mode, &root).args(["system", "df", "--format", "json"]).run();
        let images: Value = serde_json::from_str(df.ok().lines()[0].as_str()).expect("df JSON line");
        assert_eq!((images["Type"].as_str(), images["Active"].as_str()), (Some("Images"), Some("1")), "{images}");
        let running = bg.0.take().unwrap();
        running.signal(rustix::process::Signal::KILL);
        running.wait();
        // The killed run's container stays (exited), keeping its image, as
        // Docker's does, until it is removed.
        cove_in(mode, &root).args(["image", "prune", "-f"]).run().ok().stdout_is("Total reclaimed space: 0B\n");
        cove_in(mode, &root).args(["rm", "-f", "busy"]).run().ok();
        cove_in(mode, &root).args(["image", "prune", "-f"]).run().ok().stdout_has("Deleted: sha256:");
        assert!(entries(&root, "layers").is_empty(), "[{}] layers left after prune", mode.label());
        cove_in(mode, &root).args(["images", "-q"]).run().ok().stdout_is("");
    }
}

#[test]
fn stored_containers_keep_their_image_and_inspect_finds_images() {
    for mode in modes() {
        let Some(rootfs) = busybox(mode) else { continue };
        let (dir, root) = store(mode, "verbs-stored");
        let c = |args: &[&str]| cove_in(mode, &root).args(args).run();
        let path = layout(&dir, "img", &[&base_layer(rootfs), &top_layer("s")]);
        cove_in(mode, &root).arg("import").arg(&path).args(["--tag", "kept:1"]).run().ok();
        let created = c(&["create", "--name", "user", "kept:1", "cat /s"]);
        let short = created.ok().stdout().trim().get(..12).unwrap_or_default().to_owned();
        let conflict = format!("(must force) - container {short} is using its referenced image ");
        c(&["rmi", "kept:1"])
            .code(1)
            .stderr_has("unable to remove repository reference \"kept:1\"")
            .stderr_has(&conflict);
        c(&["image", "rm", "kept:1"]).code(1).stderr_has(&conflict);
        c(&["image", "prune", "-a", "-f"]).ok().stdout_is("Total reclaimed space: 0B\n");
        let df = c(&["system", "df", "--format", "json"]);
        let rows: Vec<Value> = df.ok().lines().iter().map(|l| serde_json::from_str(l).expect("df JSON")).collect();
        assert_eq!(
            (rows[1]["Type"].as_str(), rows[1]["TotalCount"].as_str()),
            (Some("Containers"), Some("1")),
            "{rows:?}"
        );
        // inspect: a container first, else an image; --type picks one.
        let image: Value = serde_json::from_str(&c(&["inspect", "kept:1"]).ok().stdout()).expect("inspect JSON");
        assert_eq!(image[0]["RepoTags"], json!(["kept:1"]), "{image}");
        c(&["inspect", "--type", "image", "-f", "{{.Config.WorkingDir}}", "kept:1"]).ok().stdout_is("/\n");
        c(&["inspect", "-f", "{{.Name}}", "user"]).ok().stdout_is("/user\n");
        c(&["inspect", "--type", "container", "kept:1"]).code(1).stderr_has("No such container: kept:1");
        c(&["inspect", "--type", "image", "user"]).code(1).stderr_has("No such image: user");
        c(&["inspect", "nothing-here"]).code(1).stderr_has("No such object: nothing-here");
        // -f untags; the image stays (dangling) for the container.
        c(&["rmi", "-f", "kept:1"]).ok().stdout_is("Untagged: kept:1\n");
        c(&["start", "user"]).ok();
        c(&["wait", "user"]).ok().stdout_is("0\n");
        c(&["logs", "user"]).ok().stdout_is("s\n");
        c(&["rm", "user"]).ok();
        c(&["image", "prune", "-f"]).ok().stdout_has("Deleted: sha256:");
        assert!(entries(&root, "layers").is_empty(), "[{}] layers left after prune", mode.label());
    }
}

/// Waits (at most 15 s) for the one import temp dir of `pid` under `store/tmp`.
fn import_temp(root: &str, pid: i32) -> PathBuf {
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    loop {
        let found = std::fs::read_dir(Path::new(root).join("tmp"))
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .find(|p| p.to_string_lossy().ends_with(&format!("-{pid}")));
        if let Some(p) = found {
            return p;
        }
        assert!(std::time::Instant::now() < deadline, "no import temp dir of pid {pid} appeared");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn prune_removes_a_killed_imports_temps_but_not_a_live_ones() {
    for mode in modes() {
        let (dir, root) = store(mode, "verbs-temps");
        // Imports from fifos block after making their temp dir, until a writer comes.
        let fifo = |name: &str| {
            let p = dir.join(name);
            assert!(Command::new("mkfifo").arg(&p).status().unwrap().success(), "mkfifo");
            dir.own(&p);
            p
        };
        let (f1, f2) = (fifo("killed.tar"), fifo("live.tar"));
        let killed = Background(Some(cove_in(mode, &root).arg("import").arg(&f1).spawn()));
        let live = Background(Some(cove_in(mode, &root).arg("import").arg(&f2).spawn()));
        let killed_temp = import_temp(&root, killed.0.as_ref().unwrap().pid());
        let live_temp = import_temp(&root, live.0.as_ref().unwrap().pid());
        drop(killed);
        // Both look old; only the killed one's process is gone.
        let old = SystemTime::now() - Duration::from_secs(3600);
        for p in [&killed_temp, &live_temp] {
            std::fs::File::open(p).unwrap().set_modified(old).unwrap();
        }
        let dead_layer = dir.mkdir("store/layers/.tmp-0123-999999999");
        dir.write("store/layers/.tmp-0123-999999999/file", "partial");
        std::fs::File::open(&dead_layer).unwrap().set_modified(old).unwrap();
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while killed_temp.exists() && std::time::Instant::now() < deadline {
            cove_in(mode, &root).args(["image", "prune", "-f"]).run().ok().stdout_has("Total reclaimed space:");
            std::thread::sleep(Duration::from_millis(50));
        }
        assert!(!killed_temp.exists() && !dead_layer.exists(), "[{}] a killed import's temps left", mode.label());
        assert!(live_temp.exists(), "[{}] a live import's temp was removed", mode.label());
        drop(live);
    }
}

#[test]
fn inspect_prints_docker_fields() {
    for mode in modes() {
        let Some(rootfs) = busybox(mode) else { continue };
        let (dir, root) = store(mode, "verbs-inspect");
        let path = layout(&dir, "img", &[&base_layer(rootfs), &top_layer("a")]);
        cove_in(mode, &root).arg("import").arg(&path).args(["--tag", "insp:1"]).run().ok();
        let out = cove_in(mode, &root).args(["image", "inspect", "insp:1"]).run();
        let v: Value = serde_json::from_str(&out.ok().stdout()).expect("inspect JSON");
        let i = &v[0];
        assert!(i["Id"].as_str().unwrap().starts_with("sha256:"), "{v}");
        assert_eq!(i["RepoTags"], json!(["insp:1"]));
        assert!(i["RepoDigests"][0].as_str().unwrap().starts_with("docker.io/library/insp@sha256:"), "{v}");
        assert_eq!((i["Created"].as_str(), i["Os"].as_str()), (Some("2024-05-01T12:00:00Z"), Some("linux")));
        assert_eq!(i["Architecture"], host_arch());
        let c = &i["Config"];
        assert_eq!((c["Env"].clone(), c["Cmd"].clone()), (json!(["PATH=/bin", "K=v"]), json!(["echo default"])));
        assert_eq!(c["Entrypoint"], json!(["/bin/sh", "-c"]));
        assert_eq!((c["WorkingDir"].as_str(), c["User"].as_str()), (Some("/"), Some("0")));
        assert_eq!((c["ExposedPorts"].clone(), c["Labels"].clone()), (json!({"80/tcp": {}}), json!({"team": "cove"})));
        assert_eq!(i["RootFS"]["Type"], "layers");
        assert_eq!(i["RootFS"]["Layers"].as_array().map(Vec::len), Some(2));
        assert!(i["Size"].as_u64().unwrap() > 100_000, "{v}");
        let missing = cove_in(mode, &root).args(["image", "inspect", "insp:1", "nope"]).run();
        missing.code(1).stderr_has("No such image: nope");
    }
}

#[test]
fn docker_save_tarballs_import_and_run() {
    for mode in modes() {
        let Some(rootfs) = busybox(mode) else { continue };
        let (dir, root) = store(mode, "verbs-save");
        let (base, top) = (base_layer(rootfs), top_layer("saved"));
        let legacy = dir.write("legacy.tar", docker_save(&[&base, &top], "saved:1"));
        cove_in(mode, &root).arg("import").arg(&legacy).run().ok().stdout_has("saved:1 sha256:");
        cove_in(mode, &root).args(["run", "saved:1", "cat /saved"]).run().ok().stdout_is("saved\n");
        // Docker 25+: an OCI layout inside the tar, plus manifest.json naming its blobs.
        let oci = layout(&dir, "oci", &[&base, &top_layer("new")]);
        let blobs: Vec<String> = std::fs::read_dir(oci.join("blobs/sha256"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        let cfg = sha(&image_config(&[&base, &top_layer("new")]))[7..].to_owned();
        let layer_paths = [&base, &top_layer("new")].map(|l| format!("blobs/sha256/{}", &sha(l)[7..]));
        let docker25 = tar_with(|b| {
            b.append_dir_all(".", &oci).unwrap();
            let m = json!([{ "Config": format!("blobs/sha256/{cfg}"), "RepoTags": ["new:25"], "Layers": layer_paths }]);
            add(b, "manifest.json", m.to_string().as_bytes());
        });
        assert!(blobs.contains(&cfg));
        let docker25 = dir.write("docker25.tar", docker25);
        cove_in(mode, &root).arg("import").arg(&docker25).run().ok().stdout_has("new:25 sha256:");
        cove_in(mode, &root).args(["run", "new:25", "cat /new"]).run().ok().stdout_is("new\n");
        // An OCI layout tarball (no manifest.json) takes --tag.
        let oci_tar = dir.write("oci.tar", tar_with(|b| b.append_dir_all(".", &oci).unwrap()));
        cove_in(mode, &root).arg("import").arg(&oci_tar).args(["-t", "ocitar:1"]).run().ok();
        cove_in(mode, &root).args(["run", "ocitar:1", "cat /new"]).run().ok().stdout_is("new\n");
        assert_eq!(entries(&root, "layers").len(), 3, "[{}] the base is shared by all", mode.label());
        assert!(std::fs::read_dir(Path::new(&root).join("tmp")).unwrap().next().is_none(), "import temps left");
    }
}

#[test]
fn skopeo_docker_archive_imports_and_runs() {
    let Some(mode) = modes().into_iter().next() else { return };
    let Some(rootfs) = busybox(mode) else { return };
    if Command::new("skopeo").arg("--version").output().is_err() {
        skip("skopeo_docker_archive_imports_and_runs", "skopeo is not installed (Debian package skopeo)");
        return;
    }
    let (dir, root) = store(mode, "verbs-skopeo");
    let oci = layout(&dir, "oci", &[&base_layer(rootfs), &top_layer("sk")]);
    let archive = dir.join("skopeo.tar");
    let status = Command::new("timeout")
        .args(["-s", "KILL", "60", "skopeo", "copy", "--insecure-policy"])
        .arg(format!("oci:{}", oci.display()))
        .arg(format!("docker-archive:{}:sk/opeo:1", archive.display()))
        .output()
        .expect("run skopeo");
    assert!(status.status.success(), "skopeo copy failed: {}", String::from_utf8_lossy(&status.stderr));
    dir.own(&archive);
    cove_in(mode, &root).arg("import").arg(&archive).run().ok().stdout_has("sk/opeo:1 sha256:");
    cove_in(mode, &root).args(["run", "sk/opeo:1", "cat /sk"]).run().ok().stdout_is("sk\n");
}

#[test]
fn corrupt_or_hostile_tarballs_import_nothing() {
    for mode in modes() {
        let Some(rootfs) = busybox(mode) else { continue };
        let (dir, root) = store(mode, "verbs-bad");
        let (base, top) = (base_layer(rootfs), top_layer("x"));
        let mut truncated = docker_save(&[&base, &top], "bad:1");
        truncated.truncate(truncated.len() / 2);
        let mut flipped = docker_save(&[&base, &top], "bad:1");
        let at = flipped.len() / 3;
        flipped[at] ^= 0x55;
        let mut hostile = header(2, 0o644);
        hostile.as_gnu_mut().unwrap().name[..15].copy_from_slice(b"../../escape.tx");
        hostile.set_cksum();
        let escaping = tar_with(|b| b.append(&hostile, &b"x\n"[..]).unwrap());
        let outside = tar_with(|b| {
            add(b, "cfg.json", &image_config(&[&base]));
            add(b, "manifest.json", br#"[{"Config":"cfg.json","RepoTags":["bad:1"],"Layers":["/etc/passwd"]}]"#);
        });
        let cases = [
            ("truncated", truncated, "read image archive"),
            ("flipped", flipped, "import"),
            ("escaping", escaping, "`..` component"),
            ("outside", outside, "outside the archive"),
            ("empty", Vec::new(), "neither manifest.json"),
        ];
        for (name, bytes, error) in cases {
            let path = dir.write(&format!("{name}.tar"), bytes);
            cove_in(mode, &root).arg("import").arg(&path).run().cove_error(error);
            cove_in(mode, &root).args(["images", "-q"]).run().ok().stdout_is("");
            let tmp: Vec<_> = std::fs::read_dir(Path::new(&root).join("tmp")).map(|d| d.count()).into_iter().collect();
            assert!(tmp.iter().all(|n| *n == 0), "[{}] {name}: import temps left", mode.label());
        }
        assert!(!dir.path().parent().unwrap().join("escape.tx").exists());
    }
}
