//! The control files and values a container's limits become, per
//! controller and hierarchy kind (pure; written by `create`).
//!
//! | flag | v1 | v2 |
//! |---|---|---|
//! | `--memory` | `memory.limit_in_bytes` | `memory.max` |
//! | `--memory-swap` (default: no swap) | `memory.memsw.limit_in_bytes` = the total (default: = memory; -1: unlimited) | `memory.swap.max` = total − memory (default: 0; -1: `max`) |
//! | `--memory-reservation` | `memory.soft_limit_in_bytes` | `memory.low` |
//! | `--cpus` | `cpu.cfs_period_us`, then `cpu.cfs_quota_us` | `cpu.max` = `QUOTA PERIOD` |
//! | `--cpu-shares` | `cpu.shares` | `cpu.weight` = 1 + (shares − 2) × 9999 / 262142 |
//! | `--cpuset-cpus`, `--cpuset-mems` | `cpuset.cpus`, `cpuset.mems` | `cpuset.cpus`, `cpuset.mems` |
//! | `--pids-limit` | `pids.max` | `pids.max` |
//!
//! The swap files exist only when the kernel accounts swap: without them
//! the default (no swap) needs nothing written, but an explicit
//! `--memory-swap` total cannot be enforced and is refused.

use super::place::Via;
use cove_core::plan::limits::{ResourceLimits, Swap};

/// The controllers `limits` need.
pub fn controllers(limits: &ResourceLimits) -> Vec<&'static str> {
    let mut c = Vec::new();
    if limits.memory.is_some() || limits.memory_reservation.is_some() {
        c.push("memory");
    }
    if limits.cpu.is_some() || limits.cpu_shares.is_some() {
        c.push("cpu");
    }
    if limits.cpuset_cpus.is_some() || limits.cpuset_mems.is_some() {
        c.push("cpuset");
    }
    if limits.pids.is_some() {
        c.push("pids");
    }
    c
}

/// The flag given that asks for `controller`, for messages.
pub fn flag(controller: &str, limits: &ResourceLimits) -> &'static str {
    match controller {
        "memory" if limits.memory.is_none() => "--memory-reservation",
        "memory" => "--memory",
        "cpu" if limits.cpu.is_none() => "--cpu-shares",
        "cpu" => "--cpus",
        "cpuset" if limits.cpuset_cpus.is_none() => "--cpuset-mems",
        "cpuset" => "--cpuset-cpus",
        _ => "--pids-limit",
    }
}

/// `cpu.weight` for Docker's `--cpu-shares` (the mapping runc and crun use).
pub fn cpu_weight(shares: u64) -> u64 {
    1 + (shares.clamp(2, 262_144) - 2) * 9999 / 262_142
}

/// A limit the kernel cannot take (no swap accounting).
#[derive(Debug, PartialEq, Eq)]
pub struct Unenforceable {
    /// The flag.
    pub flag: &'static str,
    /// Why.
    pub why: String,
}

/// `(file, value)` pairs for `controller`, in the order to write them;
/// `present` says whether an optional file exists in the new cgroup.
pub fn values(
    controller: &str,
    via: Via,
    limits: &ResourceLimits,
    present: &dyn Fn(&str) -> bool,
) -> Result<Vec<(&'static str, String)>, Unenforceable> {
    let mut out = Vec::new();
    let v1 = via == Via::V1;
    match controller {
        "memory" => return memory(via, limits, present),
        "cpu" => {
            if let Some(q) = limits.cpu {
                if v1 {
                    out.push(("cpu.cfs_period_us", q.period_us.to_string()));
                    out.push(("cpu.cfs_quota_us", q.quota_us.to_string()));
                } else {
                    out.push(("cpu.max", format!("{} {}", q.quota_us, q.period_us)));
                }
            }
            if let Some(s) = limits.cpu_shares {
                out.push(if v1 { ("cpu.shares", s.to_string()) } else { ("cpu.weight", cpu_weight(s).to_string()) });
            }
        }
        "cpuset" => {
            out.extend(limits.cpuset_cpus.iter().map(|c| ("cpuset.cpus", c.clone())));
            out.extend(limits.cpuset_mems.iter().map(|m| ("cpuset.mems", m.clone())));
        }
        "pids" => out.extend(limits.pids.map(|p| ("pids.max", p.to_string()))),
        _ => {}
    }
    Ok(out)
}

/// The memory controller's files.
fn memory(
    via: Via,
    limits: &ResourceLimits,
    present: &dyn Fn(&str) -> bool,
) -> Result<Vec<(&'static str, String)>, Unenforceable> {
    let mut out = Vec::new();
    let (limit, swap, soft) = match via {
        Via::V1 => ("memory.limit_in_bytes", "memory.memsw.limit_in_bytes", "memory.soft_limit_in_bytes"),
        Via::V2 => ("memory.max", "memory.swap.max", "memory.low"),
    };
    if let Some(m) = limits.memory {
        out.push((limit, m.to_string()));
        let swap_value = match (limits.swap, via) {
            (Swap::Default, Via::V1) => m.to_string(),
            (Swap::Default, Via::V2) => "0".to_owned(),
            (Swap::Unlimited, Via::V1) => "-1".to_owned(),
            (Swap::Unlimited, Via::V2) => "max".to_owned(),
            (Swap::Total(t), Via::V1) => t.to_string(),
            (Swap::Total(t), Via::V2) => (t - m).to_string(),
        };
        if present(swap) {
            out.push((swap, swap_value));
        } else if let Swap::Total(_) = limits.swap {
            let why = format!("this kernel does not account swap ({swap} is missing; boot with swapaccount=1)");
            return Err(Unenforceable { flag: "--memory-swap", why });
        }
    }
    out.extend(limits.memory_reservation.map(|r| (soft, r.to_string())));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use cove_core::plan::limits::CpuQuota;

    fn all() -> ResourceLimits {
        ResourceLimits {
            memory: Some(64 << 20),
            cpu: Some(CpuQuota { quota_us: 50_000, period_us: 100_000 }),
            pids: Some(10),
            ..Default::default()
        }
    }

    fn vals(c: &str, via: Via, l: &ResourceLimits, present: bool) -> Vec<(&'static str, String)> {
        values(c, via, l, &|_| present).unwrap()
    }

    #[test]
    fn v1_values() {
        let mem = vals("memory", Via::V1, &all(), true);
        assert_eq!(
            mem,
            [("memory.limit_in_bytes", "67108864".into()), ("memory.memsw.limit_in_bytes", "67108864".into())]
        );
        assert_eq!(vals("memory", Via::V1, &all(), false), [("memory.limit_in_bytes", "67108864".into())]);
        let cpu = vals("cpu", Via::V1, &all(), true);
        assert_eq!(cpu, [("cpu.cfs_period_us", "100000".into()), ("cpu.cfs_quota_us", "50000".into())]);
        assert_eq!(vals("pids", Via::V1, &all(), true), [("pids.max", "10".into())]);
    }

    #[test]
    fn v2_values() {
        let mem = vals("memory", Via::V2, &all(), true);
        assert_eq!(mem, [("memory.max", "67108864".into()), ("memory.swap.max", "0".into())]);
        assert_eq!(vals("cpu", Via::V2, &all(), true), [("cpu.max", "50000 100000".into())]);
        assert_eq!(vals("pids", Via::V2, &all(), true), [("pids.max", "10".into())]);
    }

    #[test]
    fn swap_reservation_shares_cpuset() {
        let m = 64 << 20;
        let l = ResourceLimits { swap: Swap::Total(3 * m), memory_reservation: Some(m / 2), ..all() };
        let v1 = vals("memory", Via::V1, &l, true);
        assert_eq!(v1[1], ("memory.memsw.limit_in_bytes", (3 * m).to_string()));
        assert_eq!(v1[2], ("memory.soft_limit_in_bytes", (m / 2).to_string()));
        let v2 = vals("memory", Via::V2, &l, true);
        assert_eq!(v2[1], ("memory.swap.max", (2 * m).to_string()));
        assert_eq!(v2[2], ("memory.low", (m / 2).to_string()));
        let err = values("memory", Via::V2, &l, &|_| false).unwrap_err();
        assert_eq!(err.flag, "--memory-swap");
        let unl = ResourceLimits { swap: Swap::Unlimited, ..all() };
        assert_eq!(vals("memory", Via::V2, &unl, true)[1].1, "max");
        assert_eq!(vals("memory", Via::V2, &unl, false).len(), 1);
        let shares = ResourceLimits { cpu_shares: Some(512), ..Default::default() };
        assert_eq!(vals("cpu", Via::V1, &shares, true), [("cpu.shares", "512".into())]);
        assert_eq!(vals("cpu", Via::V2, &shares, true), [("cpu.weight", "20".into())]);
        assert_eq!((cpu_weight(2), cpu_weight(1024), cpu_weight(262_144)), (1, 39, 10_000));
        let set = ResourceLimits { cpuset_cpus: Some("0".into()), cpuset_mems: Some("0".into()), ..Default::default() };
        assert_eq!(vals("cpuset", Via::V2, &set, true), [("cpuset.cpus", "0".into()), ("cpuset.mems", "0".into())]);
    }

    #[test]
    fn only_asked_controllers() {
        assert!(controllers(&ResourceLimits::default()).is_empty());
        assert_eq!(controllers(&all()), ["memory", "cpu", "pids"]);
        let only_pids = ResourceLimits { pids: Some(5), ..Default::default() };
        assert_eq!(controllers(&only_pids), ["pids"]);
        assert!(vals("memory", Via::V2, &only_pids, true).is_empty());
        let res = ResourceLimits { memory_reservation: Some(1), cpu_shares: Some(2), ..Default::default() };
        assert_eq!(controllers(&res), ["memory", "cpu"]);
        assert_eq!((flag("memory", &res), flag("cpu", &res)), ("--memory-reservation", "--cpu-shares"));
    }
}
