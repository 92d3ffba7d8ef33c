//! Issue 9: runtime-spec conformance beyond the basic lifecycle (tests/oci.rs):
//! pause/resume through the freezer, `update`, joining namespaces by path,
//! and config fields checked from inside the container. Every cove call has
//! a deadline; containers are force-deleted on drop.

mod common;

use common::*;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::time::Duration;

#[path = "oci/support.rs"]
#[allow(dead_code)]
mod oci_support;
use oci_support::*;

#[path = "oci/netns.rs"]
mod netns;

#[path = "oci/hooks.rs"]
mod hooks;
use netns::NetNs;

/// The cgroup directories `create` (and later verbs) recorded.
fn recorded_cgroups(b: &Bundle) -> Vec<PathBuf> {
    let record: Value = serde_json::from_slice(&std::fs::read(b.root.join(&b.id).join("state.json")).unwrap()).unwrap();
    record["cgroups"].as_array().unwrap().iter().map(|d| d.as_str().unwrap().into()).collect()
}

/// The first recorded cgroup file among `names` and its text.
fn cgroup_value(b: &Bundle, names: &[&str]) -> Option<String> {
    recorded_cgroups(b).iter().find_map(|d| names.iter().find_map(|f| std::fs::read_to_string(d.join(f)).ok()))
}

/// pause freezes every process (a counter stops), `state` says paused,
/// resume thaws; update rewrites memory, CPU and pids limits (adding the
/// cgroup when the container had none); delete --force of a paused
/// container works. Rootless on a host without a delegated cgroup: refused.
#[test]
fn pause_resume_and_update() {
    let script = "i=0; while :; do i=$((i+1)); echo $i > /count; sleep 0.02; done";
    for mode in modes() {
        let Some(b) = Bundle::new(mode, "pause", &["sh", "-c", script]) else { continue };
        b.create(&[]).ok();
        b.oci(&["pause", &b.id]).code(1).stderr_has("it is created");
        b.oci(&["start", &b.id]).ok();
        let count = || std::fs::read_to_string(b.rootfs.join("count")).ok().and_then(|t| t.trim().parse::<u64>().ok());
        assert!(wait_until(|| count().is_some()));
        let out = b.oci(&["pause", &b.id]);
        if out.code != Some(0) {
            assert_eq!(mode, Mode::Rootless, "{}", out.stderr());
            out.code(1).stderr_has("pause container");
            assert_eq!(b.state()["status"], "running");
            b.oci(&["update", "--pids-limit", "10", &b.id]).code(1).stderr_has("update container");
            continue;
        }
        assert_eq!(b.state()["status"], "paused", "[{}]", mode.label());
        std::thread::sleep(Duration::from_millis(100));
        let frozen_at = count();
        std::thread::sleep(Duration::from_millis(300));
        assert_eq!(count(), frozen_at, "[{}] the counter ran while paused", mode.label());
        b.oci(&["pause", &b.id]).code(1).stderr_has("it is paused");
        b.oci(&["exec", &b.id, "true"]).code(1).stderr_has("it is paused");
        b.oci(&["start", &b.id]).code(1);
        b.oci(&["resume", &b.id]).ok();
        assert_eq!(b.state()["status"], "running");
        assert!(wait_until(|| count() > frozen_at), "[{}] resume did not thaw", mode.label());
        b.oci(&["resume", &b.id]).code(1).stderr_has("it is running");

        b.oci(&["update", "--memory", "50331648", "--pids-limit", "15", &b.id]).ok();
        assert_eq!(cgroup_value(&b, &["memory.limit_in_bytes", "memory.max"]).unwrap().trim(), "50331648");
        assert_eq!(cgroup_value(&b, &["pids.max"]).unwrap().trim(), "15");
        let file = b.dir.write("res.json", json!({"pids": {"limit": 25}, "memory": {"limit": 100663296}}).to_string());
        b.oci(&["update", "--resources", file.to_str().unwrap(), &b.id]).ok();
        assert_eq!(cgroup_value(&b, &["pids.max"]).unwrap().trim(), "25");
        assert_eq!(cgroup_value(&b, &["memory.limit_in_bytes", "memory.max"]).unwrap().trim(), "100663296");
        b.oci(&["update", "--cpu-quota", "20000", "--cpu-period", "100000", &b.id]).ok();
        let quota = cgroup_value(&b, &["cpu.cfs_quota_us", "cpu.max"]).unwrap();
        assert!(quota.starts_with("20000"), "cpu quota {quota}");
        let shares = b.dir.write("shares.json", json!({"cpu": {"shares": 512}}).to_string());
        b.oci(&["update", "--resources", shares.to_str().unwrap(), &b.id]).ok();
        let weight = cgroup_value(&b, &["cpu.shares", "cpu.weight"]).unwrap();
        assert!(["512", "20"].contains(&weight.trim()), "cpu shares {weight}");
        let bad = b.dir.write("bad.json", json!({"blockIO": {"weight": 10}}).to_string());
        b.oci(&["update", "--resources", bad.to_str().unwrap(), &b.id]).code(1).stderr_has("blockIO");

        b.oci(&["pause", &b.id]).ok();
        let dirs = recorded_cgroups(&b);
        let pid = b.state()["pid"].as_i64().unwrap();
        b.oci(&["delete", "--force", &b.id]).ok();
        assert!(!std::path::Path::new(&format!("/proc/{pid}/cmdline")).exists() || zombie(pid), "pid {pid} left");
        assert!(wait_until(|| dirs.iter().all(|d| !d.exists())), "cgroups left after delete: {dirs:?}");
    }
}

/// The inode of a namespace file, as `readlink /proc/PID/ns/X` prints it.
fn ns_link(path: &str) -> String {
    use std::os::unix::fs::MetadataExt;
    let ino = std::fs::metadata(path).unwrap_or_else(|e| panic!("{path}: {e}")).ino();
    format!("{ino}")
}

/// A config joining a netns from `ip netns add`: the process is in it
/// (same inode) and sees its interface; a path of the wrong kind or a
/// missing one fails create, naming it, and leaves nothing behind.
#[test]
fn joins_a_network_namespace_by_path() {
    if !is_root() {
        skip("oci: netns by path", "needs root (ip netns add)");
        return;
    }
    let Some(netns) = NetNs::new() else { return };
    let Some(b) = Bundle::new(
        Mode::Root,
        "netns",
        &["sh", "-c", "readlink /proc/self/ns/net > /ns; cat /proc/net/dev > /dev.txt"],
    ) else {
        return;
    };
    let join = |c: &mut Value, path: &str| {
        let list = c["linux"]["namespaces"].as_array_mut().unwrap();
        list.retain(|n| n["type"] != "network");
        list.push(json!({"type": "network", "path": path}));
    };
    b.edit(|c| join(c, &netns.path()));
    b.create(&[]).ok();
    b.oci(&["start", &b.id]).ok();
    assert!(wait_until(|| b.state()["status"] == "stopped"));
    let seen = std::fs::read_to_string(b.rootfs.join("ns")).unwrap();
    assert_eq!(seen.trim(), format!("net:[{}]", ns_link(&netns.path())));
    let devs = std::fs::read_to_string(b.rootfs.join("dev.txt")).unwrap();
    assert!(devs.contains(&netns.peer()), "the container does not see {}: {devs}", netns.peer());
    b.oci(&["delete", &b.id]).ok();
    b.edit(|c| join(c, "/proc/self/ns/ipc"));
    b.create(&[]).code(1).stderr_has("setns Net namespace /proc/self/ns/ipc");
    assert!(!b.root.join(&b.id).exists());
    b.edit(|c| join(c, "/run/netns/cove-none"));
    b.create(&[]).code(1).stderr_has("/run/netns/cove-none");
}

/// Pod-like: a second container joins the first one's user, pid, net, ipc
/// and uts namespaces by /proc/PID/ns paths (user first) and sees its
/// processes; it still gets a mount namespace of its own.
#[test]
fn a_second_container_joins_the_first_ones_namespaces() {
    for mode in modes() {
        let Some(a) = Bundle::new(mode, "pod-a", &["sleep", "20"]) else { continue };
        a.create(&[]).ok();
        a.oci(&["start", &a.id]).ok();
        let pid = a.state()["pid"].as_i64().unwrap();
        let script = "for n in user pid net ipc uts mnt; do readlink /proc/self/ns/$n; done > /ns; \
                      hostname > /host; cat /proc/1/cmdline | tr '\\0' ' ' > /pid1";
        let Some(b) = Bundle::new(mode, "pod-b", &["sh", "-c", script]) else { continue };
        b.edit(|c| {
            let kinds = [("user", "user"), ("pid", "pid"), ("network", "net"), ("ipc", "ipc"), ("uts", "uts")];
            let list = c["linux"]["namespaces"].as_array_mut().unwrap();
            list.retain(|n| !kinds.iter().any(|(k, _)| n["type"] == *k));
            for (kind, file) in kinds {
                list.push(json!({"type": kind, "path": format!("/proc/{pid}/ns/{file}")}));
            }
            c["hostname"] = json!("pod");
            let linux = c["linux"].as_object_mut().unwrap();
            linux.remove("uidMappings");
            linux.remove("gidMappings");
        });
        b.create(&[]).ok();
        b.oci(&["start", &b.id]).ok();
        assert!(wait_until(|| b.state()["status"] == "stopped"), "[{}] b did not finish", mode.label());
        let seen = std::fs::read_to_string(b.rootfs.join("ns")).unwrap_or_default();
        let seen: Vec<&str> = seen.lines().collect();
        assert_eq!(seen.len(), 6, "[{}] {seen:?}", mode.label());
        for (i, n) in ["user", "pid", "net", "ipc", "uts"].iter().enumerate() {
            let theirs = std::fs::read_link(format!("/proc/{pid}/ns/{n}")).unwrap();
            assert_eq!(seen[i], theirs.to_str().unwrap(), "[{}] {n} namespace not joined", mode.label());
        }
        let their_mnt = std::fs::read_link(format!("/proc/{pid}/ns/mnt")).unwrap();
        assert_ne!(seen[5], their_mnt.to_str().unwrap(), "[{}] mount namespace shared", mode.label());
        let pid1 = std::fs::read_to_string(b.rootfs.join("pid1")).unwrap();
        assert!(pid1.starts_with("sleep 20"), "[{}] b's pid 1 is {pid1:?}", mode.label());
        assert_eq!(std::fs::read_to_string(b.rootfs.join("host")).unwrap().trim(), "pod");
        b.oci(&["delete", &b.id]).ok();
    }
}

/// The fields runtime-spec conformance checks look at from inside, in one
/// container: every capability set as named, rlimits, user, groups, umask,
/// cwd, env, hostname, domainname, oomScoreAdj, noNewPrivileges, masked
/// and read-only paths, a read-only root, mountinfo sources and types, the
/// default devices and /dev symlinks.
#[test]
fn config_fields_are_seen_from_inside() {
    let script = "grep -E '^(Cap|NoNewPrivs|Groups|Umask)' /proc/self/status; \
        echo rl $(ulimit -Sn) $(ulimit -Hn); echo id $(id -u) $(id -g); echo cwd $(pwd); echo env $FOO; \
        echo host $(hostname) $(cat /proc/sys/kernel/domainname); echo oom $(cat /proc/self/oom_score_adj); \
        echo keys $(wc -c < /proc/keys); touch /proc/sys/x 2>/dev/null && echo sysrw; \
        touch /rootwrite 2>/dev/null && echo rootrw; \
        for d in null zero full random urandom tty; do test -c /dev/$d && echo dev $d; done; \
        for l in fd stdin stdout stderr ptmx; do echo link $l $(readlink /dev/$l); done; \
        cat /proc/self/mountinfo";
    let script = format!("{{ {script}; }} > /out/out.txt 2>&1");
    for mode in modes() {
        let Some(b) = Bundle::new(mode, "inside", &["sh", "-c", &script]) else { continue };
        let outdir = b.dir.mkdir("outdir");
        let out = outdir.join("out.txt");
        b.edit(|c| set_every_field(c, &outdir));
        b.create(&[]).ok();
        b.oci(&["start", &b.id]).ok();
        assert!(wait_until(|| b.state()["status"] == "stopped"), "[{}] did not finish", mode.label());
        let text = std::fs::read_to_string(&out).unwrap_or_default();
        if text.is_empty() {
            let config = std::fs::read_to_string(b.dir.join("config.json")).unwrap_or_default();
            panic!("[{}] no output in {}; config {config}", mode.label(), out.display());
        }
        let has =
            |line: &str| assert!(text.lines().any(|l| l.trim() == line), "[{}] no {line:?} in:\n{text}", mode.label());
        // root: exec makes permitted = bounding | inheritable, effective = permitted
        has("CapInh:\t0000000000000020");
        has("CapBnd:\t0000000000002021");
        has("CapAmb:\t0000000000000020");
        has("NoNewPrivs:\t1");
        has("Umask:\t0077");
        has("rl 321 654");
        has("id 0 0");
        has("cwd /tmp");
        has("env bar");
        has("host inside example.org");
        has("oom 123");
        has("keys 0");
        assert!(!text.contains("sysrw") && !text.contains("rootrw"), "[{}] writable: {text}", mode.label());
        for d in ["null", "zero", "full", "random", "urandom", "tty"] {
            has(&format!("dev {d}"));
        }
        has("link fd /proc/self/fd");
        has("link stdin /proc/self/fd/0");
        has("link ptmx pts/ptmx");
        let mount = |dest: &str, fs: &str, src: &str| {
            let found = text.lines().any(|l| {
                let f: Vec<&str> = l.split_whitespace().collect();
                let dash = f.iter().position(|x| *x == "-").unwrap_or(0);
                dash > 4 && f.len() > dash + 2 && f[4] == dest && f[dash + 1] == fs && f[dash + 2] == src
            });
            assert!(found, "[{}] no {fs} {src} on {dest} in mountinfo:\n{text}", mode.label());
        };
        mount("/proc", "proc", "proc");
        mount("/dev/shm", "tmpfs", "shm");
        mount("/dev/pts", "devpts", "devpts");
        mount("/tmp", "tmpfs", "scratch");
        b.oci(&["delete", &b.id]).ok();
    }
}

/// The config of [`config_fields_are_seen_from_inside`]: a value for each
/// field it checks, and `outdir` bound on `/out` for the script's output.
fn set_every_field(c: &mut Value, outdir: &Path) {
    c["root"]["readonly"] = json!(true);
    c["process"]["cwd"] = json!("/tmp");
    c["process"]["env"] = json!(["PATH=/bin:/usr/bin", "FOO=bar"]);
    c["process"]["user"] = json!({"uid": 0, "gid": 0, "umask": 63});
    c["process"]["rlimits"] = json!([{"type": "RLIMIT_NOFILE", "soft": 321, "hard": 654}]);
    c["process"]["oomScoreAdj"] = json!(123);
    c["process"]["noNewPrivileges"] = json!(true);
    c["process"]["capabilities"] = json!({"bounding": ["CAP_CHOWN", "CAP_KILL", "CAP_NET_RAW"],
        "effective": ["CAP_CHOWN", "CAP_KILL"], "permitted": ["CAP_CHOWN", "CAP_KILL", "CAP_NET_RAW"],
        "inheritable": ["CAP_KILL"], "ambient": ["CAP_KILL"]});
    c["hostname"] = json!("inside");
    c["domainname"] = json!("example.org");
    let mounts = c["mounts"].as_array_mut().unwrap();
    mounts.push(json!({"destination": "/tmp", "type": "tmpfs", "source": "scratch"}));
    mounts.push(json!({"destination": "/out", "type": "bind", "source": outdir, "options": ["rbind", "rw"]}));
}

/// `linux.rootfsPropagation`: the root mount's optional fields in
/// mountinfo say shared, master (slave), nothing (private) or unbindable.
#[test]
fn root_propagation_is_as_configured() {
    let script = "awk '$5 == \"/\" { for (i = 7; $i != \"-\"; i++) printf \"%s \", $i; print \"end\" }' /proc/self/mountinfo > /out/p";
    for mode in modes() {
        let Some(b) = Bundle::new(mode, "prop", &["sh", "-c", script]) else { continue };
        let outdir = b.dir.mkdir("outdir");
        for (value, want) in
            [("private", ""), ("rslave", "master:"), ("shared", "shared:"), ("unbindable", "unbindable")]
        {
            b.edit(|c| {
                c["linux"]["rootfsPropagation"] = json!(value);
                let mounts = c["mounts"].as_array_mut().unwrap();
                mounts.retain(|m| m["destination"] != "/out");
                mounts.push(json!({"destination": "/out", "type": "bind", "source": outdir, "options": ["rbind"]}));
            });
            b.create(&[]).ok();
            b.oci(&["start", &b.id]).ok();
            assert!(wait_until(|| b.state()["status"] == "stopped"));
            let fields = std::fs::read_to_string(outdir.join("p")).unwrap_or_default();
            let fields = fields.trim().trim_end_matches("end").trim();
            if want.is_empty() {
                assert_eq!(fields, "", "[{}] {value}: {fields:?}", mode.label());
            } else if want == "master:" {
                // A slave of a private host mount has no master to show.
                assert!(!fields.contains("shared:") && !fields.contains("unbindable"), "{value}: {fields:?}");
            } else {
                assert!(fields.contains(want), "[{}] {value}: {fields:?}", mode.label());
            }
            b.oci(&["delete", &b.id]).ok();
        }
        b.edit(|c| c["linux"]["rootfsPropagation"] = json!("sideways"));
        b.create(&[]).code(1).stderr_has("linux.rootfsPropagation");
    }
}

/// `linux.cgroupsPath` (root): the container's cgroups are made there, with
/// the limits written and the process inside; delete removes them. A
/// rootless caller keeps cove's own placement.
#[test]
fn cgroups_path_places_the_cgroups() {
    for mode in modes() {
        let Some(b) = Bundle::new(mode, "cgpath", &["sleep", "20"]) else { continue };
        let top = unique("cove-cgpath");
        b.edit(|c| {
            c["linux"]["cgroupsPath"] = json!(format!("/{top}/c1"));
            c["linux"]["resources"] = json!({"memory": {"limit": 41943040}});
        });
        let out = b.create(&[]);
        if mode == Mode::Rootless {
            // without a delegated cgroup the memory limit itself is refused
            if out.code == Some(0) {
                assert!(recorded_cgroups(&b).iter().all(|d| !d.to_string_lossy().contains(&top)));
            }
            continue;
        }
        out.ok();
        let dirs = recorded_cgroups(&b);
        let memory = dirs.iter().find(|d| d.join("memory.limit_in_bytes").exists() || d.join("memory.max").exists());
        let memory = memory.expect("a memory cgroup").clone();
        assert!(memory.ends_with(format!("{top}/c1")), "memory cgroup at {}", memory.display());
        assert_eq!(cgroup_value(&b, &["memory.limit_in_bytes", "memory.max"]).unwrap().trim(), "41943040");
        let pid = b.state()["pid"].as_i64().unwrap().to_string();
        let procs = std::fs::read_to_string(memory.join("cgroup.procs")).unwrap();
        assert!(procs.lines().any(|l| l == pid), "pid {pid} not in {}", memory.display());
        b.oci(&["delete", "--force", &b.id]).ok();
        assert!(wait_until(|| dirs.iter().all(|d| !d.exists())), "cgroups left: {dirs:?}");
        for d in &dirs {
            let _ = std::fs::remove_dir(d.parent().unwrap());
        }
        b.edit(|c| c["linux"]["cgroupsPath"] = json!("system.slice:cove:x"));
        b.create(&[]).code(1).stderr_has("linux.cgroupsPath");
    }
}

/// With `process.terminal`, `/dev/console` is the container's terminal (a
/// character device, the same pty as stdin).
#[test]
fn terminal_is_also_dev_console() {
    let script = "test -c /dev/console && echo console-$(test /dev/console -ef $(tty) && echo same)";
    for mode in modes() {
        let Some(b) = Bundle::new(mode, "console", &["sh", "-c", script]) else { continue };
        b.edit(|c| c["process"]["terminal"] = json!(true));
        let console = Console::listen(&b.dir.join("console.sock"));
        b.create(&["--console-socket", console.path.to_str().unwrap()]).ok();
        let master = console.receive();
        b.oci(&["start", &b.id]).ok();
        let out = read_until(&master, "console-", Duration::from_secs(10));
        let out = out + &read_until(&master, "same", Duration::from_secs(2));
        assert!(out.contains("console-same"), "[{}] terminal gave {out:?}", mode.label());
        assert!(wait_until(|| b.state()["status"] == "stopped"));
        b.oci(&["delete", &b.id]).ok();
    }
}

/// `linux.devices`: a device is bound from the host node with its type and
/// numbers, under the config's name; one the host lacks fails create.
#[test]
fn devices_are_bound_from_host_nodes() {
    let script = "stat -c '%t:%T' /dev/cove-zero > /out/d; head -c 4 /dev/cove-zero | od -An -tx1 >> /out/d";
    for mode in modes() {
        let Some(b) = Bundle::new(mode, "devices", &["sh", "-c", script]) else { continue };
        let outdir = b.dir.mkdir("outdir");
        b.edit(|c| {
            c["linux"]["devices"] = json!([{"path": "/dev/cove-zero", "type": "c", "major": 1, "minor": 5}]);
            let mounts = c["mounts"].as_array_mut().unwrap();
            mounts.push(json!({"destination": "/out", "type": "bind", "source": outdir, "options": ["rbind"]}));
        });
        b.create(&[]).ok();
        b.oci(&["start", &b.id]).ok();
        assert!(wait_until(|| b.state()["status"] == "stopped"));
        let got = std::fs::read_to_string(outdir.join("d")).unwrap_or_default();
        assert!(got.starts_with("1:5\n") && got.contains("00 00 00 00"), "[{}] device: {got:?}", mode.label());
        b.oci(&["delete", &b.id]).ok();
        b.edit(|c| c["linux"]["devices"] = json!([{"path": "/dev/nope", "type": "b", "major": 4095, "minor": 4095}]));
        b.create(&[]).code(1).stderr_has("no host device b 4095:4095");
        assert!(!b.root.join(&b.id).exists());
    }
}
