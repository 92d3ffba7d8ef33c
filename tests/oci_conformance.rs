//! Issue 9: runtime-spec conformance beyond the basic lifecycle (tests/oci.rs):
//! pause/resume through the freezer, `update`, joining namespaces by path,
//! and config fields checked from inside the container. Every cove call has
//! a deadline; containers are force-deleted on drop.

mod common;

use common::*;
use serde_json::{Value, json};
use std::path::PathBuf;
use std::time::Duration;

#[path = "oci/support.rs"]
#[allow(dead_code)]
mod oci_support;
use oci_support::*;

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
