//! What `cove info` says about limits, and the cgroups a cove process made
//! (`…/cove/PID-ID` in every hierarchy), for the limit and stats tests.

use super::{Mode, cove};
use std::path::PathBuf;

/// Whether `cove info` says `controller` is usable in `mode`.
pub fn usable(mode: Mode, controller: &str) -> bool {
    let out = cove(mode).args(["info", "--format", "json"]).run();
    out.ok();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("cove info JSON");
    let features = v["features"].as_array().expect("features");
    let cg = features.iter().find(|f| f["key"] == "cgroups").expect("a cgroups feature");
    let detail = cg["detail"].as_str().unwrap_or_default();
    detail.split(';').any(|part| {
        part.contains("usable") && !part.contains("not usable") && part.contains(&format!("{controller} (v"))
    })
}

/// cgroups cove made for the cove process `pid` (`…/cove/PID-ID`), in
/// every hierarchy under /sys/fs/cgroup.
pub fn cgroup_dirs(pid: i32) -> Vec<PathBuf> {
    let prefix = format!("{pid}-");
    let mut bases = vec![PathBuf::from("/sys/fs/cgroup")];
    bases.extend(std::fs::read_dir("/sys/fs/cgroup").into_iter().flatten().flatten().map(|e| e.path()));
    let mut found = Vec::new();
    for base in bases {
        let entries = std::fs::read_dir(base.join("cove")).into_iter().flatten().flatten();
        found.extend(entries.filter(|e| e.file_name().to_string_lossy().starts_with(&prefix)).map(|e| e.path()));
    }
    found
}

/// The first of `files` found in any of `dirs`, trimmed.
pub fn read_any(dirs: &[PathBuf], files: &[&str]) -> Option<String> {
    dirs.iter()
        .flat_map(|d| files.iter().map(move |f| d.join(f)))
        .find_map(|p| std::fs::read_to_string(p).ok())
        .map(|t| t.trim().to_owned())
}
