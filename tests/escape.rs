//! Container escapes of the runc CVE classes, tried for real against
//! `cove exec` into a hostile running container (root and rootless):
//! - CVE-2024-21626: a working directory through a descriptor cove still
//!   holds (`-w /proc/self/fd/N`) must not put the process outside the root;
//! - CVE-2019-5736: the exec process must not be visible as cove's binary
//!   (`/proc/PID/exe`) to the container before it has executed;
//! - a hostile `/etc/passwd` (a link to `/dev/zero`, a fifo, a link that
//!   climbs with `..`) must neither hang cove nor be read outside the root.

mod common;

use common::store::Store;
use common::*;
use std::time::Duration;

/// A detached busybox container in a private store; `None` (with a SKIP)
/// without the fixture.
fn container(store: &Store, flags: &[&str]) -> Option<String> {
    let root = busybox(store.mode)?.display().to_string();
    let name = unique("escape");
    let mut args = vec!["run", "-d", "--name", &name, "--rootfs", &root];
    args.extend_from_slice(flags);
    let sleeper = store.sleeper();
    args.extend_from_slice(&["--", "sh", "-c", &sleeper]);
    store.cove(&args).ok();
    Some(name)
}

fn exec(store: &Store, flags: &[&str], name: &str, script: &str) -> Cove {
    cove(store.mode)
        .env("COVE_ROOT", store.root.to_str().unwrap())
        .arg("exec")
        .args(flags)
        .arg(name)
        .args(["sh", "-c", script])
        .timeout(Duration::from_secs(20))
}

/// CVE-2024-21626: cove is started with fd 9 open on the host's `/` (as a
/// careless caller or engine might leave one); `-w /proc/self/fd/9` must be
/// refused, not land the command in the host's root.
#[test]
fn exec_cwd_through_a_leaked_descriptor_is_refused() {
    for mode in modes() {
        let store = Store::new(mode);
        let Some(name) = container(&store, &[]) else { return };
        let out = exec(&store, &["-w", "/proc/self/fd/9"], &name, "ls; echo LISTED")
            .via(&["sh", "-c", "exec \"$0\" \"$@\" 9</"])
            .run();
        if out.code != Some(125) || out.stdout().contains("LISTED") {
            out.fail("exit 125 (working directory outside the container root), nothing listed");
        }
        out.stderr_has("outside the container root");
        // Its parent is the container's own /proc/self/fd, or refused.
        let out = exec(&store, &["-w", "/proc/self/fd/9/.."], &name, "ls; echo LISTED")
            .via(&["sh", "-c", "exec \"$0\" \"$@\" 9</etc"])
            .run();
        if !matches!(out.code, Some(0) | Some(125)) || out.stdout().contains("etc\n") {
            out.fail("the container's /proc/self/fd, or exit 125, never the host's /");
        }
    }
}

/// CVE-2019-5736: a container with every capability watches
/// `/proc/*/exe` while cove execs into it 30 times; it must never see
/// cove's own binary (the exec process is not dumpable until `execve`).
#[test]
fn exec_process_never_shows_coves_binary() {
    let bin = std::fs::canonicalize(BIN).unwrap().display().to_string();
    for mode in modes() {
        let store = Store::new(mode);
        let watch = "while :; do for p in /proc/[0-9]*; do readlink $p/exe; done; done 2>/dev/null | grep -v busybox > /tmp/seen";
        let Some(name) = container(&store, &["--cap-add", "ALL"]) else { return };
        exec(&store, &["-d"], &name, watch).run().ok();
        for _ in 0..30 {
            exec(&store, &[], &name, "true").run().ok();
        }
        let out = exec(&store, &[], &name, "sort -u /tmp/seen").run();
        out.ok();
        if out.stdout().contains(&bin) {
            out.fail(&format!("no process in the container shown as {bin}"));
        }
    }
}

/// The container's `/etc/passwd` is the container's to break: a link to
/// `/dev/zero` or a fifo holds no users (`-u app` is unknown, 125; a plain
/// exec works), and never hangs cove or fills its memory; a link climbing with `..` is resolved
/// inside the root.
#[test]
fn exec_survives_a_hostile_user_database() {
    for mode in modes() {
        let store = Store::new(mode);
        let Some(name) = container(&store, &[]) else { return };
        for break_it in ["ln -sf /dev/zero /etc/passwd", "rm /etc/passwd && mkfifo /etc/passwd"] {
            exec(&store, &[], &name, break_it).run().ok();
            let out = exec(&store, &["-u", "app"], &name, "id").run();
            out.code(125).stderr_has("app");
            exec(&store, &[], &name, "echo in").run().ok().stdout_is("in\n");
        }
        let climb = "rm -f /etc/passwd; ln -s ../../../../../etc/mine /etc/passwd; \
                     echo 'ghost:x:4242:4242::/:/bin/sh' > /etc/mine";
        exec(&store, &[], &name, climb).run().ok();
        exec(&store, &["-u", "ghost"], &name, "id -u").run().ok().stdout_is("4242\n");
        // The host's root account is not a user of the container's.
        exec(&store, &["-u", "daemon"], &name, "id -u").run().code(125);
    }
}

/// Device nodes on bound host paths (a `-v` volume, a `--rootfs-rw`
/// directory unpacked by root) never open: cove has no devices cgroup, so
/// every bind is `nodev` (Docker's devices cgroup allows only its defaults).
#[test]
fn device_nodes_on_binds_do_not_open() {
    if !is_root() {
        skip("device nodes on binds", "creating a device node needs root");
        return;
    }
    for mode in modes() {
        let dir = TestDir::new(mode, "devnode");
        let Some(root) = dir.rootfs_copy(mode, "root") else { return };
        let vol = dir.mkdir("vol");
        for node in [vol.join("null"), root.join("null")] {
            run_host(std::process::Command::new("mknod").args(["-m", "666"]).arg(&node).args(["c", "1", "3"]));
        }
        let probe = "for f in /v/null /null; do echo x > $f && echo OPENED $f; done; echo end";
        let root = root.display().to_string();
        let vol = format!("{}:/v", vol.display());
        let out = cove(mode).args(["run", "--rootfs-rw", "--rootfs", &root, "-v", &vol, "--", "sh", "-c", probe]).run();
        out.ok();
        if out.stdout().contains("OPENED") {
            out.fail("no device node on a bind opens");
        }
    }
}

/// A container (with SYS_ADMIN, so it can unmount its `/dev/null`) makes
/// `/dev/null` a link to `/proc/self/fd/9` or a fifo: `cove exec` (with fd 9
/// open on a host file) must neither hand that file to the container as
/// stdin nor hang.
#[test]
fn exec_refuses_a_replaced_dev_null() {
    for mode in modes() {
        let store = Store::new(mode);
        let dir = TestDir::new(mode, "devnull");
        let secret = dir.write("secret", "HOST-SECRET\n");
        let Some(name) = container(&store, &["--cap-add", "SYS_ADMIN"]) else { return };
        for replace in ["ln -s /proc/self/fd/9 /dev/null", "mkfifo /dev/null"] {
            let script = format!("umount -l /dev/null 2>/dev/null; rm -f /dev/null; {replace}");
            exec(&store, &["-i"], &name, &script).run().ok();
            let open9 = format!("exec \"$0\" \"$@\" 9<{}", secret.display());
            let out = exec(&store, &[], &name, "cat; echo done").via(&["sh", "-c", &open9]).run();
            if out.code != Some(125) || out.stdout().contains("HOST-SECRET") {
                out.fail(&format!("exit 125 (not the null device) after {replace:?}, no host file as stdin"));
            }
            out.stderr_has("/dev/null");
        }
    }
}

/// Masks reached by other paths, cgroupfs, and device nodes made inside.
#[test]
fn masks_cgroupfs_and_mknod_hold() {
    let masked = ["/proc/timer_list", "/proc/keys", "/proc/interrupts"];
    let Some(file) = masked.into_iter().find(|f| std::path::Path::new(f).exists()) else {
        skip("masks by other paths", "the host has none of the masked files");
        return;
    };
    let name = file.trim_start_matches("/proc/");
    let script = format!(
        "for p in /proc/self/task/$$/../../{name} /proc/1/root/proc/{name} /proc/self/root/proc/{name}; do \
           printf '%s:' $p; cat $p 2>/dev/null | wc -c; done; \
         touch /sys/fs/cgroup/x 2>/dev/null && echo CGROUP-WRITABLE; \
         mknod /tmp/b b 254 0 2>/dev/null && echo MKNOD-BLOCK; mknod /tmp/m c 1 1 2>/dev/null && echo MKNOD-MEM; \
         echo end"
    );
    for mode in modes() {
        for root in roots(mode) {
            let out = sh_root(mode, &root, &[], &script);
            out.ok();
            for line in out.lines().iter().filter(|l| l.contains(':')) {
                if !line.ends_with(":0") {
                    out.fail(&format!("{file} empty by every path (got {line})"));
                }
            }
            if !out.stdout().ends_with("end\n") || out.lines().len() != 4 {
                out.fail("three empty reads, no writable cgroupfs, no device node made, then end");
            }
        }
    }
}

/// A root filesystem whose `/proc` is a link: proc lands at the link's
/// target inside the root, and the masks with it.
#[test]
fn proc_as_a_symlink_keeps_its_masks() {
    let Some(file) =
        ["/proc/timer_list", "/proc/keys", "/proc/interrupts"].into_iter().find(|f| std::path::Path::new(f).exists())
    else {
        skip("proc as a symlink", "the host has none of the masked files");
        return;
    };
    let name = file.trim_start_matches("/proc/");
    for mode in modes() {
        let dir = TestDir::new(mode, "proclink");
        let Some(root) = dir.rootfs_copy(mode, "root") else { return };
        std::fs::remove_dir(root.join("proc")).unwrap();
        dir.mkdir("root/fake");
        dir.symlink("/fake", "root/proc");
        let script = format!(
            "cat /proc/{name} | wc -c; cat /fake/{name} | wc -c; (echo 1 > /proc/sys/kernel/ns_last_pid) 2>/dev/null && echo WROTE; true"
        );
        let out = sh_root(mode, &["--rootfs".to_owned(), root.display().to_string()], &[], &script);
        out.ok().stdout_is("0\n0\n");
    }
}
