//! Exit codes, Docker's conventions: the command's own code, 128+N when it
//! is killed by signal N, 125 for cove's own errors, 126 when the command
//! cannot be executed and 127 when it is not found.

mod common;

use common::*;

#[test]
fn the_commands_own_code() {
    for mode in modes() {
        sh(mode, &[], "exit 42").code(42).stdout_is("").stderr_is("");
        sh(mode, &[], "exit 0").code(0);
        sh(mode, &[], "exit 255").code(255);
        sh(mode, &["--init"], "exit 42").code(42);
        cove(mode).args(["run", "--", "false"]).run().code(1);
        if let Some(root) = busybox(mode) {
            sh_in(mode, root, &[], "exit 42").code(42);
        }
    }
}

#[test]
fn killed_by_a_signal_is_128_plus_n() {
    for mode in modes() {
        // With --init the shell is not pid 1, so it can be killed from inside.
        sh(mode, &["--init"], "kill -9 $$").code(137);
        sh(mode, &["--init"], "kill -TERM $$").code(143);
        sh(mode, &["--init"], "kill -USR1 $$").code(138);
        if let Some(root) = busybox(mode) {
            sh_in(mode, root, &["--init"], "kill -9 $$").code(137);
        }
    }
}

#[test]
fn cove_errors_are_125() {
    for mode in modes() {
        let out = cove(mode).args(["run", "--no-such-flag", "--", "true"]).run();
        out.code(125).stderr_has("--no-such-flag").stdout_is("");
        cove(mode).args(["no-such-verb"]).run().code(125);
        cove(mode).args(["run", "--network", "bogus", "--", "true"]).run().code(125);
        cove(mode)
            .args(["run", "--rootfs", "/nonexistent/cove/rootfs", "--", "true"])
            .run()
            .cove_error("/nonexistent/cove/rootfs");
        cove(mode).args(["run", "-w", "rel", "--", "true"]).run().cove_error("--workdir");
        // Without `--` the first word names an image; --pull never: the local store only.
        cove(mode)
            .env("COVE_ROOT", "/nonexistent/cove/store")
            .args(["run", "--pull", "never", "busybox", "true"])
            .run()
            .cove_error("image not found locally: busybox (and --pull never)");
        let out = cove(mode).args(["run", "-v", "/nonexistent/cove/src:/x", "--", "true"]).run();
        out.cove_error("/nonexistent/cove/src");
        if !out.stderr().starts_with("cove: ") {
            out.fail("stderr starting with \"cove: \"");
        }
    }
}

#[test]
fn help_and_version_are_not_errors() {
    for mode in modes() {
        cove(mode).args(["--version"]).run().ok().stdout_has("cove ");
        cove(mode).args(["run", "--help"]).run().ok().stdout_has("--rootfs");
    }
}

#[test]
fn not_executable_is_126() {
    for mode in modes() {
        cove(mode).args(["run", "--", "/etc/passwd"]).run().code(126).stderr_has("/etc/passwd").stdout_is("");
        cove(mode).args(["run", "--", "/tmp"]).run().code(126).stderr_has("/tmp");
        let dir = TestDir::new(mode, "noexec");
        dir.write("script.sh", "#!/bin/sh\necho should-not-run\n");
        cove(mode)
            .args(["run", "-v"])
            .arg(format!("{}:/data", dir.path().display()))
            .args(["--", "/data/script.sh"])
            .run()
            .code(126)
            .stdout_is("");
        if let Some(root) = busybox(mode) {
            cove(mode).args(["run", "--rootfs"]).arg(root).args(["--", "/etc/passwd"]).run().code(126);
        }
    }
}

#[test]
fn not_found_is_127() {
    for mode in modes() {
        cove(mode)
            .args(["run", "--", "no-such-command-xyz"])
            .run()
            .code(127)
            .stderr_has("executable file not found in $PATH")
            .stderr_has("no-such-command-xyz")
            .stdout_is("");
        cove(mode).args(["run", "--", "/no/such/file"]).run().code(127).stderr_has("no such file or directory");
        // PATH is the container's, not the caller's.
        cove(mode)
            .env("PATH", &format!("/nonexistent:{}", std::env::var("PATH").unwrap_or_default()))
            .args(["run", "-e", "PATH=/nonexistent", "--", "sh", "-c", "true"])
            .run()
            .code(127)
            .stderr_has("executable file not found in $PATH");
        if let Some(root) = busybox(mode) {
            // bash exists on the host but not in the busybox rootfs.
            cove(mode).args(["run", "--rootfs"]).arg(root).args(["--", "bash"]).run().code(127).stderr_has("bash");
        }
    }
}
