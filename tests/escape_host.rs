//! Attacks on the host through cove's own files rather than through the
//! kernel (second red-team pass), root and rootless:
//! - an image symlink on the way to a new named volume's mount point must
//!   not make cove copy a host directory into the volume;
//! - a state directory another user made first (the OCI runtime's default
//!   root in the shared `/tmp`, the runtime directory of attach sockets)
//!   must be refused, not used;
//! - a host directory given as stdin, stdout or stderr is refused (the
//!   container would walk the host's tree from `/proc/self/fd/0/..`);
//! - a file given as stdin (`-i < FILE`) reaches the command through a
//!   pipe, so it cannot reopen the file for writing;
//! - the attach socket and the store are the caller's alone;
//! - a health check that prints without end fills neither disk nor memory;
//! - the syscalls Docker's profile keeps from containers (io_uring,
//!   userfaultfd, bpf, perf_event_open, kexec, open_by_handle_at, keyrings,
//!   new mounts, setns, modules, the clock, …) are refused for real.

mod common;

use common::store::Store;
use common::*;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;
use std::time::Duration;

/// An image root with `lnk -> HOSTDIR` (absolute) and `up -> ../../..`;
/// `HOSTDIR/secret/key` holds a marker only the host has. `-v NAME:/lnk/secret`
/// used to fill the new volume from the host's `HOSTDIR/secret`.
#[test]
fn new_volume_is_never_filled_through_an_image_symlink() {
    for mode in modes() {
        let store = Store::new(mode);
        let dir = TestDir::new(mode, "volfill");
        let marker = unique("host-secret");
        dir.write("secret/key", &marker);
        let Some(root) = dir.rootfs_copy(mode, "rootfs") else { return };
        dir.symlink(dir.path().to_str().unwrap(), "rootfs/lnk");
        let climb =
            "../".repeat(dir.path().components().count() + 2) + dir.path().strip_prefix("/").unwrap().to_str().unwrap();
        dir.symlink(&climb, "rootfs/up");
        for dest in ["/lnk/secret", "/up/secret"] {
            let vol = unique("vol");
            let out = store.cove(&[
                "run",
                "--rm",
                "-v",
                &format!("{vol}:{dest}"),
                "--rootfs",
                root.to_str().unwrap(),
                "--",
                "sh",
                "-c",
                &format!("cat {dest}/key; echo END"),
            ]);
            if out.stdout().contains(&marker) {
                out.fail("the host's file never copied into the volume");
            }
            out.code(125).stderr_has("is a symlink in the image");
            let listed = store.cove(&["volume", "ls", "-q"]);
            if listed.stdout().contains(&vol) {
                listed.fail(&format!("no volume {vol} left behind by the refused run"));
            }
        }
        // The same link at the end of the path is left to the mount, which
        // resolves it inside the container's root (a missing target: 125).
        let out = store.cove(&[
            "run",
            "--rm",
            "-v",
            &format!("{}:/lnk", unique("vol")),
            "--rootfs",
            root.to_str().unwrap(),
            "--",
            "sh",
            "-c",
            "ls -A /lnk; echo END",
        ]);
        if !matches!(out.code, Some(0) | Some(125)) || out.stdout().contains("secret") {
            out.fail("an empty volume (exit 0) or a refused mount point (125), never the host's directory");
        }
    }
}

/// `cove oci` without `--root` and without `XDG_RUNTIME_DIR` keeps its
/// state in the shared `/tmp`; a directory someone else made there first
/// (here: a world-writable one under a chosen `XDG_RUNTIME_DIR`) could have
/// a container's `state.json` swapped for a forged one whose hooks
/// `delete` runs. It must be refused; the caller's own private one is used.
#[test]
fn oci_state_root_made_by_someone_else_is_refused() {
    for mode in modes() {
        if mode == Mode::Root {
            continue; // root's is /run/cove-oci, not taken from the environment
        }
        let dir = TestDir::new(mode, "ocistate");
        let planted = dir.mkdir("xdg/cove-oci");
        std::fs::set_permissions(&planted, std::fs::Permissions::from_mode(0o777)).unwrap();
        if is_root() {
            // Another user's directory: nobody's.
            std::os::unix::fs::chown(&planted, Some(65534), Some(65534)).unwrap();
        }
        let xdg = dir.join("xdg");
        let out = cove(mode).env("XDG_RUNTIME_DIR", xdg.to_str().unwrap()).args(["oci", "state", "nosuch"]).run();
        out.failed().stderr_has("is not a directory of uid");
        // The caller's own, fresh: created private and used.
        std::fs::remove_dir(&planted).unwrap();
        let out = cove(mode).env("XDG_RUNTIME_DIR", xdg.to_str().unwrap()).args(["oci", "state", "nosuch"]).run();
        out.failed().stderr_has("nosuch");
        let meta = std::fs::symlink_metadata(&planted).unwrap();
        assert_eq!(meta.mode() & 0o077, 0, "{}: {} is private", mode.label(), planted.display());
        assert_eq!(meta.uid(), mode.host_ids().0, "{}: {} is the caller's", mode.label(), planted.display());
    }
}

/// The runtime directory of attach sockets, made first by someone else
/// (world-writable), is refused: the container does not start (125)
/// rather than listen where another user could replace the socket.
#[test]
fn runtime_dir_made_by_someone_else_is_refused() {
    for mode in modes() {
        if mode == Mode::Root {
            continue; // root's is /run/cove, not taken from the environment
        }
        let store = Store::new(mode);
        let dir = TestDir::new(mode, "rundir");
        let uid = mode.host_ids().0;
        for planted in [dir.mkdir("xdg/cove"), dir.mkdir(&format!("tmp/cove-{uid}"))] {
            std::fs::set_permissions(&planted, std::fs::Permissions::from_mode(0o777)).unwrap();
        }
        let Some(root) = busybox(mode) else { return };
        let out = cove(mode)
            .env("COVE_ROOT", store.root.to_str().unwrap())
            .env("XDG_RUNTIME_DIR", dir.join("xdg").to_str().unwrap())
            .env("TMPDIR", dir.join("tmp").to_str().unwrap())
            .args(["run", "-d", "--rootfs", root.to_str().unwrap(), "--", "sleep", "30"])
            .timeout(Duration::from_secs(30))
            .run();
        out.code(125).stderr_has("is not a private directory");
        for sub in ["xdg/cove", &format!("tmp/cove-{uid}")] {
            let left: Vec<_> = std::fs::read_dir(dir.join(sub)).unwrap().collect();
            assert!(left.is_empty(), "{}: nothing bound in the planted {sub}: {left:?}", mode.label());
        }
    }
}

/// A running container's attach socket sits in a directory only the
/// caller can enter, and the store's container records are not readable
/// by other users.
#[test]
fn attach_socket_and_store_are_private() {
    for mode in modes() {
        let store = Store::new(mode);
        let Some(root) = busybox(mode) else { return };
        let out = store.cove(&["run", "-d", "--rootfs", root.to_str().unwrap(), "--", "sh", "-c", &store.sleeper()]);
        out.ok();
        let id = out.stdout().trim().to_owned();
        let pid = store.inspect(&id)["Cove"]["MonitorPid"].as_i64().unwrap();
        let socket = Path::new("/proc").join(pid.to_string()).join("net/unix");
        let table = std::fs::read_to_string(&socket).unwrap_or_default();
        let path =
            table.lines().filter_map(|l| l.split_whitespace().nth(7)).find(|p| p.ends_with(&format!("{id}.sock")));
        let Some(path) = path else {
            panic!("{}: the monitor {pid} listens on {id}.sock ({})", mode.label(), socket.display());
        };
        let parent = Path::new(path).parent().unwrap();
        let meta = std::fs::symlink_metadata(parent).unwrap();
        assert!(
            meta.is_dir() && meta.mode() & 0o077 == 0,
            "{}: {} is private: {:o}",
            mode.label(),
            parent.display(),
            meta.mode()
        );
        assert_eq!(meta.uid(), mode.host_ids().0, "{}: {} is the caller's", mode.label(), parent.display());
        let records = std::fs::symlink_metadata(&store.root).unwrap();
        assert_eq!(
            records.mode() & 0o077,
            0,
            "{}: the store {} is private: {:o}",
            mode.label(),
            store.root.display(),
            records.mode()
        );
        store.cove(&["rm", "-f", &id]).ok();
    }
}

/// Each syscall of the probe's list, made for real inside a default
/// container (cove's own binary bound in as the probe), is refused: EPERM,
/// and ENOSYS for `clone3` (so libc falls back to `clone`, whose namespace
/// flags the filter can see).
#[test]
fn refused_syscalls_are_refused_for_real() {
    let bin = std::fs::canonicalize(BIN).unwrap();
    for mode in modes() {
        let out = cove(mode)
            .args(["run", "--rm", "-v"])
            .arg(format!("{}:/.cove/cove:ro", bin.display()))
            .args(["--", "/.cove/cove", "__probe", "refused-syscalls"])
            .run();
        out.ok();
        let line = out.stdout().lines().rev().find(|l| l.starts_with('{')).map(str::to_owned);
        let report: serde_json::Value = serde_json::from_str(&line.unwrap_or_default())
            .unwrap_or_else(|e| out.fail(&format!("a JSON probe report ({e})")));
        let attempts = report["attempts"].as_array().unwrap();
        assert!(attempts.len() >= 40, "{}: {} attempts", out.desc, attempts.len());
        for a in attempts {
            let what = a["what"].as_str().unwrap();
            let want = if what.starts_with("clone3") { rustix::io::Errno::NOSYS } else { rustix::io::Errno::PERM }
                .raw_os_error();
            if a["errno"].as_i64() != Some(i64::from(want)) {
                out.fail(&format!("{what} refused with errno {want}, got {a}"));
            }
        }
    }
}

/// A health check (as a hostile image's `Healthcheck` would be) that
/// prints without end: it used to go to a file in the store, 1.1 GB in six
/// seconds. Now only Docker's 4096 bytes are kept and nothing grows on disk.
#[test]
fn endless_health_check_output_stays_bounded() {
    for mode in modes() {
        let store = Store::new(mode);
        let Some(root) = busybox(mode) else { return };
        let flood = "cat /dev/zero | tr '\\0' A";
        let out = store.cove(&[
            "run",
            "-d",
            "--health-cmd",
            flood,
            "--health-interval",
            "1s",
            "--health-timeout",
            "2s",
            "--rootfs",
            root.to_str().unwrap(),
            "--",
            "sh",
            "-c",
            &store.sleeper(),
        ]);
        out.ok();
        let id = out.stdout().trim().to_owned();
        std::thread::sleep(Duration::from_secs(4));
        let dir = store.root.join("containers").join(&id);
        let used: u64 =
            std::fs::read_dir(&dir).unwrap().flatten().filter_map(|e| e.metadata().ok()).map(|m| m.len()).sum();
        assert!(
            used < 1 << 20,
            "{}: {} holds {used} bytes after 4 s of an endless health check",
            mode.label(),
            dir.display()
        );
        let once = "head -c 100000 /dev/zero | tr '\\0' B";
        let out = store.cove(&[
            "run",
            "-d",
            "--health-cmd",
            once,
            "--health-interval",
            "1s",
            "--rootfs",
            root.to_str().unwrap(),
            "--",
            "sh",
            "-c",
            &store.sleeper(),
        ]);
        out.ok();
        let id2 = out.stdout().trim().to_owned();
        let v = store.until(&id2, Duration::from_secs(15), |v| {
            v["State"]["Health"]["Log"].as_array().is_some_and(|l| !l.is_empty())
        });
        let output = v["State"]["Health"]["Log"][0]["Output"].as_str().unwrap_or_default().to_owned();
        assert!(
            output.len() == 4096 && output.bytes().all(|b| b == b'B'),
            "{}: output kept: {} bytes",
            mode.label(),
            output.len()
        );
        store.cove(&["rm", "-f", &id, &id2]).ok();
    }
}

/// `cove run -i … < DIR` (or `2<DIR`, or `cove exec -i`) handed the host
/// directory to the container as its descriptor: `cat /proc/self/fd/0/FILE`
/// read the host's files and `cd /proc/self/fd/0/..` listed the host's `/`.
/// Such a descriptor is refused (125); a regular file or pipe still works.
#[test]
fn host_directory_as_stdio_is_refused() {
    for mode in modes() {
        let store = Store::new(mode);
        let Some(root) = busybox(mode) else { return };
        let dir = TestDir::new(mode, "stdio-dir");
        let marker = unique("host-only");
        dir.write("marker", &marker);
        let d = shell_quote(dir.path().to_str().unwrap());
        let peek = "cat /proc/self/fd/0/marker /proc/self/fd/2/marker; echo END";
        let cases = [(format!("exec \"$0\" \"$@\" < {d}"), "stdin"), (format!("exec \"$0\" \"$@\" 2< {d}"), "stderr")];
        for (redirect, name) in &cases {
            let out = cove(mode)
                .env("COVE_ROOT", store.root.to_str().unwrap())
                .args(["run", "--rm", "-i", "--rootfs", root.to_str().unwrap(), "--", "sh", "-c", peek])
                .via(&["sh", "-c", redirect])
                .run();
            if out.stdout().contains(&marker) {
                out.fail("the host directory's file unread");
            }
            if *name == "stdin" {
                if out.stdout().contains("END") {
                    out.fail("nothing run: the host directory refused");
                }
                out.code(125).stderr_has("as stdin");
            } else {
                // The container's stderr is the pipe of cove's log tee, not
                // the directory: nothing to refuse. (With stderr a
                // directory, cove's own messages have nowhere to go.)
                out.ok();
            }
            // Handed over as it is (no log tee), stderr is refused too.
            let out = cove(mode)
                .env("COVE_ROOT", store.root.to_str().unwrap())
                .args(["run", "--rm", "-i", "--log-driver", "none", "--rootfs", root.to_str().unwrap()])
                .args(["--", "sh", "-c", peek])
                .via(&["sh", "-c", redirect])
                .run();
            if out.stdout().contains(&marker) || out.stdout().contains("END") {
                out.fail("nothing run: the host directory refused");
            }
            out.code(125);
        }
        let out = store.cove(&["run", "-d", "--rootfs", root.to_str().unwrap(), "--", "sh", "-c", &store.sleeper()]);
        out.ok();
        let id = out.stdout().trim().to_owned();
        let out = cove(mode)
            .env("COVE_ROOT", store.root.to_str().unwrap())
            .args(["exec", "-i", &id, "sh", "-c", peek])
            .via(&["sh", "-c", &cases[0].0])
            .run();
        if out.stdout().contains(&marker) {
            out.fail("the exec refused, the host file unread");
        }
        out.code(125).stderr_has("as stdin");
        // A regular file as stdin still works.
        let file = shell_quote(dir.join("marker").to_str().unwrap());
        let out = cove(mode)
            .env("COVE_ROOT", store.root.to_str().unwrap())
            .args(["run", "--rm", "-i", "--rootfs", root.to_str().unwrap(), "--", "cat"])
            .via(&["sh", "-c", &format!("exec \"$0\" \"$@\" < {file}")])
            .run();
        out.ok().stdout_is(&marker);
        store.cove(&["rm", "-f", &id]).ok();
    }
}

/// `cove run -i … < FILE` and `cove exec -i … < FILE` handed the file's
/// descriptor to the command, which could reopen `/proc/self/fd/0` for
/// writing and rewrite the caller's file (even a root-owned 0444 one, as
/// root). The command now reads a pipe cove fills; the file is unchanged
/// and its whole content still arrives.
#[test]
fn stdin_file_reaches_the_command_through_a_pipe() {
    for mode in modes() {
        let store = Store::new(mode);
        let Some(root) = busybox(mode) else { return };
        let dir = TestDir::new(mode, "stdin-file");
        let content = format!("{}\n", unique("original"));
        let file = dir.write("input", &content);
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o444)).unwrap();
        let redirect = format!("exec \"$0\" \"$@\" < {}", shell_quote(file.to_str().unwrap()));
        let rewrite = "readlink /proc/self/fd/0; echo PWNED > /proc/self/fd/0; cat";
        let out = cove(mode)
            .env("COVE_ROOT", store.root.to_str().unwrap())
            .args(["run", "--rm", "-i", "--rootfs", root.to_str().unwrap(), "--", "sh", "-c", rewrite])
            .via(&["sh", "-c", &redirect])
            .run();
        out.ok().stdout_has("pipe:").stdout_has(content.trim());
        assert_eq!(std::fs::read_to_string(&file).unwrap(), content, "{}: the caller's file unchanged", out.desc);
        let out = store.cove(&["run", "-d", "--rootfs", root.to_str().unwrap(), "--", "sh", "-c", &store.sleeper()]);
        out.ok();
        let id = out.stdout().trim().to_owned();
        let out = cove(mode)
            .env("COVE_ROOT", store.root.to_str().unwrap())
            .args(["exec", "-i", &id, "sh", "-c", rewrite])
            .via(&["sh", "-c", &redirect])
            .run();
        out.ok().stdout_has("pipe:").stdout_has(content.trim());
        assert_eq!(std::fs::read_to_string(&file).unwrap(), content, "{}: the caller's file unchanged", out.desc);
        store.cove(&["rm", "-f", &id]).ok();
    }
}
