//! Image file owners through the user-id mapping (issue 4, item 4): with
//! subordinate ranges, a rootless store unpacks in the containers' user
//! namespace, so an image's uid N is uid N inside every container, setgid
//! and sticky bits survive, `-u 1000` can write its own dir, removal
//! leaves nothing behind, and hostile layers stay contained there too.
//! Runs as root and as `covetest` (which has ranges; `COVE_SUBIDS=off`
//! checks the caller-owned fallback).

mod common;
#[path = "image_support/fixture.rs"]
mod fixture;

use common::*;
use fixture::*;
use serde_json::json;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// A directory entry owned by `uid:gid` with `mode`.
fn dir(b: &mut tar::Builder<Vec<u8>>, path: &str, uid: u64, gid: u64, mode: u32) {
    let mut h = header(0, mode);
    h.set_entry_type(tar::EntryType::Directory);
    h.set_uid(uid);
    h.set_gid(gid);
    b.append_data(&mut h, path, &[][..]).unwrap();
}

/// A file entry owned by `uid:gid` with `mode`.
fn file(b: &mut tar::Builder<Vec<u8>>, path: &str, uid: u64, gid: u64, mode: u32, data: &[u8]) {
    let mut h = header(data.len() as u64, mode);
    h.set_uid(uid);
    h.set_gid(gid);
    b.append_data(&mut h, path, data).unwrap();
}

/// An entry whose name and link target are written byte for byte (the tar
/// crate refuses `..` in names it sets).
fn raw(b: &mut tar::Builder<Vec<u8>>, name: &str, kind: tar::EntryType, link: &str, data: &[u8]) {
    let mut h = header(data.len() as u64, 0o644);
    h.set_entry_type(kind);
    let old = h.as_old_mut();
    old.name = [0; 100];
    old.name[..name.len()].copy_from_slice(name.as_bytes());
    old.linkname[..link.len()].copy_from_slice(link.as_bytes());
    h.set_cksum();
    b.append(&h, data).unwrap();
}

/// Imports an image: layer 1 the busybox fixture plus owned dirs, layer 2
/// (gzip) a file owned by 101 inside the 101-owned dir of layer 1.
fn import_owned(mode: Mode, dir_: &TestDir, store: &Path) -> Out {
    let rootfs = busybox(mode).expect("busybox fixture");
    let layer1 = rootfs_layer(rootfs, |b| {
        dir(b, "home/u1000", 1000, 1000, 0o755);
        file(b, "home/u1000/f", 1000, 1000, 0o644, b"mine\n");
        dir(b, "srv/www", 101, 101, 0o750);
        file(b, "srv/www/index", 101, 101, 0o640, b"www\n");
        dir(b, "srv/shared", 0, 101, 0o2775);
        dir(b, "srv/sticky", 0, 0, 0o1777);
        dir(b, "rootonly", 0, 0, 0o700);
        file(b, "rootonly/secret", 0, 0, 0o600, b"s\n");
    });
    // As real builders do, the layer repeats the parents of what it adds.
    let layer2 = tar_with(|b| {
        dir(b, "srv", 0, 0, 0o755);
        dir(b, "srv/www", 101, 101, 0o750);
        file(b, "srv/www/second", 101, 101, 0o600, b"2\n");
    });
    let layout = Layout::new(dir_, "owned");
    let cfg = config(host_arch(), json!({ "Env": ["PATH=/bin"] }), &[&layer1, &layer2]);
    let m = manifest(
        MANIFEST,
        layout.blob(CONFIG, &cfg),
        vec![layout.blob(LAYER_TAR, &layer1), layout.blob(LAYER_GZIP, &gzip(&layer2))],
    );
    let entry = layout.blob(MANIFEST, &m);
    let path = layout.finish(vec![entry]);
    cove(mode).env("COVE_ROOT", store.to_str().unwrap()).arg("import").arg(path).args(["--tag", "owned"]).run()
}

const STAT: &str = "stat -c '%u:%g %a %n' /home/u1000 /home/u1000/f /srv/www /srv/www/index /srv/www/second \
                    /srv/shared /srv/sticky /rootonly /rootonly/secret";

const EXPECTED: &str = "1000:1000 755 /home/u1000\n1000:1000 644 /home/u1000/f\n101:101 750 /srv/www\n\
                        101:101 640 /srv/www/index\n101:101 600 /srv/www/second\n0:101 2775 /srv/shared\n\
                        0:0 1777 /srv/sticky\n0:0 700 /rootonly\n0:0 600 /rootonly/secret\n";

/// Whether covetest has subordinate ranges and the setuid helpers.
fn rootless_has_ranges() -> bool {
    let subuid = std::fs::read_to_string("/etc/subuid").unwrap_or_default();
    let listed = subuid.lines().any(|l| l.starts_with(&format!("{TEST_USER}:")));
    let helper = |h: &str| {
        ["/usr/bin", "/bin", "/usr/sbin"]
            .iter()
            .any(|d| std::fs::metadata(Path::new(d).join(h)).is_ok_and(|m| m.mode() & 0o4000 != 0))
    };
    listed && helper("newuidmap") && helper("newgidmap")
}

/// The first id of covetest's first range in `file` (`/etc/subuid`).
fn first_subid(file: &str) -> u32 {
    let text = std::fs::read_to_string(file).unwrap();
    let line = text.lines().find(|l| l.starts_with(&format!("{TEST_USER}:"))).expect("covetest range");
    line.split(':').nth(1).unwrap().parse().unwrap()
}

/// Every file under the store's layer, rootfs and copy dirs (empty when
/// everything was removed).
fn leftovers(store: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for kind in ["layers", "rootfs", "copies", "tmp"] {
        if let Ok(entries) = std::fs::read_dir(store.join(kind)) {
            found.extend(entries.flatten().map(|e| e.path()).filter(|p| !p.ends_with("layers/.tmp-probe.lock")));
        }
    }
    found
}

#[test]
fn image_owners_are_kept_through_the_id_map() {
    for mode in modes() {
        if mode == Mode::Rootless && !rootless_has_ranges() {
            skip("image_owners_are_kept_through_the_id_map (rootless)", "covetest has no subordinate ranges");
            continue;
        }
        if busybox(mode).is_none() {
            return;
        }
        let dir = TestDir::new(mode, "owners");
        let store = dir.join("store");
        import_owned(mode, &dir, &store).ok();
        let run = |flags: &[&str], script: &str| {
            cove(mode)
                .env("COVE_ROOT", store.to_str().unwrap())
                .args(["run", "--rm", "--network", "none"])
                .args(flags)
                .args(["owned", "sh", "-c", script])
                .run()
        };
        run(&[], STAT).ok().stdout_is(EXPECTED);
        // On the host, rootless: image uid 101 is the range's 101st id.
        if mode == Mode::Rootless {
            let www = find_in(&store.join("layers"), "srv/www/index").expect("layer file on the host");
            let meta = std::fs::metadata(&www).unwrap();
            let want = (first_subid("/etc/subuid") + 100, first_subid("/etc/subgid") + 100);
            assert_eq!((meta.uid(), meta.gid()), want, "{} on the host", www.display());
        }
        run(&["-u", "1000"], "echo hi > /home/u1000/new && cat /home/u1000/new").ok().stdout_is("hi\n");
        run(&["-u", "1000"], "cat /rootonly/secret").failed();
        run(&[], "touch /srv/shared/x && stat -c %g /srv/shared/x").ok().stdout_is("101\n");
        // The copy fallback keeps the owners as well.
        let copy = cove(mode)
            .env("COVE_ROOT", store.to_str().unwrap())
            .env("COVE_IMAGE_ROOT", "copy")
            .args(["run", "--rm", "--network", "none", "owned", "sh", "-c", STAT])
            .run();
        copy.ok().stdout_is(EXPECTED);
        // A named volume's first contents keep their owners too, and the
        // volume goes with everything its user wrote.
        let vol = "-v=ownedvol:/home/u1000";
        run(&[vol], "stat -c '%u:%g %a' /home/u1000 /home/u1000/f").ok().stdout_is("1000:1000 755\n1000:1000 644\n");
        run(&[vol, "-u", "1000"], "mkdir -m 700 /home/u1000/p && echo x > /home/u1000/p/q").ok();
        let c = |args: &[&str]| cove(mode).env("COVE_ROOT", store.to_str().unwrap()).args(args).run();
        c(&["volume", "rm", "ownedvol"]).ok();
        let vols: Vec<_> = std::fs::read_dir(store.join("volumes")).unwrap().flatten().map(|e| e.path()).collect();
        assert!(vols.is_empty(), "[{}] volumes left: {vols:?}", mode.label());
        c(&["rmi", "owned"]).ok();
        c(&["image", "prune", "-a", "-f"]).ok();
        assert_eq!(leftovers(&store), Vec::<PathBuf>::new(), "[{}] the store after rmi and prune", mode.label());
    }
}

/// Without ranges (`COVE_SUBIDS=off`) files belong to the caller, as
/// `cove info` says.
#[test]
fn without_ranges_files_belong_to_the_caller() {
    let Some(mode) = modes().into_iter().find(|m| *m == Mode::Rootless) else { return };
    if busybox(mode).is_none() {
        return;
    }
    let dir = TestDir::new(mode, "owners-off");
    let store = dir.join("store");
    let rootfs = busybox(mode).unwrap();
    let layer = rootfs_layer(rootfs, |b| file(b, "srv/f", 101, 101, 0o644, b"f\n"));
    let layout = Layout::new(&dir, "plain");
    let cfg = config(host_arch(), json!({ "Env": ["PATH=/bin"] }), &[&layer]);
    let m = manifest(MANIFEST, layout.blob(CONFIG, &cfg), vec![layout.blob(LAYER_TAR, &layer)]);
    let entry = layout.blob(MANIFEST, &m);
    let path = layout.finish(vec![entry]);
    let c = || cove(mode).env("COVE_ROOT", store.to_str().unwrap()).env("COVE_SUBIDS", "off");
    c().arg("import").arg(path).args(["--tag", "plain"]).run().ok();
    let f = find_in(&store.join("layers"), "srv/f").or_else(|| find_in(&store.join("rootfs"), "srv/f")).unwrap();
    assert_eq!(std::fs::metadata(&f).unwrap().uid(), mode.host_ids().0, "{}", f.display());
    c().args(["info"]).run().ok().stdout_has("owned by the caller");
}

/// Hostile layer entries unpacked by the helper: refused, nothing written
/// outside the store.
#[test]
fn hostile_layers_stay_contained_in_the_helper() {
    let Some(mode) = modes().into_iter().find(|m| *m == Mode::Rootless) else { return };
    if !rootless_has_ranges() || busybox(mode).is_none() {
        skip("hostile_layers_stay_contained_in_the_helper", "no rootless mode with subordinate ranges");
        return;
    }
    let dir = TestDir::new(mode, "owners-evil");
    let outside = dir.mkdir("outside");
    let target = outside.to_str().unwrap().to_owned();
    let store = dir.join("store");
    type Build = Box<dyn Fn(&mut tar::Builder<Vec<u8>>)>;
    let t = target.clone();
    let cases: Vec<(&str, Build)> = vec![
        ("dotdot", Box::new(|b| raw(b, "../../escaped", tar::EntryType::Regular, "", b"x"))),
        ("absolute", Box::new(move |b| raw(b, &format!("{t}/abs"), tar::EntryType::Regular, "", b"x"))),
        (
            "symlink-parent",
            Box::new(move |b| {
                raw(b, "link", tar::EntryType::Symlink, &target, b"");
                file(b, "link/pwned", 101, 101, 0o644, b"x");
            }),
        ),
        ("hardlink-out", Box::new(|b| raw(b, "shadow", tar::EntryType::Link, "../../../../etc/shadow", b""))),
    ];
    for (name, build) in cases {
        let layer = tar_with(|b| build(b));
        let layout = Layout::new(&dir, name);
        let cfg = config(host_arch(), json!({}), &[&layer]);
        let m = manifest(MANIFEST, layout.blob(CONFIG, &cfg), vec![layout.blob(LAYER_TAR, &layer)]);
        let entry = layout.blob(MANIFEST, &m);
        let path = layout.finish(vec![entry]);
        let out =
            cove(mode).env("COVE_ROOT", store.to_str().unwrap()).arg("import").arg(path).args(["--tag", name]).run();
        out.code(125);
        let written: Vec<_> = std::fs::read_dir(&outside).unwrap().flatten().map(|e| e.path()).collect();
        assert!(written.is_empty(), "{name}: written outside the store: {written:?}");
        assert!(!dir.path().parent().unwrap().join("escaped").exists(), "{name}: ../ escaped");
    }
    assert!(leftovers(&store).iter().all(|p| p.ends_with(".lock") || p.file_name().is_some_and(|n| n == "probe")));
}

/// The first path under `base/*/` that ends with `rel`.
fn find_in(base: &Path, rel: &str) -> Option<PathBuf> {
    std::fs::read_dir(base).ok()?.flatten().map(|e| e.path().join(rel)).find(|p| p.symlink_metadata().is_ok())
}

/// The copy fallback (`COVE_IMAGE_ROOT=copy`) for stored containers: the
/// container's own copy under `copies/<id>` keeps the owners, survives a
/// restart (writes persist, as in Docker) and goes with `rm` and with
/// `run -d --rm`.
#[test]
fn copy_fallback_serves_stored_containers() {
    for mode in modes() {
        if mode == Mode::Rootless && !rootless_has_ranges() {
            skip("copy_fallback_serves_stored_containers (rootless)", "covetest has no subordinate ranges");
            continue;
        }
        if busybox(mode).is_none() {
            return;
        }
        let dir = TestDir::new(mode, "owners-copy");
        let store = dir.join("store");
        import_owned(mode, &dir, &store).ok();
        let c = |args: &[&str]| {
            cove(mode)
                .env("COVE_ROOT", store.to_str().unwrap())
                .env("COVE_IMAGE_ROOT", "copy")
                .args(args)
                .timeout(std::time::Duration::from_secs(60))
                .run()
        };
        let script = "stat -c '%u:%g' /srv/www/index; echo x >> /srv/www/log; wc -l < /srv/www/log";
        c(&["create", "--name", "kept", "--network", "none", "owned", "sh", "-c", script]).ok();
        c(&["start", "-a", "kept"]).ok().stdout_is("101:101\n1\n");
        c(&["start", "-a", "kept"]).ok().stdout_is("101:101\n2\n");
        let id = c(&["inspect", "-f", "{{.Id}}", "kept"]).ok().stdout().trim().to_owned();
        assert!(store.join("copies").join(&id).is_dir(), "[{}] copies/{id} while the container exists", mode.label());
        c(&["rm", "kept"]).ok();
        c(&["run", "-d", "--rm", "--network", "none", "owned", "true"]).ok();
        let end = std::time::Instant::now() + std::time::Duration::from_secs(20);
        while !c(&["ps", "-aq"]).stdout().trim().is_empty() && std::time::Instant::now() < end {
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        let copies: Vec<_> = std::fs::read_dir(store.join("copies")).unwrap().flatten().map(|e| e.path()).collect();
        assert!(copies.iter().all(|p| p.extension().is_some_and(|e| e == "lock")), "[{}] {copies:?}", mode.label());
    }
}

/// A `security.capability` xattr (CAP_SYS_ADMIN, effective) on an image
/// file with normal owners is unpacked (through the helper when rootless)
/// and grants nothing: the capability is outside the containers' bounding
/// set, so the kernel refuses the exec (or, were it allowed, `CapEff`
/// would be 0).
#[test]
fn file_capabilities_in_a_layer_grant_nothing() {
    for mode in modes() {
        let Some(rootfs) = busybox(mode) else { return };
        let dir = TestDir::new(mode, "owners-cap");
        let store = dir.join("store");
        let busybox_bin = std::fs::read(rootfs.join("bin/busybox")).unwrap();
        let layer = rootfs_layer(rootfs, |b| {
            let cap: Vec<u8> = [1, 0, 0, 2, 0, 0, 0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0].to_vec();
            let pax: Vec<(&str, &[u8])> = vec![("SCHILY.xattr.security.capability", &cap)];
            b.append_pax_extensions(pax).unwrap();
            file(b, "opt/sh", 0, 0, 0o755, &busybox_bin);
        });
        let layout = Layout::new(&dir, "cap");
        let cfg = config(host_arch(), json!({ "Env": ["PATH=/bin"] }), &[&layer]);
        let m = manifest(MANIFEST, layout.blob(CONFIG, &cfg), vec![layout.blob(LAYER_TAR, &layer)]);
        let entry = layout.blob(MANIFEST, &m);
        let path = layout.finish(vec![entry]);
        let c = || cove(mode).env("COVE_ROOT", store.to_str().unwrap());
        c().arg("import").arg(path).args(["--tag", "cap"]).run().ok();
        let script = "grep CapEff /proc/self/status";
        let out = c().args(["run", "--rm", "--network", "none", "-u", "1000", "cap", "/opt/sh", "-c", script]).run();
        // The capability is outside the bounding set: the kernel refuses
        // the exec (EPERM, 126) rather than run the file without it.
        match out.code {
            Some(126) => drop(out.stderr_has("Operation not permitted")),
            _ => drop(out.ok().stdout_is("CapEff:\t0000000000000000\n")),
        }
        // The file is there and runs without the capability xattr's effect
        // through a shell that is not it.
        c().args(["run", "--rm", "--network", "none", "cap", "sh", "-c", "test -x /opt/sh"]).run().ok();
    }
}
