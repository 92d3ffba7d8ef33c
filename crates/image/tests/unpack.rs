//! Well-formed layers: content, metadata, whiteouts, compression.

mod common;

use std::fs;
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use common::{Layer, Sandbox};
use cove_image::unpack::{UnpackOptions, Whiteout, WhiteoutMode, unpack_layer};
use tar::{EntryType, Header};

fn unpack(sandbox: &Sandbox, bytes: &[u8], whiteouts: WhiteoutMode) -> cove_image::unpack::UnpackReport {
    let options = UnpackOptions { apply_ownership: false, whiteouts };
    unpack_layer(bytes, &sandbox.root(), &options).unwrap()
}

fn base_layer() -> Layer {
    let mut l = Layer::new();
    l.dir("a/").file("a/file1", b"1").file("a/file2", b"2").dir("b/").file("b/x", b"x");
    l.dir("c/").dir("c/d/").file("c/d/e", b"e").file("c/keep-me-not", b"k");
    l
}

#[test]
fn plain_gzip_and_zstd_layers_unpack_the_same() {
    for bytes in [base_layer().tar(), base_layer().gzip(), base_layer().zstd()] {
        let sandbox = Sandbox::new();
        let report = unpack(&sandbox, &bytes, WhiteoutMode::Apply);
        assert_eq!(report.entries, 9);
        assert_eq!(fs::read(sandbox.root().join("c/d/e")).unwrap(), b"e");
        assert_eq!(fs::read(sandbox.root().join("a/file2")).unwrap(), b"2");
    }
}

#[test]
fn missing_parents_are_created() {
    let sandbox = Sandbox::new();
    unpack(&sandbox, &Layer::new().file("./deep/er/file", b"d").tar(), WhiteoutMode::Apply);
    assert_eq!(fs::read(sandbox.root().join("deep/er/file")).unwrap(), b"d");
}

#[test]
fn whiteouts_apply_to_lower_content_only() {
    let sandbox = Sandbox::new();
    unpack(&sandbox, &base_layer().tar(), WhiteoutMode::Apply);
    // The opaque marker comes after c/new on purpose: entries of the same
    // layer survive whatever the order.
    let upper = Layer::new()
        .file("a/.wh.file1", b"")
        .file(".wh.b", b"")
        .file("c/new", b"n")
        .file("c/.wh..wh..opq", b"")
        .file("a/.wh.never-existed", b"")
        .tar();
    let report = unpack(&sandbox, &upper, WhiteoutMode::Apply);
    let root = sandbox.root();
    assert!(!root.join("a/file1").exists());
    assert!(root.join("a/file2").exists());
    assert!(!root.join("b").exists());
    assert!(!root.join("c/d").exists());
    assert!(!root.join("c/keep-me-not").exists());
    assert_eq!(fs::read(root.join("c/new")).unwrap(), b"n");
    assert!(!root.join("a/.wh.file1").exists() && !root.join("c/.wh..wh..opq").exists());
    assert_eq!(
        report.whiteouts,
        vec![
            Whiteout::Remove(PathBuf::from("a/file1")),
            Whiteout::Remove(PathBuf::from("b")),
            Whiteout::Opaque(PathBuf::from("c")),
            Whiteout::Remove(PathBuf::from("a/never-existed")),
        ]
    );
}

#[test]
fn opaque_keeps_this_layers_subdirectories_but_clears_lower_content_inside() {
    let sandbox = Sandbox::new();
    unpack(&sandbox, &base_layer().tar(), WhiteoutMode::Apply);
    let upper = Layer::new().dir("c/").dir("c/d/").file("c/d/mine", b"m").file("c/.wh..wh..opq", b"").tar();
    unpack(&sandbox, &upper, WhiteoutMode::Apply);
    let root = sandbox.root();
    assert!(root.join("c/d/mine").exists());
    assert!(!root.join("c/d/e").exists());
    assert!(!root.join("c/keep-me-not").exists());
}

#[test]
fn record_mode_deletes_nothing_and_lists_whiteouts() {
    let sandbox = Sandbox::new();
    unpack(&sandbox, &base_layer().tar(), WhiteoutMode::Apply);
    let upper = Layer::new().file("a/.wh.file1", b"").file("c/.wh..wh..opq", b"").tar();
    let report = unpack(&sandbox, &upper, WhiteoutMode::Record);
    assert!(sandbox.root().join("a/file1").exists());
    assert!(sandbox.root().join("c/d/e").exists());
    assert!(!sandbox.root().join("a/.wh.file1").exists());
    assert_eq!(report.whiteouts, vec![Whiteout::Remove("a/file1".into()), Whiteout::Opaque("c".into())]);
}

#[test]
fn later_entries_replace_earlier_ones() {
    let sandbox = Sandbox::new();
    let bytes =
        Layer::new().dir("x/").file("x/inner", b"i").file("x", b"now a file").file("y", b"old").file("y", b"new").tar();
    unpack(&sandbox, &bytes, WhiteoutMode::Apply);
    assert_eq!(fs::read(sandbox.root().join("x")).unwrap(), b"now a file");
    assert_eq!(fs::read(sandbox.root().join("y")).unwrap(), b"new");
}

#[test]
fn hardlinks_inside_the_root_share_content() {
    let sandbox = Sandbox::new();
    let bytes = Layer::new()
        .file("bin/busybox", b"elf")
        .hardlink("bin/sh", "bin/busybox")
        .hardlink("sh2", "./bin/busybox")
        .tar();
    let report = unpack(&sandbox, &bytes, WhiteoutMode::Apply);
    assert_eq!(report.entries, 3);
    assert_eq!(fs::read(sandbox.root().join("bin/sh")).unwrap(), b"elf");
    assert_eq!(fs::read(sandbox.root().join("sh2")).unwrap(), b"elf");
}

#[test]
fn mtimes_are_kept() {
    let sandbox = Sandbox::new();
    let bytes = Layer::new().dir("d/").file("d/f", b"x").tar();
    unpack(&sandbox, &bytes, WhiteoutMode::Apply);
    let want = SystemTime::UNIX_EPOCH + Duration::from_secs(1_600_000_000);
    assert_eq!(fs::metadata(sandbox.root().join("d/f")).unwrap().modified().unwrap(), want);
    #[cfg(unix)]
    assert_eq!(fs::metadata(sandbox.root().join("d")).unwrap().modified().unwrap(), want);
}

#[cfg(unix)]
#[test]
fn modes_and_setuid_bits_are_kept() {
    use std::os::unix::fs::PermissionsExt;
    let sandbox = Sandbox::new();
    let bytes = Layer::new()
        .raw("bin/", EntryType::Directory, None, 0o750, b"")
        .raw("bin/su", EntryType::Regular, None, 0o4755, b"su")
        .raw("bin/wall", EntryType::Regular, None, 0o2711, b"w")
        .raw("tmp/", EntryType::Directory, None, 0o1777, b"")
        .raw("ro", EntryType::Regular, None, 0o444, b"r")
        .tar();
    unpack(&sandbox, &bytes, WhiteoutMode::Apply);
    let mode = |p: &str| fs::metadata(sandbox.root().join(p)).unwrap().permissions().mode() & 0o7777;
    assert_eq!(
        (mode("bin"), mode("bin/su"), mode("bin/wall"), mode("tmp"), mode("ro")),
        (0o750, 0o4755, 0o2711, 0o1777, 0o444)
    );
}

#[cfg(unix)]
#[test]
fn read_only_directories_still_receive_their_entries() {
    use std::os::unix::fs::PermissionsExt;
    let sandbox = Sandbox::new();
    let bytes = Layer::new().raw("ro/", EntryType::Directory, None, 0o555, b"").file("ro/inside", b"i").tar();
    unpack(&sandbox, &bytes, WhiteoutMode::Apply);
    assert_eq!(fs::read(sandbox.root().join("ro/inside")).unwrap(), b"i");
    assert_eq!(fs::metadata(sandbox.root().join("ro")).unwrap().permissions().mode() & 0o7777, 0o555);
}

#[cfg(unix)]
#[test]
fn symlinks_keep_their_target_verbatim() {
    let sandbox = Sandbox::new();
    let bytes = Layer::new().symlink("abs", "/etc/passwd").symlink("rel", "../../../x").tar();
    unpack(&sandbox, &bytes, WhiteoutMode::Apply);
    assert_eq!(fs::read_link(sandbox.root().join("abs")).unwrap(), PathBuf::from("/etc/passwd"));
    assert_eq!(fs::read_link(sandbox.root().join("rel")).unwrap(), PathBuf::from("../../../x"));
}

#[test]
fn ownership_is_reported_when_not_applied() {
    let sandbox = Sandbox::new();
    let mut owned = Header::new_gnu();
    owned.set_entry_type(EntryType::Regular);
    owned.set_mode(0o644);
    owned.set_uid(1000);
    owned.set_gid(1000);
    let bytes = Layer::new().with_header("home/user/f", owned, b"x").file("root-owned", b"y").tar();
    let report = unpack(&sandbox, &bytes, WhiteoutMode::Apply);
    assert_eq!(report.ownership_not_applied, 1);
}

#[cfg(unix)]
#[test]
fn ownership_is_applied_when_asked_and_privileged() {
    use std::os::unix::fs::MetadataExt;
    let sandbox = Sandbox::new();
    let probe = sandbox.dir.path().join("probe");
    fs::write(&probe, b"").unwrap();
    if fs::metadata(&probe).unwrap().uid() != 0 {
        eprintln!("skipped: applying ownership needs root");
        return;
    }
    let mut h = Header::new_gnu();
    h.set_entry_type(EntryType::Regular);
    h.set_mode(0o4755);
    h.set_uid(1234);
    h.set_gid(5678);
    let bytes = Layer::new().with_header("f", h, b"x").tar();
    let options = UnpackOptions { apply_ownership: true, whiteouts: WhiteoutMode::Apply };
    let report = unpack_layer(&bytes[..], &sandbox.root(), &options).unwrap();
    assert_eq!(report.ownership_not_applied, 0);
    let meta = fs::metadata(sandbox.root().join("f")).unwrap();
    assert_eq!((meta.uid(), meta.gid(), meta.mode() & 0o7777), (1234, 5678, 0o4755));
}

/// `user.*` xattrs from PAX records are kept on files and directories
/// (where the file system has them); `user.overlay.*` (overlay's own
/// markers) and `trusted.*` never are.
#[cfg(unix)]
#[test]
fn user_xattrs_are_kept_and_overlay_ones_refused() {
    let probe = tempfile::tempdir().unwrap();
    if xattr::set(probe.path(), "user.probe", b"1").is_err() {
        eprintln!("SKIP user_xattrs_are_kept_and_overlay_ones_refused: no user xattrs in {}", probe.path().display());
        return;
    }
    let mut b = tar::Builder::new(Vec::new());
    let attrs: [(&str, &[u8]); 3] = [
        ("SCHILY.xattr.user.note", b"kept"),
        ("SCHILY.xattr.user.overlay.opaque", b"y"),
        ("SCHILY.xattr.trusted.x", b"1"),
    ];
    for (name, kind) in [("d/", EntryType::Directory), ("d/f", EntryType::Regular)] {
        b.append_pax_extensions(attrs).unwrap();
        let mut h = Header::new_gnu();
        h.set_entry_type(kind);
        h.set_size(0);
        h.set_uid(0);
        h.set_gid(0);
        h.set_mtime(0);
        h.set_mode(if kind == EntryType::Directory { 0o555 } else { 0o444 });
        b.append_data(&mut h, name, &[][..]).unwrap();
    }
    let sandbox = Sandbox::new();
    let report = unpack(&sandbox, &b.into_inner().unwrap(), WhiteoutMode::Apply);
    for p in [sandbox.root().join("d"), sandbox.root().join("d/f")] {
        assert_eq!(xattr::get(&p, "user.note").unwrap().as_deref(), Some(&b"kept"[..]), "{}", p.display());
        assert_eq!(xattr::get(&p, "user.overlay.opaque").unwrap(), None, "{}", p.display());
    }
    assert_eq!(report.xattrs_not_applied, 4);
}
