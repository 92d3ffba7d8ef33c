//! What a container can see: its own namespaces, a fresh /proc, a minimal
//! /dev, a read-only /sys, masked and read-only kernel paths, and in the
//! zero-setup sandbox only the host's read-only system directories.

mod common;

use common::*;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Mount point → (options, fs type) of the last mount on each point.
fn mounts_inside(out: &Out) -> BTreeMap<String, (Vec<String>, String)> {
    mountinfo(&out.stdout()).into_iter().map(|(p, o, t)| (p, (o, t))).collect()
}

/// The first `/etc/subuid`-style range of `user` (by name or uid).
fn subordinate_range(file: &str, user: &str, uid: u32) -> Option<(u32, u32)> {
    let text = std::fs::read_to_string(file).ok()?;
    text.lines().find_map(|l| {
        let f: Vec<&str> = l.trim().split(':').collect();
        let owner_matches = f.len() == 3 && (f[0] == user || f[0] == uid.to_string());
        owner_matches.then(|| Some((f[1].parse().ok()?, f[2].parse().ok()?)))?
    })
}

/// Whether setuid `newuidmap` and `newgidmap` are installed.
fn id_helpers() -> bool {
    use std::os::unix::fs::PermissionsExt;
    ["newuidmap", "newgidmap"].iter().all(|h| {
        ["/usr/bin", "/bin", "/usr/sbin", "/sbin"]
            .iter()
            .any(|d| std::fs::metadata(format!("{d}/{h}")).is_ok_and(|m| m.permissions().mode() & 0o4000 != 0))
    })
}

const MAPS: &str = "tr -s ' ' < /proc/self/uid_map | sed 's/^ //'; echo; tr -s ' ' < /proc/self/gid_map | sed 's/^ //'";

#[test]
fn id_mapping() {
    for mode in modes() {
        let (uid, gid) = mode.host_ids();
        let want = match mode {
            Mode::Root => "0 0 4294967295\n\n0 0 4294967295\n".to_owned(),
            Mode::Rootless => {
                let user = if is_root() { TEST_USER.to_owned() } else { std::env::var("USER").unwrap_or_default() };
                let sub = (subordinate_range("/etc/subuid", &user, uid), subordinate_range("/etc/subgid", &user, uid));
                match sub {
                    // Docs (architecture.md, "Id mapping"): 0 → caller, 1..=65535 → the first range.
                    (Some((us, uc)), Some((gs, gc))) if id_helpers() => {
                        format!("0 {uid} 1\n1 {us} {}\n\n0 {gid} 1\n1 {gs} {}\n", uc.min(65535), gc.min(65535))
                    }
                    _ => format!("0 {uid} 1\n\n0 {gid} 1\n"),
                }
            }
        };
        sh(mode, &[], MAPS).ok().stdout_is(&want);
    }
}

#[test]
fn single_id_map_without_subordinate_ids() {
    // COVE_SUBIDS=off: one id, the requested user, mapped onto the caller.
    for mode in modes().into_iter().filter(|m| *m == Mode::Rootless) {
        let (uid, gid) = mode.host_ids();
        let run = |flags: &[&str], script: &str| {
            cove(mode).env("COVE_SUBIDS", "off").arg("run").args(flags).args(["--", "sh", "-c", script]).run()
        };
        run(&[], MAPS).ok().stdout_is(&format!("0 {uid} 1\n\n0 {gid} 1\n"));
        run(&["-u", "1000:1000"], MAPS).ok().stdout_is(&format!("1000 {uid} 1\n\n1000 {gid} 1\n"));
        run(&["-u", "1000"], "id -u; echo $HOME; touch $HOME/f && echo home-writable")
            .ok()
            .stdout_is("1000\n/home/user\nhome-writable\n");
        if let Some(root) = busybox(mode) {
            let r = root.display().to_string();
            run(&["--rootfs", &r, "-u", "app"], "id -u; echo x > /tmp/f && cat /tmp/f").ok().stdout_is("1000\nx\n");
            run(&["--rootfs", &r], "echo x > /newfile && cat /newfile").ok().stdout_is("x\n");
        }
    }
}

#[test]
fn every_namespace_is_new() {
    let host = host_namespaces();
    let script = "for n in user mnt pid uts ipc cgroup net; do readlink /proc/self/ns/$n; done";
    for mode in modes() {
        for root in roots(mode) {
            let out = sh_root(mode, &root, &[], script);
            out.ok();
            let inside = out.lines();
            if inside.len() != host.len() {
                out.fail("one namespace link per kind");
            }
            for ((name, h), c) in host.iter().zip(&inside) {
                if h == c {
                    out.fail(&format!("a new {name} namespace (host has {h})"));
                }
            }
            let out = sh_root(mode, &root, &["--network", "host"], script);
            out.ok();
            for ((name, h), c) in host.iter().zip(&out.lines()) {
                if (name == "net") != (h == c) {
                    out.fail(&format!(
                        "with --network host: the host's net namespace only ({name}: host {h}, inside {c})"
                    ));
                }
            }
        }
    }
}

#[test]
fn command_is_pid_1_and_sees_only_container_processes() {
    let me = std::process::id();
    for mode in modes() {
        for root in roots(mode) {
            let out = sh_root(mode, &root, &[], "echo $$; ls /proc | grep -E '^[0-9]+$'; true");
            out.ok();
            let lines = out.lines();
            if lines.first().map(String::as_str) != Some("1") {
                out.fail("the command as pid 1");
            }
            let pids: Vec<u32> = lines[1..].iter().filter_map(|l| l.parse().ok()).collect();
            if pids.is_empty() || pids.iter().any(|&p| p > 20 || p == me) || !pids.contains(&1) {
                out.fail("only the container's few processes in /proc (pids 1..20)");
            }
        }
    }
}

#[test]
fn busybox_ps_shows_only_the_container() {
    for mode in modes() {
        let Some(root) = busybox(mode) else { continue };
        let out = sh_in(mode, root, &[], "ps -o pid,comm; true");
        out.ok();
        let procs: BTreeSet<String> =
            out.lines().iter().skip(1).map(|l| l.split_whitespace().collect::<Vec<_>>().join(" ")).collect();
        let want: BTreeSet<String> = ["1 sh".to_owned()].into_iter().collect();
        let rest: BTreeSet<String> = procs.difference(&want).cloned().collect();
        if !procs.contains("1 sh") || rest.len() != 1 || !rest.iter().all(|p| p.ends_with(" ps")) {
            out.fail("ps listing exactly \"1 sh\" and the ps process");
        }
    }
}

#[test]
fn network_none_has_only_loopback_up() {
    for mode in modes() {
        for root in roots(mode) {
            // --rootfs defaults to the built-in network (issue 7), so ask for none.
            let none = ["--network", "none"];
            let out = sh_root(mode, &root, &none, "cat /proc/net/dev");
            out.ok();
            let want: BTreeSet<String> = ["lo".to_owned()].into_iter().collect();
            if interfaces(&out.stdout()) != want {
                out.fail("only lo in /proc/net/dev");
            }
            sh_root(mode, &root, &none, "ls /sys/class/net").ok().stdout_is("lo\n");
            let out = sh_root(mode, &root, &none, "cat /sys/class/net/lo/flags");
            out.ok();
            let flags = u32::from_str_radix(out.stdout().trim().trim_start_matches("0x"), 16).unwrap_or(0);
            if flags & 1 == 0 {
                out.fail("lo up (IFF_UP set in /sys/class/net/lo/flags)");
            }
        }
    }
}

#[test]
fn network_host_shows_the_hosts_interfaces() {
    let host = interfaces(&std::fs::read_to_string("/proc/self/net/dev").unwrap());
    for mode in modes() {
        for flag in ["--network", "--net"] {
            let out = sh(mode, &[flag, "host"], "cat /proc/net/dev");
            out.ok();
            if interfaces(&out.stdout()) != host {
                out.fail(&format!("the host's interfaces {host:?}"));
            }
        }
    }
}

#[test]
fn kernel_filesystems_are_mounted() {
    for mode in modes() {
        for root in roots(mode) {
            let out = sh_root(mode, &root, &[], "cat /proc/self/mountinfo");
            out.ok();
            let m = mounts_inside(&out);
            for (point, fstype) in [
                ("/proc", "proc"),
                ("/dev", "tmpfs"),
                ("/dev/pts", "devpts"),
                ("/dev/shm", "tmpfs"),
                ("/dev/mqueue", "mqueue"),
                ("/sys", "sysfs"),
            ] {
                match m.get(point) {
                    Some((_, t)) if t == fstype => {}
                    other => out.fail(&format!("{fstype} mounted on {point} (found {other:?})")),
                }
            }
            if !m.get("/sys").is_some_and(|(o, _)| o.iter().any(|x| x == "ro")) {
                out.fail("/sys mounted read-only");
            }
            if root.is_empty() && m.get("/tmp").map(|(_, t)| t.as_str()) != Some("tmpfs") {
                out.fail("a tmpfs on /tmp in the zero-setup sandbox");
            }
            if !root.is_empty() && m.get("/").map(|(_, t)| t.as_str()) != Some("overlay") {
                out.fail("an overlay on / with --rootfs (throwaway writes)");
            }
        }
    }
}

#[test]
fn dev_is_minimal() {
    for mode in modes() {
        for root in roots(mode) {
            sh_root(mode, &root, &[], "ls -A /dev").ok().stdout_is(
                "fd\nfull\nmqueue\nnull\nptmx\npts\nrandom\nshm\nstderr\nstdin\nstdout\ntty\nurandom\nzero\n",
            );
            sh_root(
                mode,
                &root,
                &[],
                "for d in null zero full random urandom tty; do test -c /dev/$d || echo not-a-char-device $d; done; \
                 for l in fd stdin stdout stderr ptmx; do echo $l $(readlink /dev/$l); done",
            )
            .ok()
            .stdout_is("fd /proc/self/fd\nstdin /proc/self/fd/0\nstdout /proc/self/fd/1\nstderr /proc/self/fd/2\nptmx pts/ptmx\n");
            sh_root(
                mode,
                &root,
                &[],
                "echo x > /dev/null && head -c 3 /dev/zero | od -An -tx1 | tr -d ' \\n'; echo; \
                 head -c 16 /dev/urandom | wc -c | tr -d ' '; \
                 echo x > /dev/full 2>/dev/null || echo full-refused; \
                 echo shm > /dev/shm/f && cat /dev/shm/f",
            )
            .ok()
            .stdout_is("000000\n16\nfull-refused\nshm\n");
        }
    }
}

#[test]
fn sys_is_read_only() {
    for mode in modes() {
        for root in roots(mode) {
            sh_root(mode, &root, &[], "touch /sys/cove-x 2>/dev/null && echo WROTE; mkdir /sys/kernel/cove-x 2>/dev/null && echo MADE; echo end")
                .ok()
                .stdout_is("end\n");
        }
    }
}

#[test]
fn masked_paths_read_as_empty() {
    let files: Vec<&str> = ["/proc/kcore", "/proc/keys", "/proc/timer_list", "/proc/sched_debug"]
        .into_iter()
        .filter(|p| Path::new(p).exists())
        .collect();
    let dirs: Vec<&str> = ["/sys/firmware", "/proc/acpi", "/proc/scsi", "/proc/asound"]
        .into_iter()
        .filter(|p| std::fs::read_dir(p).is_ok_and(|mut d| d.next().is_some()))
        .collect();
    if files.is_empty() && dirs.is_empty() {
        skip("masked paths", "the host has none of the masked paths");
        return;
    }
    let mut script = String::new();
    for f in &files {
        script.push_str(&format!("echo {f} $(head -c 64 {f} 2>/dev/null | wc -c); "));
    }
    for d in &dirs {
        script.push_str(&format!("echo {d} $(ls -A {d} 2>/dev/null | wc -l); "));
    }
    let want: String = files.iter().chain(&dirs).map(|p| format!("{p} 0\n")).collect();
    for mode in modes() {
        for root in roots(mode) {
            sh_root(mode, &root, &[], &script).ok().stdout_is(&want);
            let out = sh_root(mode, &root, &[], "cat /proc/self/mountinfo");
            let m = mounts_inside(&out);
            for p in files.iter().chain(&dirs) {
                if !m.contains_key(*p) {
                    out.fail(&format!("a masking mount on {p}"));
                }
            }
        }
    }
}

#[test]
fn proc_sys_and_sysrq_trigger_are_read_only() {
    for mode in modes() {
        for root in roots(mode) {
            // Harmless even if it worked: the container has its own UTS namespace.
            sh_root(
                mode,
                &root,
                &["--hostname", "keep"],
                "echo pwned > /proc/sys/kernel/hostname 2>/dev/null; hostname",
            )
            .ok()
            .stdout_is("keep\n");
            let out = sh_root(mode, &root, &[], "cat /proc/self/mountinfo");
            out.ok();
            let m = mounts_inside(&out);
            for p in ["/proc/sys", "/proc/sysrq-trigger"].into_iter().filter(|p| Path::new(p).exists()) {
                if !m.get(p).is_some_and(|(o, _)| o.iter().any(|x| x == "ro")) {
                    out.fail(&format!("a read-only mount on {p} (found {:?})", m.get(p)));
                }
            }
        }
    }
}

#[test]
fn zero_setup_hides_the_hosts_own_files() {
    for mode in modes() {
        let out = sh(
            mode,
            &[],
            "for d in /home /root /var /run /tmp /mnt /opt /srv /media; do echo \"$d: $(ls -A $d | tr '\\n' ' ')\"; done; \
             for f in /etc/shadow /etc/gshadow /etc/sudoers /etc/ssh /etc/machine-id; do test -e $f && echo VISIBLE $f; done; true",
        );
        out.ok().stdout_is("/home: \n/root: \n/var: tmp \n/run: \n/tmp: \n/mnt: \n/opt: \n/srv: \n/media: \n");
        // A non-root user's home is the only thing in /home.
        sh(mode, &["-u", "1000"], "ls -A /home").ok().stdout_is("user\n");
    }
}

#[test]
fn zero_setup_system_dirs_are_the_hosts_read_only() {
    let name = unique("cove-ro-probe");
    let host_probe = Path::new("/usr").join(&name);
    for mode in modes() {
        let out = sh(
            mode,
            &[],
            &format!("test -x /usr/bin/env && echo has-env; touch /usr/{name} 2>/dev/null && echo WROTE-USR; echo end"),
        );
        let leaked = host_probe.exists();
        let _ = std::fs::remove_file(&host_probe);
        out.ok().stdout_is("has-env\nend\n");
        assert!(!leaked, "{}: created {} on the host", out.desc, host_probe.display());
        for dir in ["/bin", "/sbin", "/lib", "/lib64"] {
            let host = std::fs::read_link(dir).ok();
            let out = sh(mode, &[], &format!("readlink {dir} || echo not-a-link"));
            out.ok();
            let want = host.map_or("not-a-link".to_owned(), |t| t.display().to_string());
            if out.stdout().trim() != want {
                out.fail(&format!("{dir} as on the host ({want})"));
            }
        }
    }
}
