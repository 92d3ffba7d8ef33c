//! Resource limits: the spec's Docker-style values (`--memory`,
//! `--memory-swap`, `--memory-reservation`, `--cpus`, `--cpu-shares`,
//! `--cpuset-cpus`, `--cpuset-mems`, `--pids-limit`, `--ulimit`,
//! `--oom-score-adj`) checked and turned into portable quantities that each
//! backend translates (cgroup files, `prlimit` and `oom_score_adj` on Linux;
//! Job Object limits on Windows). Whether the host can enforce them is the
//! backend's check, made before anything is started.

use super::cpuset;
use super::rlimits::Rlimit as Ulimit;
use crate::spec::{Limits, SwapLimit};
use serde::{Deserialize, Serialize};

/// The smallest `--memory` and `--memory-reservation` accepted (Docker's minimum: 6 MiB).
pub const MIN_MEMORY: u64 = 6 << 20;
/// The CFS period `--cpus` is expressed in, in microseconds (Docker's).
pub const CPU_PERIOD_US: u64 = 100_000;
/// The smallest CFS quota the kernel takes, in microseconds (1 ms).
const MIN_QUOTA_US: u64 = 1_000;
/// `--cpu-shares` range (the kernel's v1 `cpu.shares` bounds).
pub const CPU_SHARES: std::ops::RangeInclusive<u64> = 2..=262_144;

/// The limits a container runs under; `None` is no limit.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourceLimits {
    /// Memory in bytes.
    pub memory: Option<u64>,
    /// Swap on top of `memory` (only with `memory`).
    pub swap: Swap,
    /// A soft memory limit in bytes, reclaimed down to under pressure.
    pub memory_reservation: Option<u64>,
    /// CPU time per period.
    pub cpu: Option<CpuQuota>,
    /// A relative CPU weight in Docker's shares (2..262144).
    pub cpu_shares: Option<u64>,
    /// CPUs the container may run on, as a kernel list (`0-1`).
    pub cpuset_cpus: Option<String>,
    /// Memory nodes, as a kernel list.
    pub cpuset_mems: Option<String>,
    /// The most tasks (processes and threads) at once.
    pub pids: Option<u64>,
    /// Process resource limits (`--ulimit`), one per resource.
    pub rlimits: Vec<Ulimit>,
    /// The container's OOM-killer score adjustment.
    pub oom_score_adj: Option<i32>,
    /// Where the container's cgroup goes under each hierarchy's root (OCI
    /// `linux.cgroupsPath`, honoured for root): cgroups are then made even
    /// without a limit, for accounting, as engines expect.
    #[serde(default)]
    pub cgroup_path: Option<String>,
}

/// Swap allowed on top of `--memory`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Swap {
    /// No `--memory-swap`: no swap where the kernel accounts it (Docker
    /// would allow as much again; cove keeps the limit a limit).
    #[default]
    Default,
    /// `--memory-swap -1`.
    Unlimited,
    /// `--memory-swap` given: memory plus swap, in bytes (explicit, so a
    /// kernel that cannot account swap refuses it).
    Total(u64),
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
    /// No limit of any kind is asked for.
    pub fn is_empty(&self) -> bool {
        *self == ResourceLimits::default()
    }

    /// Some limit needs cgroups (everything but `--ulimit` and `--oom-score-adj`).
    pub fn needs_cgroups(&self) -> bool {
        let ResourceLimits {
            memory, swap: _, memory_reservation, cpu, cpu_shares, cpuset_cpus, cpuset_mems, pids, ..
        } = self;
        self.cgroup_path.is_some()
            || memory.is_some()
            || memory_reservation.is_some()
            || cpu.is_some()
            || cpu_shares.is_some()
            || cpuset_cpus.is_some()
            || cpuset_mems.is_some()
            || pids.is_some()
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
    /// `--memory-swap` without `--memory`.
    #[error("invalid --memory-swap: it needs --memory (memory-swap is memory plus swap)")]
    SwapWithoutMemory,
    /// `--memory-swap` below `--memory`.
    #[error("invalid --memory-swap {0}: it is memory plus swap, so it cannot be below --memory {1}")]
    SwapBelowMemory(u64, u64),
    /// `--memory-reservation` below the minimum or above `--memory`.
    #[error("invalid --memory-reservation {0}: it must be at least 6m and not above --memory")]
    Reservation(u64),
    /// `--cpus` that rounds to less than the kernel's 1 ms quota.
    #[error("invalid --cpus: the minimum is 0.01")]
    CpusTooLow,
    /// `--cpu-shares` out of range.
    #[error("invalid --cpu-shares {0}: use 2 to 262144 (1024 is the default weight)")]
    CpuShares(u64),
    /// A CPU or node list that does not parse.
    #[error("invalid {0} {1:?}: expected a list such as 0-2,4")]
    CpuList(&'static str, String),
    /// `--oom-score-adj` out of range.
    #[error("invalid --oom-score-adj {0}: use -1000 to 1000")]
    OomScoreAdj(i32),
}

/// Checks `limits` and turns them into quantities.
pub fn resolve(limits: &Limits) -> Result<ResourceLimits, LimitError> {
    if let Some(m) = limits.memory.filter(|m| *m < MIN_MEMORY) {
        return Err(LimitError::MemoryTooLow(m));
    }
    let swap = match (limits.memory_swap, limits.memory) {
        (None, _) => Swap::Default,
        (Some(_), None) => return Err(LimitError::SwapWithoutMemory),
        (Some(SwapLimit::Unlimited), Some(_)) => Swap::Unlimited,
        (Some(SwapLimit::Total(t)), Some(m)) if t < m => return Err(LimitError::SwapBelowMemory(t, m)),
        (Some(SwapLimit::Total(t)), Some(_)) => Swap::Total(t),
    };
    if let Some(r) = limits.memory_reservation
        && (r < MIN_MEMORY || limits.memory.is_some_and(|m| r > m))
    {
        return Err(LimitError::Reservation(r));
    }
    if let Some(s) = limits.cpu_shares.filter(|s| !CPU_SHARES.contains(s)) {
        return Err(LimitError::CpuShares(s));
    }
    if let Some(a) = limits.oom_score_adj.filter(|a| !(-1000..=1000).contains(a)) {
        return Err(LimitError::OomScoreAdj(a));
    }
    let list = |flag: &'static str, text: &Option<String>| {
        text.as_ref()
            .map(|t| match cpuset::parse(t) {
                Some(set) if !set.is_empty() => Ok(cpuset::format(&set)),
                _ => Err(LimitError::CpuList(flag, t.clone())),
            })
            .transpose()
    };
    Ok(ResourceLimits {
        memory: limits.memory,
        swap,
        memory_reservation: limits.memory_reservation,
        cpu: cpu_quota(limits.nano_cpus)?,
        cpu_shares: limits.cpu_shares,
        cpuset_cpus: list("--cpuset-cpus", &limits.cpuset_cpus)?,
        cpuset_mems: list("--cpuset-mems", &limits.cpuset_mems)?,
        pids: limits.pids,
        rlimits: limits.ulimits.clone(),
        oom_score_adj: limits.oom_score_adj,
        cgroup_path: None,
    })
}

/// `--cpus` as a CFS quota per [`CPU_PERIOD_US`].
fn cpu_quota(nano_cpus: Option<u64>) -> Result<Option<CpuQuota>, LimitError> {
    let Some(n) = nano_cpus else { return Ok(None) };
    let quota_us = (u128::from(n) * u128::from(CPU_PERIOD_US) / 1_000_000_000) as u64;
    if quota_us < MIN_QUOTA_US {
        return Err(LimitError::CpusTooLow);
    }
    Ok(Some(CpuQuota { quota_us, period_us: CPU_PERIOD_US }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(memory: Option<u64>, nano_cpus: Option<u64>, pids: Option<u64>) -> Limits {
        Limits { memory, nano_cpus, pids, ..Default::default() }
    }

    #[test]
    fn none_asked_is_empty() {
        let r = resolve(&Limits::default()).unwrap();
        assert!(r.is_empty() && !r.needs_cgroups());
        let ulimit_only = Limits { oom_score_adj: Some(5), ..Default::default() };
        let r = resolve(&ulimit_only).unwrap();
        assert!(!r.is_empty() && !r.needs_cgroups());
    }

    #[test]
    fn half_a_cpu_is_50000_per_100000() {
        let r = resolve(&limits(Some(64 << 20), Some(500_000_000), Some(10))).unwrap();
        assert_eq!(r.cpu, Some(CpuQuota { quota_us: 50_000, period_us: 100_000 }));
        assert_eq!(r.cpu.unwrap().nano_cpus(), 500_000_000);
        assert_eq!((r.memory, r.pids), (Some(64 << 20), Some(10)));
        assert!(r.needs_cgroups());
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

    #[test]
    fn swap_follows_docker() {
        let with = |memory, swap| Limits { memory, memory_swap: Some(swap), ..Default::default() };
        assert_eq!(resolve(&with(None, SwapLimit::Unlimited)), Err(LimitError::SwapWithoutMemory));
        let m = 64 << 20;
        assert_eq!(resolve(&with(Some(m), SwapLimit::Total(m - 1))), Err(LimitError::SwapBelowMemory(m - 1, m)));
        assert_eq!(resolve(&with(Some(m), SwapLimit::Total(2 * m))).unwrap().swap, Swap::Total(2 * m));
        assert_eq!(resolve(&with(Some(m), SwapLimit::Unlimited)).unwrap().swap, Swap::Unlimited);
        assert_eq!(resolve(&limits(Some(m), None, None)).unwrap().swap, Swap::Default);
    }

    #[test]
    fn reservation_shares_cpusets_and_oom_score() {
        let r = |l: Limits| resolve(&l);
        let res = |m, r| Limits { memory: m, memory_reservation: Some(r), ..Default::default() };
        assert!(r(res(None, 32 << 20)).unwrap().needs_cgroups());
        assert_eq!(r(res(Some(16 << 20), 32 << 20)), Err(LimitError::Reservation(32 << 20)));
        assert_eq!(r(res(None, 1 << 20)), Err(LimitError::Reservation(1 << 20)));
        let shares = |s| Limits { cpu_shares: Some(s), ..Default::default() };
        assert_eq!(r(shares(1)), Err(LimitError::CpuShares(1)));
        assert_eq!(r(shares(262_145)), Err(LimitError::CpuShares(262_145)));
        assert_eq!(r(shares(512)).unwrap().cpu_shares, Some(512));
        let cpus = |c: &str| Limits { cpuset_cpus: Some(c.into()), ..Default::default() };
        assert_eq!(r(cpus("1,0")).unwrap().cpuset_cpus.as_deref(), Some("0-1"));
        assert_eq!(r(cpus("x")), Err(LimitError::CpuList("--cpuset-cpus", "x".into())));
        assert!(r(cpus("")).is_err());
        let adj = |a| Limits { oom_score_adj: Some(a), ..Default::default() };
        assert_eq!(r(adj(1001)), Err(LimitError::OomScoreAdj(1001)));
        assert_eq!(r(adj(-1000)).unwrap().oom_score_adj, Some(-1000));
    }
}
