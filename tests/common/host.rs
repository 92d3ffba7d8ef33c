//! Reading host state: namespaces, interfaces, mounts, processes.

use super::*;
use std::collections::BTreeSet;

/// The namespaces of this test process (`user:[4026531837]` …), by name.
pub fn host_namespaces() -> Vec<(String, String)> {
    NAMESPACES
        .iter()
        .map(|n| {
            let link = std::fs::read_link(format!("/proc/self/ns/{n}")).expect("read /proc/self/ns");
            ((*n).to_owned(), link.to_string_lossy().into_owned())
        })
        .collect()
}

/// The namespace kinds a container gets.
pub const NAMESPACES: &[&str] = &["user", "mnt", "pid", "uts", "ipc", "cgroup", "net"];

/// Interface names in a `/proc/net/dev` text.
pub fn interfaces(proc_net_dev: &str) -> BTreeSet<String> {
    proc_net_dev.lines().skip(2).filter_map(|l| l.split(':').next()).map(|s| s.trim().to_owned()).collect()
}

/// One line of `/proc/PID/mountinfo`: (mount point, per-mount options, fs type).
pub fn mountinfo(text: &str) -> Vec<(String, Vec<String>, String)> {
    text.lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split(' ').collect();
            let dash = f.iter().position(|x| *x == "-")?;
            Some((
                unescape_mount(f.get(4)?),
                f.get(5)?.split(',').map(str::to_owned).collect(),
                (*f.get(dash + 1)?).to_owned(),
            ))
        })
        .collect()
}

fn unescape_mount(s: &str) -> String {
    s.replace("\\040", " ").replace("\\011", "\t").replace("\\012", "\n").replace("\\134", "\\")
}

/// Pids of host processes whose command line contains `marker`.
pub fn processes_with(marker: &str) -> Vec<(i32, String)> {
    let mut found = Vec::new();
    let Ok(dir) = std::fs::read_dir("/proc") else { return found };
    for e in dir.flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<i32>() else { continue };
        let Ok(cmdline) = std::fs::read(e.path().join("cmdline")) else { continue };
        if contains(&cmdline, marker.as_bytes()) {
            found.push((pid, String::from_utf8_lossy(&cmdline).replace('\0', " ")));
        }
    }
    found
}

/// Deterministic pseudo-random bytes (xorshift64*), for stdio tests.
pub fn pseudo_random(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        out.extend_from_slice(&x.wrapping_mul(0x2545_f491_4f6c_dd1d).to_le_bytes());
    }
    out.truncate(len);
    out
}
