//! `-v/--volume`, `--tmpfs` and `--read-only`.

mod common;

use common::*;

fn vol(dir: &TestDir, dest: &str, opts: &str) -> String {
    format!("{}:{dest}{opts}", dir.path().display())
}

#[test]
fn read_only_volume_refuses_writes() {
    for mode in modes() {
        for root in roots(mode) {
            let dir = TestDir::new(mode, "vol-ro");
            dir.write("f", "content\n");
            let out = sh_root(mode, &root, &["-v", &vol(&dir, "/data", ":ro")], "cat /data/f; echo x > /data/g");
            out.failed().stdout_is("content\n").stderr_has("Read-only file system");
            assert!(!dir.join("g").exists(), "{}: a write through a :ro volume reached the host", out.desc);
            assert_eq!(std::fs::read_to_string(dir.join("f")).unwrap(), "content\n");
        }
    }
}

#[test]
fn read_write_volume_changes_the_host() {
    for mode in modes() {
        for root in roots(mode) {
            let dir = TestDir::new(mode, "vol-rw");
            dir.write("f", "before\n");
            sh_root(
                mode,
                &root,
                &["-v", &vol(&dir, "/data", "")],
                "cat /data/f; echo changed > /data/f; echo new > /data/g",
            )
            .ok()
            .stdout_is("before\n");
            assert_eq!(
                std::fs::read_to_string(dir.join("f")).ok().as_deref(),
                Some("changed\n"),
                "[{}] host file f",
                mode.label()
            );
            assert_eq!(
                std::fs::read_to_string(dir.join("g")).ok().as_deref(),
                Some("new\n"),
                "[{}] host file g",
                mode.label()
            );
            // Explicit :rw, and a destination inside a new directory tree.
            sh_root(mode, &root, &["-v", &vol(&dir, "/a/b/c", ":rw")], "cat /a/b/c/g").ok().stdout_is("new\n");
        }
    }
}

#[test]
fn file_volume() {
    for mode in modes() {
        for root in roots(mode) {
            let dir = TestDir::new(mode, "vol-file");
            let f = dir.write("app.conf", "key=value\n");
            sh_root(
                mode,
                &root,
                &["-v", &format!("{}:/etc/app.conf:ro", f.display())],
                "cat /etc/app.conf; test -f /etc/app.conf && echo is-file",
            )
            .ok()
            .stdout_is("key=value\nis-file\n");
        }
    }
}

#[test]
fn bad_volumes_are_cove_errors() {
    for mode in modes() {
        let dir = TestDir::new(mode, "vol-bad");
        let missing = dir.join("missing");
        cove(mode)
            .args(["run", "-v"])
            .arg(format!("{}:/x", missing.display()))
            .args(["--", "true"])
            .run()
            .cove_error(&missing.display().to_string());
        cove(mode).args(["run", "-v", "relative/path:/x", "--", "true"]).run().cove_error("absolute host path");
        cove(mode).args(["run", "-v"]).arg(vol(&dir, "relative", "")).args(["--", "true"]).run().code(125);
        cove(mode).args(["run", "-v"]).arg(vol(&dir, "/x", ":bogus")).args(["--", "true"]).run().cove_error("bogus");
        cove(mode).args(["run", "-v"]).arg(vol(&dir, "/", "")).args(["--", "true"]).run().code(125);
        let v = vol(&dir, "/same", "");
        cove(mode).args(["run", "-v", &v, "-v", &v, "--", "true"]).run().cove_error("/same");
    }
}

#[test]
fn tmpfs_with_size_and_mode() {
    for mode in modes() {
        for root in roots(mode) {
            let out = sh_root(
                mode,
                &root,
                &["--tmpfs", "/scratch:size=1m,mode=700"],
                "stat -c %a /scratch; grep -c ' /scratch ' /proc/self/mountinfo; \
                 dd if=/dev/zero of=/scratch/big bs=1024 count=2048 2>/dev/null && echo NO-LIMIT; \
                 rm /scratch/big; echo small > /scratch/s && cat /scratch/s",
            );
            out.ok().stdout_is("700\n1\nsmall\n");
            sh_root(mode, &root, &["--tmpfs", "/run/x"], "stat -c %a /run/x; touch /run/x/f && echo ok")
                .ok()
                .stdout_is("1777\nok\n");
        }
        cove(mode).args(["run", "--tmpfs", "/x:size=lots", "--", "true"]).run().cove_error("--tmpfs");
        cove(mode).args(["run", "--tmpfs", "relative", "--", "true"]).run().cove_error("--tmpfs");
    }
}

#[test]
fn read_only_root_zero_setup() {
    for mode in modes() {
        let out = sh(
            mode,
            &["--read-only"],
            "touch /cove-x 2>/dev/null && echo WROTE-ROOT; mkdir /etc/x 2>/dev/null && echo WROTE-ETC; touch /tmp/x && echo tmp-ok",
        );
        out.ok().stdout_is("tmp-ok\n");
    }
}

#[test]
fn read_only_rootfs() {
    for mode in modes() {
        let dir = TestDir::new(mode, "ro-rootfs");
        let Some(root) = dir.rootfs_copy(mode, "rootfs") else { continue };
        let data = dir.mkdir("data");
        let out = sh_in(
            mode,
            &root,
            &["--read-only", "-v", &format!("{}:/data", data.display())],
            "echo x > /etc/cove-x 2>/dev/null && echo WROTE-ETC; echo v > /data/f && echo volume-ok",
        );
        out.ok().stdout_is("volume-ok\n");
        assert!(!root.join("etc/cove-x").exists(), "{}: a write reached the rootfs", out.desc);
        assert_eq!(std::fs::read_to_string(data.join("f")).ok().as_deref(), Some("v\n"), "{}: volume write", out.desc);
        sh_in(mode, &root, &["--read-only"], "echo x > /etc/cove-x").failed().stderr_has("Read-only file system");
    }
}
