//! `cove stats` on Linux: a [`Sample`] of a running container from its
//! host pid (its first process). The counters come from the container's
//! own cgroups when it has some (v2: `cpu.stat`, `memory.current`,
//! `memory.stat`, `pids.current`, `io.stat`; v1: `cpuacct.usage`,
//! `memory.usage_in_bytes`, `pids.current`, `blkio`), found through
//! `/proc/PID/cgroup`, and otherwise from its processes in `/proc` (CPU
//! ticks, RSS, tasks, `io`). Network counters are those of its network
//! namespace (`/proc/PID/net/dev`, loopback not counted).

mod parse;

use crate::cgroup::create::hierarchies;
use crate::cgroup::mounts::{cgroup_dir, parse_self_cgroup};
use cove_core::stats::{Sample, Usage};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Instant;

/// Clock ticks per second in `/proc/PID/stat` (`USER_HZ`, 100 on Linux).
const USER_HZ: u64 = 100;

fn read(path: &Path) -> Option<String> {
    std::fs::read_to_string(path).ok()
}

/// Reads the counters of the container whose first process is `pid`.
pub fn sample(pid: i32) -> io::Result<Sample> {
    static START: OnceLock<Instant> = OnceLock::new();
    let start = *START.get_or_init(Instant::now);
    let proc_dir = PathBuf::from(format!("/proc/{pid}"));
    let own = std::fs::read_to_string(proc_dir.join("cgroup"))
        .map_err(|e| io::Error::new(e.kind(), format!("read /proc/{pid}/cgroup: {e}")))?;
    let dirs = cove_cgroups(&own);
    let procs = members(&dirs, pid);
    let from_proc = ProcTotals::of(&procs);
    let mem_total = read(Path::new("/proc/meminfo")).and_then(|t| parse::keyed(&t, "MemTotal")).unwrap_or(0) * 1024;
    let find = |file: &str| dirs.iter().find_map(|d| read(&d.join(file)));
    let cpu_ns = find("cpu.stat")
        .and_then(|t| parse::keyed(&t, "usage_usec"))
        .map(|u| u * 1000)
        .or_else(|| find("cpuacct.usage").and_then(|t| parse::number(&t)))
        .unwrap_or(from_proc.cpu_ns);
    let (memory, memory_limit) = memory(&find, mem_total).unwrap_or((from_proc.rss, mem_total));
    let pids = find("pids.current").and_then(|t| parse::number(&t)).unwrap_or(from_proc.tasks);
    let (block_read, block_write) = find("io.stat")
        .map(|t| parse::io_stat(&t))
        .or_else(|| find("blkio.throttle.io_service_bytes_recursive").map(|t| parse::blkio(&t)))
        .unwrap_or(from_proc.io);
    let (net_rx, net_tx) = read(&proc_dir.join("net/dev")).map(|t| parse::net_dev(&t)).unwrap_or((0, 0));
    let usage = Usage { cpu_ns, memory, memory_limit, pids, net_rx, net_tx, block_read, block_write };
    Ok(Sample { at_ns: start.elapsed().as_nanos() as u64, usage })
}

/// Memory in use without inactive page cache (Docker's formula), and the
/// limit (the host's memory when unlimited).
fn memory(find: &dyn Fn(&str) -> Option<String>, mem_total: u64) -> Option<(u64, u64)> {
    let (used, inactive_key, limit) = match find("memory.current") {
        Some(cur) => (parse::number(&cur)?, "inactive_file", find("memory.max")),
        None => (parse::number(&find("memory.usage_in_bytes")?)?, "total_inactive_file", find("memory.limit_in_bytes")),
    };
    let inactive = find("memory.stat").and_then(|t| parse::keyed(&t, inactive_key)).unwrap_or(0);
    let limit = limit.and_then(|t| parse::number(&t)).filter(|l| *l < mem_total || mem_total == 0).unwrap_or(mem_total);
    Some((used.saturating_sub(inactive), limit))
}

/// The container's cove cgroups (`…/cove/PID-ID`) in this process's view.
fn cove_cgroups(proc_cgroup: &str) -> Vec<PathBuf> {
    let h = hierarchies();
    let own = parse_self_cgroup(proc_cgroup);
    let in_cove = |p: &str| p.split('/').any(|s| s == "cove");
    let mut dirs = Vec::new();
    if let (Some(path), Some(m)) = (own.v2.as_deref().filter(|p| in_cove(p)), h.v2_mount()) {
        dirs.push(cgroup_dir(m, path));
    }
    for (controllers, path) in own.v1.iter().filter(|(_, p)| in_cove(p)) {
        let holds = |m: &&crate::cgroup::mounts::CgroupMount| {
            m.v1.as_ref().is_some_and(|c| c.iter().any(|x| controllers.contains(x)))
        };
        if let Some(m) = h.mounts.iter().find(holds) {
            dirs.push(cgroup_dir(m, path));
        }
    }
    dirs
}

/// The container's processes: a cgroup's `cgroup.procs`, else `pid` and
/// its descendants.
fn members(dirs: &[PathBuf], pid: i32) -> Vec<i32> {
    if let Some(t) = dirs.iter().find_map(|d| read(&d.join("cgroup.procs"))) {
        return t.lines().filter_map(|l| l.trim().parse().ok()).collect();
    }
    let all: Vec<(i32, i32)> = std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
        .filter_map(|p| Some((p, parse::proc_stat(&read(Path::new(&format!("/proc/{p}/stat")))?)?.0)))
        .collect();
    let mut found = vec![pid];
    let mut i = 0;
    while i < found.len() {
        let parent = found[i];
        found.extend(all.iter().filter(|(_, pp)| *pp == parent).map(|(p, _)| *p));
        i += 1;
    }
    found
}

/// Counters summed over the container's processes.
#[derive(Default)]
struct ProcTotals {
    cpu_ns: u64,
    rss: u64,
    tasks: u64,
    io: (u64, u64),
}

impl ProcTotals {
    fn of(procs: &[i32]) -> ProcTotals {
        let mut t = ProcTotals::default();
        for p in procs {
            let dir = PathBuf::from(format!("/proc/{p}"));
            let Some((_, ticks)) = read(&dir.join("stat")).and_then(|s| parse::proc_stat(&s)) else { continue };
            t.cpu_ns += ticks * (1_000_000_000 / USER_HZ);
            t.rss += read(&dir.join("status")).and_then(|s| parse::keyed(&s, "VmRSS")).unwrap_or(0) * 1024;
            t.tasks += std::fs::read_dir(dir.join("task")).map_or(1, |d| d.count() as u64);
            if let Some(io) = read(&dir.join("io")) {
                t.io.0 += parse::keyed(&io, "read_bytes").unwrap_or(0);
                t.io.1 += parse::keyed(&io, "write_bytes").unwrap_or(0);
            }
        }
        t
    }
}
