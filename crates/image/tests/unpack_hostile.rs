//! Hostile layers: nothing may be written outside the root, and every
//! refusal names the entry that caused it.

mod common;

use std::fs;

use common::{Layer, Sandbox};
use cove_image::unpack::{UnpackError, UnpackOptions, unpack_layer};
use tar::EntryType;

/// Unpacks `bytes`, expects an error mentioning `entry`, checks the outside.
fn refused(sandbox: &Sandbox, bytes: &[u8], entry: &str) -> UnpackError {
    let before = sandbox.outside_listing();
    let err = unpack_layer(bytes, &sandbox.root(), &UnpackOptions::default()).unwrap_err();
    assert!(err.to_string().contains(entry), "error {err} does not name {entry:?}");
    sandbox.assert_outside_untouched(&before);
    err
}

#[test]
fn parent_components_are_refused() {
    for name in ["../evil", "a/../../b", "./../outside/victim", "a/b/.."] {
        let sandbox = Sandbox::new();
        let bytes = Layer::new().dir("a/").file(name, b"pwned").tar();
        let err = refused(&sandbox, &bytes, name);
        assert!(matches!(err, UnpackError::ParentComponent { .. }), "{name}: {err:?}");
    }
}

#[test]
fn absolute_paths_are_refused() {
    let sandbox = Sandbox::new();
    let target = sandbox.outside().join("abs");
    let name = target.to_str().unwrap();
    let err = refused(&sandbox, &Layer::new().file(name, b"pwned").tar(), name);
    assert!(matches!(err, UnpackError::AbsolutePath { .. }), "{err:?}");
    assert!(!target.exists());
    let err = refused(&Sandbox::new(), &Layer::new().file("/abs", b"x").tar(), "/abs");
    assert!(matches!(err, UnpackError::AbsolutePath { .. }), "{err:?}");
}

#[cfg(unix)]
#[test]
fn symlink_parents_are_never_followed() {
    let sandbox = Sandbox::new();
    let outside = sandbox.outside();
    let bytes = Layer::new().symlink("link", outside.to_str().unwrap()).file("link/pwned", b"pwned").tar();
    let err = refused(&sandbox, &bytes, "link/pwned");
    assert!(matches!(err, UnpackError::SymlinkParent { .. }), "{err:?}");
    assert!(!outside.join("pwned").exists());
    // The classic `/tmp/x` form: refused the same way, whatever /tmp holds.
    let sandbox = Sandbox::new();
    let bytes = Layer::new().symlink("link", "/tmp/x").file("link/pwned", b"pwned").tar();
    assert!(matches!(refused(&sandbox, &bytes, "link/pwned"), UnpackError::SymlinkParent { .. }));
}

/// Files still queued to the writer threads when their directory is
/// replaced by a symlink out of the root: the writers finish first, the
/// replacement removes their files with the directory, and later entries
/// are refused; nothing lands outside.
#[cfg(unix)]
#[test]
fn pending_parallel_writes_never_follow_a_replaced_parent() {
    let sandbox = Sandbox::new();
    let before = sandbox.outside_listing();
    let outside = sandbox.outside();
    let mut layer = Layer::new();
    layer.dir("d/");
    for i in 0..64 {
        layer.file(&format!("d/f{i}"), b"queued");
    }
    let bytes = layer.symlink("d", outside.to_str().unwrap()).file("d/after", b"pwned").tar();
    let err = refused(&sandbox, &bytes, "d/after");
    assert!(matches!(err, UnpackError::SymlinkParent { .. }), "{err:?}");
    sandbox.assert_outside_untouched(&before);
    // Without the last entry the layer applies: the symlink replaced the dir.
    let sandbox = Sandbox::new();
    let mut layer = Layer::new();
    layer.dir("d/");
    for i in 0..64 {
        layer.file(&format!("d/f{i}"), b"queued");
    }
    let bytes = layer.symlink("d", outside.to_str().unwrap()).file("e", b"e").tar();
    unpack_layer(&bytes[..], &sandbox.root(), &UnpackOptions::default()).unwrap();
    assert!(fs::symlink_metadata(sandbox.root().join("d")).unwrap().file_type().is_symlink());
    assert_eq!(fs::read(sandbox.root().join("e")).unwrap(), b"e");
}

#[cfg(unix)]
#[test]
fn symlink_as_final_component_is_replaced_not_followed() {
    let sandbox = Sandbox::new();
    let victim = sandbox.outside().join("victim");
    let bytes = Layer::new().symlink("f", victim.to_str().unwrap()).file("f", b"new").tar();
    unpack_layer(&bytes[..], &sandbox.root(), &UnpackOptions::default()).unwrap();
    assert_eq!(fs::read(sandbox.root().join("f")).unwrap(), b"new");
    assert_eq!(fs::read(&victim).unwrap(), b"untouched");
}

#[cfg(unix)]
#[test]
fn directory_replaced_by_symlink_does_not_get_its_mode_applied_outside() {
    use std::os::unix::fs::PermissionsExt;
    let sandbox = Sandbox::new();
    let outside = sandbox.outside();
    let mode_before = fs::metadata(&outside).unwrap().permissions().mode();
    let bytes =
        Layer::new().raw("d/", EntryType::Directory, None, 0o777, b"").symlink("d", outside.to_str().unwrap()).tar();
    unpack_layer(&bytes[..], &sandbox.root(), &UnpackOptions::default()).unwrap();
    assert_eq!(fs::metadata(&outside).unwrap().permissions().mode(), mode_before);
    assert!(fs::symlink_metadata(sandbox.root().join("d")).unwrap().file_type().is_symlink());
}

#[test]
fn hardlinks_outside_the_root_are_refused() {
    for target in ["/etc/passwd", "../outside/victim", "a/../../outside/victim"] {
        let sandbox = Sandbox::new();
        let bytes = Layer::new().hardlink("h", target).tar();
        let err = refused(&sandbox, &bytes, "\"h\"");
        assert!(matches!(err, UnpackError::BadHardlink { .. }), "{target}: {err:?}");
        assert!(err.to_string().contains(target), "{err} does not name {target}");
        assert!(!sandbox.root().join("h").exists());
    }
}

#[cfg(unix)]
#[test]
fn hardlinks_to_symlinks_or_through_them_are_refused() {
    let sandbox = Sandbox::new();
    let victim = sandbox.outside().join("victim");
    let bytes = Layer::new().symlink("s", victim.to_str().unwrap()).hardlink("h", "s").tar();
    assert!(matches!(refused(&sandbox, &bytes, "\"h\""), UnpackError::BadHardlink { reason: "is a symlink", .. }));
    let sandbox = Sandbox::new();
    let outside = sandbox.outside();
    let bytes = Layer::new().symlink("s", outside.to_str().unwrap()).hardlink("h", "s/victim").tar();
    let err = refused(&sandbox, &bytes, "\"h\"");
    assert!(matches!(err, UnpackError::BadHardlink { reason: "has a symlink parent", .. }), "{err:?}");
}

#[test]
fn hardlink_to_missing_or_directory_is_refused() {
    let sandbox = Sandbox::new();
    assert!(matches!(
        refused(&sandbox, &Layer::new().hardlink("h", "nope").tar(), "\"h\""),
        UnpackError::BadHardlink { .. }
    ));
    let bytes = Layer::new().dir("d/").hardlink("h", "d").tar();
    assert!(matches!(refused(&Sandbox::new(), &bytes, "\"h\""), UnpackError::BadHardlink { .. }));
}

#[cfg(unix)]
#[test]
fn whiteouts_never_delete_through_a_symlink() {
    let sandbox = Sandbox::new();
    let outside = sandbox.outside();
    let lower = Layer::new().symlink("s", outside.to_str().unwrap()).tar();
    unpack_layer(&lower[..], &sandbox.root(), &UnpackOptions::default()).unwrap();
    let upper = Layer::new().file("s/.wh.victim", b"").tar();
    assert!(matches!(refused(&sandbox, &upper, "s/.wh.victim"), UnpackError::SymlinkParent { .. }));
    let opaque = Layer::new().file("s/.wh..wh..opq", b"").tar();
    assert!(matches!(refused(&sandbox, &opaque, "s/.wh..wh..opq"), UnpackError::SymlinkParent { .. }));
    // An opaque marker for the symlink itself is not a directory: nothing happens.
    let sandbox2 = Sandbox::new();
    unpack_layer(&lower[..], &sandbox2.root(), &UnpackOptions::default()).unwrap();
    let before = sandbox2.outside_listing();
    unpack_layer(&Layer::new().file(".wh.s", b"").tar()[..], &sandbox2.root(), &UnpackOptions::default()).unwrap();
    sandbox2.assert_outside_untouched(&before);
    assert!(fs::symlink_metadata(sandbox2.root().join("s")).is_err());
}

#[test]
fn malformed_whiteouts_are_refused() {
    for name in ["a/.wh.", "a/.wh..."] {
        let bytes = Layer::new().dir("a/").file(name, b"").tar();
        assert!(matches!(refused(&Sandbox::new(), &bytes, name), UnpackError::BadWhiteout { .. }));
    }
}

#[test]
fn compressed_hostile_layers_are_refused_too() {
    let mut layer = Layer::new();
    layer.file("ok", b"fine").file("../evil", b"pwned");
    let tar = layer.tar();
    let mut gz = Layer::new();
    gz.file("ok", b"fine").file("../evil", b"pwned");
    let mut zs = Layer::new();
    zs.file("ok", b"fine").file("../evil", b"pwned");
    for bytes in [tar, gz.gzip(), zs.zstd()] {
        let sandbox = Sandbox::new();
        let err = refused(&sandbox, &bytes, "../evil");
        assert!(matches!(err, UnpackError::ParentComponent { .. }), "{err:?}");
        assert!(!sandbox.dir.path().join("evil").exists());
    }
}

#[test]
fn device_nodes_and_fifos_are_skipped_and_counted() {
    let sandbox = Sandbox::new();
    let bytes = Layer::new()
        .raw("dev/null", EntryType::Char, None, 0o666, b"")
        .raw("dev/sda", EntryType::Block, None, 0o660, b"")
        .raw("run/fifo", EntryType::Fifo, None, 0o600, b"")
        .file("ok", b"fine")
        .tar();
    let report = unpack_layer(&bytes[..], &sandbox.root(), &UnpackOptions::default()).unwrap();
    assert_eq!((report.skipped_devices, report.skipped_fifos, report.entries), (2, 1, 1));
    assert!(!sandbox.root().join("dev/null").exists());
    assert!(!sandbox.root().join("run/fifo").exists());
    assert!(!sandbox.root().join("dev").exists(), "no parents are made for skipped entries");
}

#[test]
fn absurd_mtime_does_not_panic() {
    let sandbox = Sandbox::new();
    let mut h = tar::Header::new_gnu();
    h.set_entry_type(EntryType::Regular);
    h.set_mode(0o644);
    h.set_mtime(u64::MAX);
    h.set_uid(0);
    h.set_gid(0);
    let bytes = Layer::new().with_header("f", h, b"x").tar();
    unpack_layer(&bytes[..], &sandbox.root(), &UnpackOptions::default()).unwrap();
    assert_eq!(fs::read(sandbox.root().join("f")).unwrap(), b"x");
}

#[test]
fn garbage_is_an_archive_error() {
    let sandbox = Sandbox::new();
    let err = unpack_layer(&[0x1f, 0x8b, 0, 1, 2, 3][..], &sandbox.root(), &UnpackOptions::default()).unwrap_err();
    assert!(matches!(err, UnpackError::Archive { .. }), "{err:?}");
}
