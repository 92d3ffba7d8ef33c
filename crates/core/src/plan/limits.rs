//! Resource limits: the spec's Docker-style values (`--memory`, `--cpus`,
//! `--pids-limit`) checked and turned into portable quantities that each
//! backend translates (cgroup files on Linux, Job Object limits on Windows).
//! Whether the host can enforce them is the backend's check, made before
//! anything is started.

use crate::spec::Limits;
use serde::{Deserialize, Serialize};

/// The smallest `--memory` accepted (Docker's minimum: 6 MiB).
pub const MIN_MEMORY: u64 = 6 << 20;
/// The CFS period `--cpus` is expressed in, in microseconds (Docker's).
pub const CPU_PERIOD_US: u64 = 100_000;
/// The smallest CFS quota the kernel takes, in microseconds (1 ms).
const MIN_QUOTA_US: u64 = 1_000;

/// The limits a container runs under; `None` is no limit.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourceLimits {
    /// Memory in bytes; swap is not allowed on top of it.
    pub memory: Option<u64>,
    /// CPU time per period.
    pub cpu: Option<CpuQuota>,
    /// The most tasks (processes and threads) at once.
    pub pids: Option<u64>,
}

/// `quota_us` of CPU time every `period_us` (0.5 CPUs: 50000 per 100000).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CpuQuota {
    /// Microseconds of CPU time per period, summed over all CPUs.
    pub quota_us: u64,
    /// The period in microseconds.
    pub period_us: u64,
}

impl CpuQuota {
    /// The CPUs this quota amounts to, in billionths.
    pub fn nano_cpus(&self) -> u64 {
        self.quota_us.saturating_mul(1_000_000_000) / self.period_us.max(1)
    }
}

impl ResourceLimits {
    /// No limit is asked for (no cgroup is needed).
    pub fn is_empty(&self) -> bool {
        *self == ResourceLimits::default()
    }
}

/// One `setrlimit` of the container's process.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rlimit {
    /// The resource as named by setrlimit(2), e.g. `RLIMIT_NOFILE`.
    pub resource: String,
    /// Soft limit.
    pub soft: u64,
    /// Hard limit.
    pub hard: u64,
}

/// A limit that no host could enforce.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum LimitError {
    /// `--memory` below the minimum.
    #[error("invalid --memory {0}: the minimum is 6m (6291456 bytes)")]
    MemoryTooLow(u64),
    /// `--cpus` that rounds to less than the kernel's 1 ms quota.
    #[error("invalid --cpus: the minimum is 0.01")]
    CpusTooLow,
}

/// Checks `limits` and turns them into quantities.
pub fn resolve(limits: &Limits) -> Result<ResourceLimits, LimitError> {
    if let Some(m) = limits.memory.filter(|m| *m < MIN_MEMORY) {
        return Err(LimitError::MemoryTooLow(m));
    }
    let cpu = match limits.nano_cpus {
        None => None,
        Some(n) => {
            let quota_us = (u128::from(n) * u128::from(CPU_PERIOD_US) / 1_000_000_000) as u64;
            if quota_us < MIN_QUOTA_US {
                return Err(LimitError::CpusTooLow);
            }
            Some(CpuQuota { quota_us, period_us: CPU_PERIOD_US })
        }
    };
    Ok(ResourceLimits { memory: limits.memory, cpu, pids: limits.pids })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(memory: Option<u64>, nano_cpus: Option<u64>, pids: Option<u64>) -> Limits {
        Limits { memory, nano_cpus, pids }
    }

    #[test]
    fn none_asked_is_empty() {
        assert!(resolve(&Limits::default()).unwrap().is_empty());
    }

    #[test]
    fn half_a_cpu_is_50000_per_100000() {
        let r = resolve(&limits(Some(64 << 20), Some(500_000_000), Some(10))).unwrap();
        assert_eq!(r.cpu, Some(CpuQuota { quota_us: 50_000, period_us: 100_000 }));
        assert_eq!(r.cpu.unwrap().nano_cpus(), 500_000_000);
        assert_eq!((r.memory, r.pids), (Some(64 << 20), Some(10)));
        assert!(!r.is_empty());
        let two = resolve(&limits(None, Some(2_000_000_000), None)).unwrap();
        assert_eq!(two.cpu.unwrap().quota_us, 200_000);
    }

    #[test]
    fn refuses_what_no_host_enforces() {
        assert_eq!(resolve(&limits(Some(4 << 20), None, None)), Err(LimitError::MemoryTooLow(4 << 20)));
        assert!(resolve(&limits(Some(MIN_MEMORY), None, None)).is_ok());
        assert_eq!(resolve(&limits(None, Some(9_000_000), None)), Err(LimitError::CpusTooLow));
        assert!(resolve(&limits(None, Some(10_000_000), None)).is_ok());
    }
}
