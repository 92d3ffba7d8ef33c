//! `cove run` basics: the zero-setup sandbox, --rootfs, and the flags that
//! shape the process (-e, --env-file, -w, -u, --hostname, -i, --rm).

mod common;

use common::*;

/// Sorted `KEY=VALUE` lines of `env` output.
fn env_lines(out: &Out) -> Vec<String> {
    let mut v = out.lines();
    v.sort();
    v
}

fn sorted(v: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = v.iter().map(|s| s.to_string()).collect();
    v.sort();
    v
}

#[test]
fn hello_in_the_zero_setup_sandbox() {
    for mode in modes() {
        sh(mode, &[], "echo hello; echo to-stderr >&2").ok().stdout_is("hello\n").stderr_is("to-stderr\n");
    }
}

#[test]
fn caller_is_root_inside_by_default() {
    for mode in modes() {
        sh(mode, &[], "id -u; id -g; id -un").ok().stdout_is("0\n0\nroot\n");
    }
}

#[test]
fn generated_user_database() {
    for mode in modes() {
        let out = sh(mode, &[], "cat /etc/passwd");
        out.ok().stdout_has("root:x:0:0:root:/root:").stdout_has("nobody:x:65534:65534:");
        if out.stdout().lines().count() != 2 {
            out.fail("exactly root and nobody in /etc/passwd");
        }
        sh(mode, &["-u", "1000"], "grep -c '^user:x:1000:1000:user:/home/user:' /etc/passwd").ok().stdout_is("1\n");
    }
}

#[test]
fn environment_is_exactly_the_defaults() {
    for mode in modes() {
        let out = cove(mode).args(["run", "--hostname", "envhost", "--", "/usr/bin/env"]).run();
        out.ok();
        let want = sorted(&["HOME=/root", "HOSTNAME=envhost", &format!("PATH={DEFAULT_PATH}")]);
        assert_eq!(env_lines(&out), want, "{}: environment (no host variable may leak)", out.desc);
    }
}

#[test]
fn env_flags_and_env_file() {
    for mode in modes() {
        let dir = TestDir::new(mode, "envfile");
        let file = dir.write("vars.env", "# a comment\n\nFILE_A=1\n  FILE_B=two words\nFROM_HOST\nA=from-file\n");
        let out = cove(mode)
            .env("FROM_HOST", "host value")
            .args(["run", "--hostname", "h", "--env-file"])
            .arg(&file)
            .args(["-e", "A=1", "-e", "B=x=y", "-e", "A=2", "-e", "FROM_HOST", "-e", "COVE_TEST_NOT_SET_ANYWHERE"])
            .args(["-e", "HOME=/elsewhere", "-e", "EMPTY="])
            .args(["--", "/usr/bin/env"])
            .run();
        out.ok();
        let want = sorted(&[
            "A=2",
            "B=x=y",
            "EMPTY=",
            "FILE_A=1",
            "FILE_B=two words",
            "FROM_HOST=host value",
            "HOME=/elsewhere",
            "HOSTNAME=h",
            &format!("PATH={DEFAULT_PATH}"),
        ]);
        assert_eq!(env_lines(&out), want, "{}: environment", out.desc);
    }
}

#[test]
fn bad_env_settings_are_cove_errors() {
    for mode in modes() {
        cove(mode).args(["run", "-e", "=x", "--", "true"]).run().cove_error("=x");
        cove(mode)
            .args(["run", "--env-file", "/nonexistent/cove.env", "--", "true"])
            .run()
            .cove_error("/nonexistent/cove.env");
    }
}

#[test]
fn workdir_is_created_and_used() {
    for mode in modes() {
        sh(mode, &["-w", "/work/deep/dir"], "pwd; test -d /work/deep/dir && echo isdir")
            .ok()
            .stdout_is("/work/deep/dir\nisdir\n");
        sh(mode, &["-w", "/tmp/a/../b"], "pwd").ok().stdout_is("/tmp/b\n");
        cove(mode).args(["run", "-w", "relative/dir", "--", "pwd"]).run().cove_error("--workdir");
    }
}

#[test]
fn workdir_in_a_rootfs() {
    for mode in modes() {
        let Some(root) = busybox(mode) else { continue };
        sh_in(mode, root, &["-w", "/srv/app"], "pwd").ok().stdout_is("/srv/app\n");
        assert!(!root.join("srv").exists(), "-w created /srv in the shared rootfs {}", root.display());
    }
}

#[test]
fn numeric_user() {
    for mode in modes() {
        sh(mode, &["-u", "1000"], "id -u; id -g; echo $HOME; touch $HOME/f && echo home-writable")
            .ok()
            .stdout_is("1000\n1000\n/home/user\nhome-writable\n");
        sh(mode, &["-u", "1000:1001"], "id -u; id -g").ok().stdout_is("1000\n1001\n");
        sh(mode, &["-u", "nobody"], "id -u; id -g").ok().stdout_is("65534\n65534\n");
    }
}

#[test]
fn unknown_user_name_is_a_cove_error() {
    for mode in modes() {
        cove(mode).args(["run", "-u", "nosuchuser", "--", "true"]).run().cove_error("unable to find user nosuchuser");
        if let Some(root) = busybox(mode) {
            cove(mode)
                .args(["run", "-u", "nosuchuser", "--rootfs"])
                .arg(root)
                .args(["--", "true"])
                .run()
                .cove_error("unable to find user nosuchuser");
        }
    }
}

#[test]
fn named_user_from_the_rootfs() {
    for mode in modes() {
        let Some(root) = busybox(mode) else { continue };
        sh_in(mode, root, &["-u", "app"], "id -u; id -g; echo $HOME").ok().stdout_is("1000\n1000\n/home/app\n");
    }
}

#[test]
fn hostname_flag_and_default() {
    for mode in modes() {
        sh(mode, &["--hostname", "my-host.example"], "hostname; cat /etc/hostname; echo $HOSTNAME")
            .ok()
            .stdout_is("my-host.example\nmy-host.example\nmy-host.example\n");
        let out = sh(mode, &[], "hostname; echo $HOSTNAME");
        out.ok();
        let lines = out.lines();
        let h = lines.first().cloned().unwrap_or_default();
        if h.len() != 12 || !h.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()) {
            out.fail("a 12-hex-digit default hostname");
        }
        if lines.get(1) != Some(&h) {
            out.fail("HOSTNAME equal to the hostname");
        }
        cove(mode).args(["run", "--hostname", "bad_host!", "--", "true"]).run().cove_error("--hostname");
    }
}

#[test]
fn stdin_is_dev_null_without_i() {
    for mode in modes() {
        cove(mode).args(["run", "--", "cat"]).stdin("must not arrive\n").run().ok().stdout_is("");
        cove(mode)
            .args(["run", "--", "sh", "-c", "readlink /proc/self/fd/0"])
            .stdin("x")
            .run()
            .ok()
            .stdout_is("/dev/null\n");
    }
}

#[test]
fn stdin_is_forwarded_with_i() {
    for mode in modes() {
        cove(mode).args(["run", "-i", "--", "cat"]).stdin("hello\nworld").run().ok().stdout_is("hello\nworld");
        // EOF on cove's stdin reaches the container.
        cove(mode).args(["run", "-i", "--", "sh", "-c", "cat; echo done"]).stdin("x").run().ok().stdout_is("xdone\n");
    }
}

#[test]
fn rm_is_accepted() {
    for mode in modes() {
        cove(mode).args(["run", "--rm", "--", "true"]).run().ok().stdout_is("").stderr_is("");
    }
}

#[test]
fn arguments_arrive_verbatim() {
    for mode in modes() {
        cove(mode)
            .args(["run", "--", "printf", "%s|", "a b", "ü", "", "*", "$HOME", "-e", "--", "'\""])
            .run()
            .ok()
            .stdout_is("a b|ü||*|$HOME|-e|--|'\"|");
    }
}

#[test]
fn rootfs_is_the_root_and_writes_are_thrown_away() {
    for mode in modes() {
        let dir = TestDir::new(mode, "throwaway");
        let Some(root) = dir.rootfs_copy(mode, "rootfs") else { continue };
        std::fs::write(root.join("marker.txt"), "fixture\n").unwrap();
        dir.own(&root.join("marker.txt"));
        let passwd = std::fs::read(root.join("etc/passwd")).unwrap();
        sh_in(
            mode,
            &root,
            &[],
            "cat /marker.txt; echo new > /newfile; echo more >> /etc/passwd; rm /bin/ls; cat /newfile; \
             test -e /bin/ls || echo ls-gone",
        )
        .ok()
        .stdout_is("fixture\nnew\nls-gone\n");
        assert!(
            !root.join("newfile").exists(),
            "[{}] a write in the container created {}/newfile",
            mode.label(),
            root.display()
        );
        assert_eq!(
            std::fs::read(root.join("etc/passwd")).unwrap(),
            passwd,
            "[{}] rootfs etc/passwd changed",
            mode.label()
        );
        assert!(root.join("bin/ls").symlink_metadata().is_ok(), "[{}] rootfs bin/ls was removed", mode.label());
        sh_in(mode, &root, &[], "test -e /newfile && echo leaked-between-runs; echo end").ok().stdout_is("end\n");
    }
}

#[test]
fn rootfs_rw_writes_land_in_the_directory() {
    for mode in modes() {
        let dir = TestDir::new(mode, "rootfs-rw");
        let Some(root) = dir.rootfs_copy(mode, "rootfs") else { continue };
        sh_in(mode, &root, &["--rootfs-rw"], "echo new > /newfile; rm /bin/ls").ok();
        assert_eq!(
            std::fs::read_to_string(root.join("newfile")).ok().as_deref(),
            Some("new\n"),
            "[{}] --rootfs-rw: expected {}/newfile = \"new\\n\"",
            mode.label(),
            root.display()
        );
        assert!(
            root.join("bin/ls").symlink_metadata().is_err(),
            "[{}] --rootfs-rw: rm /bin/ls did not land",
            mode.label()
        );
    }
}

#[test]
fn rootfs_environment() {
    for mode in modes() {
        let Some(root) = busybox(mode) else { continue };
        let out = cove(mode).args(["run", "--hostname", "bb", "--rootfs"]).arg(root).args(["--", "env"]).run();
        out.ok();
        let want = sorted(&["HOME=/root", "HOSTNAME=bb", &format!("PATH={DEFAULT_PATH}")]);
        assert_eq!(env_lines(&out), want, "{}: environment", out.desc);
    }
}

#[test]
fn bad_rootfs_is_a_cove_error() {
    for mode in modes() {
        let dir = TestDir::new(mode, "badroot");
        let file = dir.write("a-file", "x");
        cove(mode).args(["run", "--rootfs"]).arg(&file).args(["--", "true"]).run().cove_error("not a directory");
        let missing = dir.join("missing");
        cove(mode)
            .args(["run", "--rootfs"])
            .arg(&missing)
            .args(["--", "true"])
            .run()
            .cove_error(&missing.display().to_string());
        cove(mode).args(["run", "--rootfs-rw", "--", "true"]).run().code(125);
    }
}

/// `cove shell` reads commands from stdin (a terminal when there is one),
/// in the zero-setup sandbox or a --rootfs, and ends with the shell's code.
#[test]
fn shell_reads_stdin_and_returns_its_code() {
    for mode in modes() {
        let out = cove(mode).args(["shell"]).env("SHELL", "/bin/sh").stdin("echo hi; id -u; exit 3\n").run();
        out.code(3).stdout_is("hi\n0\n");
        if let Some(root) = busybox(mode) {
            let out = cove(mode).args(["shell", "--rootfs"]).arg(root).stdin("echo \"$HOSTNAME\" | wc -c\n").run();
            out.ok().stdout_is("13\n");
        }
    }
}
