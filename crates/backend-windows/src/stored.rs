//! Stored (detached) containers on Windows: each run of a stored container
//! is the job `Local\cove-<id>` (named after the container, see
//! [`crate::job::job_name`]) that its monitor created with kill-on-close
//! and holds. Later CLI calls open it by name: `stop`/`kill` end the whole
//! job, `stats` reads its accounting, `rm` deletes what a killed monitor
//! may have left (the AppContainer profile). The usage mapping is pure and
//! tested on every OS; the calls are Windows-only.

use cove_core::stats::Usage;

/// What a job's accounting and its processes say, as read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct JobCounters {
    /// User plus kernel CPU time of all its processes, in 100 ns units.
    pub cpu_time_100ns: i64,
    /// Processes in the job now.
    pub active_processes: u32,
    /// Bytes read and written by its processes (all I/O).
    pub read_bytes: u64,
    /// Bytes written.
    pub write_bytes: u64,
    /// Committed memory of its processes, in bytes.
    pub committed: u64,
    /// The job's memory limit (0: none).
    pub memory_limit: u64,
}

/// The shared stats schema from a job's counters on a machine with
/// `physical_memory` bytes (the limit shown when the job has none). A job
/// has no network counters; its I/O counts every file and device read and
/// write, shown as block I/O.
pub fn usage(c: &JobCounters, physical_memory: u64) -> Usage {
    Usage {
        cpu_ns: u64::try_from(c.cpu_time_100ns).unwrap_or(0) * 100,
        memory: c.committed,
        memory_limit: if c.memory_limit > 0 { c.memory_limit } else { physical_memory },
        pids: u64::from(c.active_processes),
        net_rx: 0,
        net_tx: 0,
        block_read: c.read_bytes,
        block_write: c.write_bytes,
    }
}

#[cfg(windows)]
pub use imp::{counters, remove, sample, signal};

#[cfg(windows)]
mod imp {
    use super::*;
    use crate::job::{LIMIT_JOB_MEMORY, job_name};
    use crate::process::signal_exit_code;
    use crate::sys::job::Job;
    use cove_core::id::ContainerId;
    use cove_core::stats::Sample;
    use std::io;

    /// `ERROR_FILE_NOT_FOUND`: no object of that name (the job has ended).
    const NOT_FOUND: i32 = 2;

    fn open(id: &ContainerId) -> io::Result<Job> {
        let name = job_name(id);
        Job::open(&name).map_err(|e| io::Error::new(e.kind(), format!("OpenJobObjectW {name}: {e}")))
    }

    /// Ends every process of the container's job with exit code 128+`sig`.
    /// A job that no longer exists falls back to ending `pid` (a container
    /// whose monitor already closed it has no processes left but that one).
    pub fn signal(id: &ContainerId, pid: i32, sig: i32) -> io::Result<()> {
        match open(id) {
            Ok(job) => job
                .terminate(signal_exit_code(sig))
                .map_err(|e| io::Error::new(e.kind(), format!("TerminateJobObject {}: {e}", job_name(id)))),
            Err(e) if e.raw_os_error() == Some(NOT_FOUND) => crate::process::signal(pid, sig),
            Err(e) => Err(e),
        }
    }

    /// The job's counters now.
    pub fn counters(job: &Job) -> io::Result<JobCounters> {
        let acc = job.accounting()?;
        let committed = job.process_ids()?.iter().filter_map(|&p| crate::sys::host::committed_memory(p)).sum();
        let (flags, limit, _) = job.stored_limits()?;
        Ok(JobCounters {
            cpu_time_100ns: acc.cpu_time,
            active_processes: acc.active_processes,
            read_bytes: acc.read_bytes,
            write_bytes: acc.write_bytes,
            committed,
            memory_limit: if flags & LIMIT_JOB_MEMORY != 0 { limit } else { 0 },
        })
    }

    /// A usage reading of the container's job (`pid` is not needed: the
    /// job is found by the container's id).
    pub fn sample(id: &ContainerId, _pid: i32) -> io::Result<Sample> {
        static START: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
        let start = *START.get_or_init(std::time::Instant::now);
        let c = counters(&open(id)?)?;
        Ok(Sample { at_ns: start.elapsed().as_nanos() as u64, usage: usage(&c, crate::sys::host::physical_memory()) })
    }

    /// Deletes the container's AppContainer profile if a killed monitor
    /// left it (a run deletes its own when it ends). Under Wine, which
    /// aborts the process on any AppContainer call, no profile can exist
    /// (runs are refused there): nothing to do.
    pub fn remove(id: &ContainerId) -> io::Result<()> {
        if crate::sys::wine::version().is_some() {
            return Ok(());
        }
        crate::sys::appcontainer::delete_profile(&crate::appcontainer::profile_name(id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_counters_map_to_the_shared_schema() {
        let c = JobCounters {
            cpu_time_100ns: 25_000_000,
            active_processes: 3,
            read_bytes: 10,
            write_bytes: 20,
            committed: 64 << 20,
            memory_limit: 0,
        };
        let u = usage(&c, 8 << 30);
        assert_eq!(u.cpu_ns, 2_500_000_000, "2.5 s");
        assert_eq!((u.memory, u.memory_limit, u.pids), (64 << 20, 8 << 30, 3));
        assert_eq!((u.block_read, u.block_write, u.net_rx, u.net_tx), (10, 20, 0, 0));
        let limited = usage(&JobCounters { memory_limit: 128 << 20, ..c }, 8 << 30);
        assert_eq!(limited.memory_limit, 128 << 20, "the job's limit when it has one");
        assert_eq!(usage(&JobCounters { cpu_time_100ns: -1, ..c }, 0).cpu_ns, 0);
    }
}
