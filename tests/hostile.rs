//! Hostile inputs: symlinked volume sources, `..` in container paths, and
//! root filesystems whose symlinks point out of them. Nothing may be
//! created or mounted on the host, and nothing unreadable may be read.

mod common;

use common::*;
use std::path::Path;

/// Fails (after cleaning up) when `path` exists on the host.
fn assert_absent_on_host(path: &Path, out: &Out) {
    if path.symlink_metadata().is_ok() {
        let _ = std::fs::remove_file(path).or_else(|_| std::fs::remove_dir_all(path));
        panic!(
            "{}\n  expected: nothing created on the host at {}\n  got: it exists (removed it)\n  stdout: {}\n  stderr: {}",
            out.desc,
            path.display(),
            show(&out.stdout),
            show(&out.stderr)
        );
    }
}

/// Exit 0 (the mount landed inside the container) or 125 (cove refused).
fn contained_or_refused(out: &Out) {
    if !matches!(out.code, Some(0) | Some(125)) {
        out.fail("exit 0 (mount kept inside the root) or 125 (refused)");
    }
}

#[test]
fn volume_source_symlink_to_shadow() {
    let Ok(shadow) = std::fs::read("/etc/shadow") else {
        skip("shadow volume", "this host has no readable /etc/shadow (tests not running as root?)");
        return;
    };
    for mode in modes() {
        let dir = TestDir::new(mode, "shadowlink");
        let link = dir.symlink("/etc/shadow", "link");
        let out =
            cove(mode).args(["run", "-v"]).arg(format!("{}:/s:ro", link.display())).args(["--", "cat", "/s"]).run();
        match mode {
            // Root's own choice: host symlinks in the caller's paths are followed.
            Mode::Root => {
                out.ok();
                assert!(
                    out.stdout == shadow,
                    "{}: expected the host's /etc/shadow ({} bytes), got {} bytes",
                    out.desc,
                    shadow.len(),
                    out.stdout.len()
                );
            }
            // covetest cannot read /etc/shadow on the host, so not inside either.
            Mode::Rootless => {
                let leaked = !shadow.is_empty() && contains(&out.stdout, &shadow[..shadow.len().min(64)]);
                if leaked || out.code == Some(0) {
                    out.fail("the shadow file unreadable (cat fails, or cove refuses with 125), none of it on stdout");
                }
            }
        }
    }
}

#[test]
fn dotdot_in_container_paths_stays_in_the_root() {
    for mode in modes() {
        for root in roots(mode) {
            let dir = TestDir::new(mode, "dotdot");
            let src = dir.write("payload", "payload\n");
            let name = unique("cove-dotdot");
            let host_target = Path::new("/etc").join(&name);
            let out = sh_root(
                mode,
                &root,
                &["-v", &format!("{}:/../../etc/{name}", src.display())],
                &format!("cat /etc/{name}"),
            );
            assert_absent_on_host(&host_target, &out);
            out.ok().stdout_is("payload\n");
            let tmp_target = std::env::temp_dir().join(&name);
            let out = sh_root(
                mode,
                &root,
                &[
                    "-w",
                    &format!("/../../../{}/{name}", std::env::temp_dir().display()),
                    "--tmpfs",
                    &format!("/../{name}"),
                ],
                "pwd",
            );
            assert_absent_on_host(&tmp_target, &out);
            assert_absent_on_host(&Path::new("/").join(&name), &out);
            out.ok().stdout_is(&format!("{}/{name}\n", std::env::temp_dir().display()));
        }
    }
}

/// A private rootfs copy with escaping symlinks:
/// `evil -> /`, `up -> ../../../../../../../../..` and `etc2 -> /ABS`.
fn hostile_rootfs(mode: Mode, dir: &TestDir, abs: &str) -> Option<std::path::PathBuf> {
    let root = dir.rootfs_copy(mode, "rootfs")?;
    for (target, name) in [("/", "evil"), ("../../../../../../../../..", "up"), (abs, "etc2")] {
        let p = root.join(name);
        std::os::unix::fs::symlink(target, &p).unwrap();
        dir.own(&p);
    }
    Some(root)
}

#[test]
fn rootfs_symlinks_cannot_redirect_mounts_to_the_host() {
    for mode in modes() {
        for rw in [false, true] {
            let dir = TestDir::new(mode, "evil-rootfs");
            let abs = format!("/{}", unique("cove-host-abs"));
            let Some(root) = hostile_rootfs(mode, &dir, &abs) else { continue };
            let src = dir.write("payload", "payload\n");
            let tmp = std::env::temp_dir();
            let names = [unique("cove-pwned"), unique("cove-pwned"), unique("cove-pwned"), unique("cove-pwned")];
            let dests = [
                format!("/evil{}/{}", tmp.display(), names[0]),
                format!("/up{}/{}", tmp.display(), names[1]),
                format!("/etc2/{}", names[2]),
            ];
            let host_paths =
                [tmp.join(&names[0]), tmp.join(&names[1]), Path::new(&abs).to_path_buf(), tmp.join(&names[3])];
            let mut flags: Vec<String> = vec!["--rootfs".into(), root.display().to_string()];
            if rw {
                flags.push("--rootfs-rw".into());
            }
            for d in &dests {
                flags.push("-v".into());
                flags.push(format!("{}:{d}", src.display()));
            }
            flags.extend(["--tmpfs".into(), format!("/evil{}/{}", tmp.display(), names[3])]);
            flags.extend(["-w".into(), format!("/up{}/{}-wd", tmp.display(), names[3])]);
            let out = cove(mode).arg("run").args(&flags).args(["--", "sh", "-c", &format!("cat {}", dests[0])]).run();
            for p in &host_paths {
                assert_absent_on_host(p, &out);
            }
            assert_absent_on_host(&tmp.join(format!("{}-wd", names[3])), &out);
            contained_or_refused(&out);
            if out.code == Some(0) {
                out.stdout_is("payload\n");
            }
        }
    }
}

#[test]
fn a_file_as_rootfs_is_refused() {
    for mode in modes() {
        let dir = TestDir::new(mode, "file-rootfs");
        let f = dir.write("rootfs", "not a directory");
        cove(mode).args(["run", "--rootfs"]).arg(&f).args(["--", "true"]).run().cove_error("not a directory");
        // A symlink to a file, too.
        let l = dir.symlink(&f.display().to_string(), "link");
        cove(mode).args(["run", "--rootfs"]).arg(&l).args(["--", "true"]).run().code(125);
    }
}

#[test]
fn user_database_symlink_out_of_the_rootfs_is_not_followed() {
    // `-u name` reads the rootfs's /etc/passwd; a link out of the root must be
    // resolved inside it (where its target does not exist), not on the host.
    let host_db = "/usr/share/base-passwd/passwd.master"; // Debian's base-passwd: has `daemon`
    if !std::fs::read_to_string(host_db).is_ok_and(|t| t.contains("\ndaemon:")) {
        skip("passwd symlink", &format!("{host_db} with a daemon entry is missing on this host"));
        return;
    }
    for mode in modes() {
        let dir = TestDir::new(mode, "passwd-link");
        let Some(root) = dir.rootfs_copy(mode, "rootfs") else { continue };
        let p = root.join("etc/passwd");
        // A relative link climbing out, then an absolute one.
        for target in [format!("../../../../../../../..{host_db}"), host_db.to_owned()] {
            std::fs::remove_file(&p).unwrap();
            std::os::unix::fs::symlink(&target, &p).unwrap();
            dir.own(&p);
            cove(mode)
                .args(["run", "-u", "daemon", "--rootfs"])
                .arg(&root)
                .args(["--", "true"])
                .run()
                .cove_error("unable to find user daemon");
        }
    }
}
