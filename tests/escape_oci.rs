//! CVE-2024-21626 through the OCI runtime: `cove oci exec` with a process
//! `cwd` of `/proc/self/fd/9` while the engine (here: the test) leaves fd 9
//! open on the host's `/` must be refused, not run in the host's root.
//! Also: a bundle joining the host's initial user namespace, or with a
//! fifo or a huge config.json, is refused.

mod common;

use common::*;
use serde_json::json;

#[allow(dead_code)]
#[path = "oci/support.rs"]
mod oci_support;
use oci_support::*;

#[test]
fn oci_exec_cwd_through_a_leaked_descriptor_is_refused() {
    for mode in modes() {
        let Some(b) = Bundle::new(mode, "escape", &["sh", "-c", "echo up > /tmp/up; sleep 20"]) else { continue };
        b.create(&[]).ok();
        b.oci(&["start", &b.id]).ok();
        assert!(wait_until(|| b.rootfs.join("tmp/up").exists()));
        let process = json!({"args": ["sh", "-c", "ls; echo LISTED"], "cwd": "/proc/self/fd/9",
            "user": {"uid": 0, "gid": 0}});
        let file = b.dir.write("process.json", process.to_string());
        let out = cove(mode)
            .arg("oci")
            .arg("--root")
            .arg(&b.root)
            .args(["exec", "--process", file.to_str().unwrap(), &b.id])
            .via(&["sh", "-c", "exec \"$0\" \"$@\" 9</"])
            .run();
        if out.code == Some(0) || out.stdout().contains("LISTED") {
            out.fail("a refused exec (working directory outside the container root), nothing listed");
        }
        out.stderr_has("outside the container root");
        b.oci(&["delete", "--force", &b.id]).ok();
    }
}

/// A bundle that joins the host's initial user namespace by path (here the
/// test process's own, as root) would run with capabilities that count on
/// the host: `create` refuses it, naming the namespace, and nothing runs.
/// Rootless, the join is refused by the kernel (or the open) anyway.
#[test]
fn joining_the_initial_user_namespace_is_refused() {
    let own = format!("/proc/{}/ns/user", std::process::id());
    if std::fs::read_link(&own).ok().is_none_or(|l| l.to_string_lossy() != "user:[4026531837]") {
        skip("initial user namespace join", "the test does not run in the initial user namespace");
        return;
    }
    for mode in modes() {
        let Some(b) = Bundle::new(mode, "userns-init", &["sh", "-c", "echo ran > /tmp/ran"]) else { continue };
        b.edit(|c| {
            let ns = c["linux"]["namespaces"].as_array_mut().unwrap();
            ns.retain(|n| n["type"] != "user");
            ns.push(json!({ "type": "user", "path": own }));
            c["linux"].as_object_mut().unwrap().remove("uidMappings");
            c["linux"].as_object_mut().unwrap().remove("gidMappings");
        });
        let out = b.create(&[]);
        if out.code == Some(0) {
            b.oci(&["start", &b.id]);
            out.fail("create refused (a container in the host's initial user namespace)");
        }
        if mode == Mode::Root {
            out.stderr_has("initial user namespace");
        }
        assert!(!b.rootfs.join("tmp/ran").exists(), "{}: the process never ran", out.desc);
    }
}

/// A bundle whose `config.json` is a fifo (which used to block `create`
/// forever) or 17 MiB of blanks is refused with a message naming it.
#[test]
fn a_fifo_or_huge_config_is_refused() {
    for mode in modes() {
        let Some(b) = Bundle::new(mode, "fifo-config", &["true"]) else { continue };
        let config = b.dir.join("config.json");
        std::fs::remove_file(&config).unwrap();
        run_host(std::process::Command::new("mkfifo").arg(&config));
        b.dir.own(&config);
        let out = b.create(&[]);
        out.failed().stderr_has("not a regular file");
        std::fs::remove_file(&config).unwrap();
        b.dir.write("config.json", vec![b' '; 17 << 20]);
        let out = b.create(&[]);
        out.failed().stderr_has("larger than 16 MiB");
    }
}
