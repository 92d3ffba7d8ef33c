//! CVE-2024-21626 through the OCI runtime: `cove oci exec` with a process
//! `cwd` of `/proc/self/fd/9` while the engine (here: the test) leaves fd 9
//! open on the host's `/` must be refused, not run in the host's root.

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
