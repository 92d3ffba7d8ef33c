//! `cove stats` on macOS: a [`Sample`] of a running container from its
//! process group (its first process leads it): CPU time and resident
//! memory summed over the group's processes (libproc's task counters, the
//! live form of `rusage`), the machine's memory as the limit (macOS has
//! none per container). Network and block I/O are not counted per process
//! here and stay 0.

use cove_core::stats::{Sample, Usage};
use std::sync::OnceLock;
use std::time::Instant;

/// Reads the counters of the container whose first process is `pid`.
pub fn sample(pid: i32) -> std::io::Result<Sample> {
    static START: OnceLock<Instant> = OnceLock::new();
    let start = *START.get_or_init(Instant::now);
    let members = crate::sys::group_members(pid);
    if members.is_empty() {
        return Err(std::io::Error::new(std::io::ErrorKind::NotFound, format!("no processes in group {pid}")));
    }
    let mut usage = Usage { memory_limit: crate::sys::physical_memory(), ..Usage::default() };
    for p in &members {
        if let Some((rss, cpu_ns, threads)) = crate::sys::task_counters(*p) {
            usage.memory += rss;
            usage.cpu_ns += cpu_ns;
            usage.pids += threads;
        }
    }
    Ok(Sample { at_ns: start.elapsed().as_nanos() as u64, usage })
}
