//! Pulling from a real registry when things go wrong (issue 4): a
//! tampered blob, a SIGKILLed pull (resumed, and its leftovers pruned), a
//! full disk with a gzip bomb, concurrent pulls, an unreachable registry
//! and a cut connection. Every registry and proxy dies with its test.

mod common;
#[path = "registry_support/env.rs"]
mod env;
#[path = "image_support/fixture.rs"]
mod fixture;
#[path = "registry_support/push.rs"]
mod push;
#[path = "registry_support/server.rs"]
mod server;

use common::*;
use env::*;
use fixture::*;
use push::*;
use server::*;
use std::time::{Duration, Instant};

#[test]
fn tampered_blob_is_refused_and_nothing_is_stored() {
    let Some(rootfs) = rootfs() else { return };
    let Some(reg) = Registry::start(Auth::Anonymous) else { return };
    let image = build(rootfs, "tampered", host_arch(), 0);
    Pusher::new(&reg.host, None).image("test/bad", "1", &image);
    let data = reg.blob_data(&image.layers[1]);
    let mut bytes = std::fs::read(&data).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0x55;
    std::fs::write(&data, bytes).unwrap();
    let name = format!("{}/test/bad:1", reg.host);
    for mode in modes() {
        let dir = scratch(mode, "pull-tampered");
        cove_in(mode, &dir)
            .args(["pull", &name])
            .run()
            .cove_error(&format!("digest mismatch: layer {}", image.layers[1]));
        cove_in(mode, &dir).args(["images", "-q"]).run().ok().stdout_is("");
        let blobs = dir.join("store/blobs/sha256");
        let names: Vec<String> = std::fs::read_dir(&blobs)
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        let bad_hex = &image.layers[1][7..];
        assert!(
            !names.iter().any(|n| n.contains(bad_hex)),
            "[{}] tampered blob left in the store: {names:?}",
            mode.label()
        );
    }
}

#[test]
fn killed_pull_resumes_and_completes() {
    let Some(rootfs) = rootfs() else { return };
    let Some(reg) = Registry::start(Auth::Anonymous) else { return };
    let image = build(rootfs, "big image", host_arch(), 6 << 20);
    Pusher::new(&reg.host, None).image("test/big", "1", &image);
    let proxy = Proxy::start(&reg.host);
    let name = format!("{}/test/big:1", proxy.host);
    for mode in modes() {
        proxy.slow.store(true, std::sync::atomic::Ordering::Relaxed);
        let dir = scratch(mode, "pull-kill");
        let partial = dir.join(&format!("store/blobs/sha256/.partial-{}", &image.layers[1][7..]));
        let running = cove_in(mode, &dir).args(["pull", &name]).timeout(Duration::from_secs(60)).spawn();
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::fs::metadata(&partial).map_or(0, |m| m.len()) < 256 * 1024 {
            assert!(
                Instant::now() < deadline,
                "{}: no partial download appeared at {}",
                running.describe(),
                partial.display()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        running.signal(rustix::process::Signal::KILL);
        let killed = running.wait();
        assert_eq!(killed.signal, Some(9), "{}: {}", killed.desc, killed.status());
        cove_in(mode, &dir).args(["images", "-q"]).run().ok().stdout_is("");
        proxy.sent.lock().unwrap().clear();
        proxy.slow.store(false, std::sync::atomic::Ordering::Relaxed);
        cove_in(mode, &dir).args(["pull", &name]).run().ok().stdout_has("Status: Downloaded newer image");
        let sent = String::from_utf8_lossy(&proxy.sent.lock().unwrap()).to_ascii_lowercase();
        assert!(sent.contains("range: bytes="), "[{}] the second pull did not resume with Range", mode.label());
        assert!(!partial.exists(), "partial file left after a complete pull");
        cove_in(mode, &dir).args(["run", "--pull", "never", &name]).run().ok().stdout_is("big image\n");
    }
}

/// Issue 4: `cove image prune` removes what a SIGKILLed pull left (the
/// partial download, a temp layer dir whose lock is free) but not what a
/// live writer holds locked; a new pull then works.
#[test]
fn prune_removes_what_a_killed_pull_left_but_not_live_writers() {
    let Some(rootfs) = rootfs() else { return };
    let Some(reg) = Registry::start(Auth::Anonymous) else { return };
    let image = build(rootfs, "prune image", host_arch(), 6 << 20);
    Pusher::new(&reg.host, None).image("test/prune", "1", &image);
    let proxy = Proxy::start(&reg.host);
    let name = format!("{}/test/prune:1", proxy.host);
    for mode in modes() {
        proxy.slow.store(true, std::sync::atomic::Ordering::Relaxed);
        let dir = scratch(mode, "pull-prune");
        let partial = dir.join(&format!("store/blobs/sha256/.partial-{}", &image.layers[1][7..]));
        let running = cove_in(mode, &dir).args(["pull", &name]).timeout(Duration::from_secs(60)).spawn();
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::fs::metadata(&partial).map_or(0, |m| m.len()) < 256 * 1024 {
            assert!(Instant::now() < deadline, "{}: no partial download at {}", running.describe(), partial.display());
            std::thread::sleep(Duration::from_millis(20));
        }
        // While the pull runs, its partial file is locked: prune keeps it.
        cove_in(mode, &dir).args(["image", "prune", "-f"]).run().ok();
        assert!(partial.exists(), "[{}] prune removed the partial file of a running pull", mode.label());
        running.signal(rustix::process::Signal::KILL);
        let killed = running.wait();
        assert_eq!(killed.signal, Some(9), "{}: {}", killed.desc, killed.status());
        // A killed writer's temp layer dir (its lock free), and one whose
        // writer is alive (this test holds the lock).
        let dead = dir.mkdir("store/layers/.tmp-dead-4194301");
        dir.write("store/layers/.tmp-dead-4194301/file", "x");
        dir.write("store/layers/.tmp-dead-4194301.lock", "");
        let live = dir.mkdir("store/layers/.tmp-live-4194302");
        let live_lock = dir.write("store/layers/.tmp-live-4194302.lock", "");
        let held = std::fs::OpenOptions::new().write(true).open(&live_lock).unwrap();
        held.lock().unwrap();
        cove_in(mode, &dir).args(["image", "prune", "-f"]).run().ok();
        assert!(!partial.exists(), "[{}] prune left the killed pull's partial file", mode.label());
        assert!(!dead.exists(), "[{}] prune left a dead writer's temp dir", mode.label());
        assert!(!dir.join("store/layers/.tmp-dead-4194301.lock").exists(), "[{}] lock file left", mode.label());
        assert!(live.exists() && live_lock.exists(), "[{}] prune removed a live writer's temp dir", mode.label());
        drop(held);
        proxy.slow.store(false, std::sync::atomic::Ordering::Relaxed);
        cove_in(mode, &dir).args(["pull", &name]).run().ok().stdout_has("Status: Downloaded newer image");
        cove_in(mode, &dir).args(["run", "--pull", "never", &name]).run().ok().stdout_is("prune image\n");
    }
}

/// A tmpfs mounted for one test, lazily unmounted on drop.
struct SmallDisk(std::path::PathBuf);

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

/// Issue 4: a Docker schema 2 image pulls and runs; on a full disk (a
/// 24 MiB tmpfs) a gzip bomb (64 MiB of zeros in a few KiB) fails cleanly
/// with ENOSPC and leaves no image, temp dir or partial download, and the
/// store still works.
#[test]
fn docker_schema2_and_a_gzip_bomb_on_a_full_disk() {
    let Some(rootfs) = rootfs() else { return };
    if !is_root() {
        return skip("docker_schema2_and_a_gzip_bomb_on_a_full_disk", "mounting a small tmpfs needs root");
    }
    let Some(reg) = Registry::start(Auth::Anonymous) else { return };
    let pusher = Pusher::new(&reg.host, None);
    for (tag, zeros) in [("small", 1 << 20), ("bomb", 64 << 20)] {
        let image = docker_zeros(rootfs, zeros);
        for (_, bytes) in &image.blobs {
            pusher.blob("test/zeros", bytes);
        }
        pusher.manifest("test/zeros", tag, DOCKER_MANIFEST, &image.manifest);
    }
    for mode in modes() {
        let dir = TestDir::new(mode, "pull-full");
        let disk = SmallDisk(dir.mkdir("disk"));
        let mounted = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", "size=24m,mode=0755", "tmpfs"])
            .arg(&disk.0)
            .status()
            .unwrap();
        assert!(mounted.success(), "mount tmpfs on {}", disk.0.display());
        let store = dir.mkdir("disk/store");
        let cove_on = || cove(mode).env("COVE_ROOT", &store.display().to_string());
        let bomb = format!("{}/test/zeros:bomb", reg.host);
        cove_on().args(["pull", &bomb]).run().cove_error("No space left on device");
        cove_on().args(["images", "-q"]).run().ok().stdout_is("");
        for kind in ["layers", "rootfs", "tmp", "blobs/sha256"] {
            let left: Vec<String> = std::fs::read_dir(store.join(kind))
                .map(|d| d.flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect())
                .unwrap_or_default();
            let temps: Vec<&String> =
                left.iter().filter(|n| n.starts_with(".tmp-") || n.starts_with(".partial-")).collect();
            assert!(temps.is_empty(), "[{}] {kind}: left after ENOSPC: {temps:?}", mode.label());
        }
        let small = format!("{}/test/zeros:small", reg.host);
        cove_on().args(["run", &small]).run().ok().stdout_is(&format!("{}\n", 1 << 20));
        let inspect = cove_on().args(["image", "inspect", &small]).run();
        inspect.ok().stdout_has("sha256:");
        drop(disk);
    }
}

#[test]
fn concurrent_pulls_of_one_image_both_succeed() {
    let Some(rootfs) = rootfs() else { return };
    let Some(reg) = Registry::start(Auth::Anonymous) else { return };
    let image = build(rootfs, "pulled twice at once", host_arch(), 1 << 20);
    Pusher::new(&reg.host, None).image("test/twice", "1", &image);
    let proxy = Proxy::start(&reg.host);
    let name = format!("{}/test/twice:1", proxy.host);
    for mode in modes() {
        let dir = scratch(mode, "pull-twice");
        let pulls: Vec<_> = (0..2).map(|_| cove_in(mode, &dir).args(["pull", "-q", &name]).spawn()).collect();
        for running in pulls {
            running.wait().ok().stdout_is(&format!("{name}\n"));
        }
        cove_in(mode, &dir).args(["run", "--pull", "never", &name]).run().ok().stdout_is("pulled twice at once\n");
        let leftovers: Vec<String> = std::fs::read_dir(dir.join("store/blobs/sha256"))
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with('.'))
            .collect();
        assert!(leftovers.is_empty(), "[{}] temp or partial files left: {leftovers:?}", mode.label());
    }
}

#[test]
fn unavailable_registry_and_a_cut_connection_are_retried_in_the_same_pull() {
    let Some(rootfs) = rootfs() else { return };
    let Some(reg) = Registry::start(Auth::Anonymous) else { return };
    let image = build(rootfs, "survived a reset", host_arch(), 3 << 20);
    Pusher::new(&reg.host, None).image("test/cut", "1", &image);
    let proxy = Proxy::start(&reg.host);
    proxy.slow.store(false, std::sync::atomic::Ordering::Relaxed);
    let name = format!("{}/test/cut:1", proxy.host);
    for mode in modes() {
        let dir = scratch(mode, "pull-cut");
        proxy.sent.lock().unwrap().clear();
        proxy.cut_after.store(2 << 20, std::sync::atomic::Ordering::Relaxed);
        // The first two connections get 503 (retried with backoff).
        proxy.fail_next.store(2, std::sync::atomic::Ordering::Relaxed);
        cove_in(mode, &dir).args(["pull", &name]).run().ok().stdout_has("Status: Downloaded newer image");
        assert_eq!(proxy.cut_after.load(std::sync::atomic::Ordering::Relaxed), 0, "the proxy never cut a connection");
        assert_eq!(proxy.fail_next.load(std::sync::atomic::Ordering::Relaxed), 0, "no request met a 503");
        let sent = String::from_utf8_lossy(&proxy.sent.lock().unwrap()).to_ascii_lowercase();
        assert!(sent.contains("range: bytes="), "[{}] the cut download was not resumed with Range", mode.label());
        cove_in(mode, &dir).args(["run", "--pull", "never", &name]).run().ok().stdout_is("survived a reset\n");
    }
}
