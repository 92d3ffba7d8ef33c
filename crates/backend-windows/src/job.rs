//! Job Object limits from the plan's resource limits: the values
//! `SetInformationJobObject` receives, computed without any Win32 call.

use cove_core::id::ContainerId;
use cove_core::plan::limits::ResourceLimits;

/// `JOB_OBJECT_LIMIT_ACTIVE_PROCESS`.
pub const LIMIT_ACTIVE_PROCESS: u32 = 0x0000_0008;
/// `JOB_OBJECT_LIMIT_JOB_MEMORY`: committed memory of all processes together.
pub const LIMIT_JOB_MEMORY: u32 = 0x0000_0200;
/// `JOB_OBJECT_LIMIT_DIE_ON_UNHANDLED_EXCEPTION`: no error dialog that waits.
pub const LIMIT_DIE_ON_UNHANDLED_EXCEPTION: u32 = 0x0000_0400;
/// `JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE`: the last handle closed ends every process.
pub const LIMIT_KILL_ON_JOB_CLOSE: u32 = 0x0000_2000;
/// `JOB_OBJECT_CPU_RATE_CONTROL_ENABLE`.
pub const CPU_RATE_ENABLE: u32 = 0x1;
/// `JOB_OBJECT_CPU_RATE_CONTROL_HARD_CAP`: never more than the rate, even when idle CPUs exist.
pub const CPU_RATE_HARD_CAP: u32 = 0x4;

/// The job's name in the session's object namespace, so later calls can
/// open it (`OpenJobObjectW`).
pub fn job_name(id: &ContainerId) -> String {
    format!(r"Local\cove-{}", id.as_str())
}

/// The values for `JOBOBJECT_EXTENDED_LIMIT_INFORMATION` and
/// `JOBOBJECT_CPU_RATE_CONTROL_INFORMATION`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct JobLimits {
    /// `BasicLimitInformation.LimitFlags`.
    pub flags: u32,
    /// `JobMemoryLimit` (bytes), when `LIMIT_JOB_MEMORY` is set.
    pub job_memory: u64,
    /// `ActiveProcessLimit`, when `LIMIT_ACTIVE_PROCESS` is set.
    pub active_processes: u32,
    /// `CpuRate` in 1/100 of a percent of the whole machine (1..=10000), with
    /// `ControlFlags` = enable | hard cap; `None`: no rate control.
    pub cpu_rate: Option<u32>,
}

/// A limit the job cannot express on this machine.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum JobLimitError {
    /// More CPUs than the machine has.
    #[error("--cpus {asked} is more than this machine's {cpus} CPUs")]
    TooManyCpus {
        /// Asked for, in CPUs.
        asked: String,
        /// Logical processors of the machine.
        cpus: u32,
    },
    /// A process limit beyond a 32-bit count.
    #[error("--pids-limit {0} is more than a job's active-process limit can hold")]
    TooManyProcesses(u64),
}

/// Translates `limits` for a machine with `cpus` logical processors. Kill on
/// close and die-on-unhandled-exception are always set: the job's handle is
/// the container's lifetime.
pub fn job_limits(limits: &ResourceLimits, cpus: u32) -> Result<JobLimits, JobLimitError> {
    let mut out = JobLimits {
        flags: LIMIT_KILL_ON_JOB_CLOSE | LIMIT_DIE_ON_UNHANDLED_EXCEPTION,
        job_memory: 0,
        active_processes: 0,
        cpu_rate: None,
    };
    if let Some(bytes) = limits.memory {
        out.flags |= LIMIT_JOB_MEMORY;
        out.job_memory = bytes;
    }
    if let Some(n) = limits.pids {
        out.flags |= LIMIT_ACTIVE_PROCESS;
        out.active_processes = u32::try_from(n).map_err(|_| JobLimitError::TooManyProcesses(n))?;
    }
    if let Some(cpu) = limits.cpu {
        let nano = u128::from(cpu.nano_cpus());
        let machine = u128::from(cpus.max(1)) * 1_000_000_000;
        if nano > machine {
            let asked = format!("{}.{:02}", nano / 1_000_000_000, nano % 1_000_000_000 / 10_000_000);
            return Err(JobLimitError::TooManyCpus { asked, cpus });
        }
        // Rounded up so that a small quota never becomes 0 (no limit).
        let rate = (nano * 10_000).div_ceil(machine).clamp(1, 10_000);
        out.cpu_rate = Some(rate as u32);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use cove_core::plan::limits::CpuQuota;

    fn quota(cpus_hundredths: u64) -> Option<CpuQuota> {
        Some(CpuQuota { quota_us: cpus_hundredths * 1000, period_us: 100_000 })
    }

    #[test]
    fn no_limits_still_kill_on_close() {
        let j = job_limits(&ResourceLimits::default(), 4).unwrap();
        assert_eq!(j.flags, LIMIT_KILL_ON_JOB_CLOSE | LIMIT_DIE_ON_UNHANDLED_EXCEPTION);
        assert_eq!((j.job_memory, j.active_processes, j.cpu_rate), (0, 0, None));
    }

    #[test]
    fn every_limit_maps_to_its_field() {
        let limits = ResourceLimits { memory: Some(64 << 20), cpu: quota(50), pids: Some(10), ..Default::default() };
        let j = job_limits(&limits, 4).unwrap();
        assert_eq!(j.flags & LIMIT_JOB_MEMORY, LIMIT_JOB_MEMORY);
        assert_eq!(j.flags & LIMIT_ACTIVE_PROCESS, LIMIT_ACTIVE_PROCESS);
        assert_eq!(j.job_memory, 64 << 20);
        assert_eq!(j.active_processes, 10);
        // 0.5 of 4 CPUs is 12.5 % of the machine: 1250 hundredths of a percent.
        assert_eq!(j.cpu_rate, Some(1250));
    }

    #[test]
    fn cpu_rate_edges() {
        let all = ResourceLimits { cpu: quota(400), ..Default::default() };
        assert_eq!(job_limits(&all, 4).unwrap().cpu_rate, Some(10_000));
        let tiny = ResourceLimits { cpu: quota(1), ..Default::default() };
        assert_eq!(job_limits(&tiny, 64).unwrap().cpu_rate, Some(2), "0.01 of 64 CPUs rounds up, never to 0");
        let over = ResourceLimits { cpu: quota(250), ..Default::default() };
        assert_eq!(job_limits(&over, 2).unwrap_err().to_string(), "--cpus 2.50 is more than this machine's 2 CPUs");
    }

    #[test]
    fn huge_process_limits_are_refused() {
        let l = ResourceLimits { pids: Some(1 << 40), ..Default::default() };
        assert!(matches!(job_limits(&l, 1), Err(JobLimitError::TooManyProcesses(_))));
    }

    #[test]
    fn job_names_are_per_container() {
        let id = ContainerId::parse(&"ab".repeat(32)).unwrap();
        assert_eq!(job_name(&id), format!(r"Local\cove-{}", "ab".repeat(32)));
    }
}
