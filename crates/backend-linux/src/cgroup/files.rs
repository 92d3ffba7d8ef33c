//! The control files and values a container's limits become, per
//! controller and hierarchy kind (pure; written by `create`).
//!
//! | limit | v1 | v2 |
//! |---|---|---|
//! | `--memory` | `memory.limit_in_bytes`, and `memory.memsw.limit_in_bytes` = the same when the kernel accounts swap | `memory.max`, and `memory.swap.max` = 0 when present |
//! | `--cpus` | `cpu.cfs_period_us`, then `cpu.cfs_quota_us` | `cpu.max` = `QUOTA PERIOD` |
//! | `--pids-limit` | `pids.max` | `pids.max` |
//!
//! Memory plus swap is capped at the memory limit (Docker's default
//! `--memory-swap` is twice `--memory`; cove allows no swap until
//! `--memory-swap` exists). Files for swap exist only when the kernel accounts
//! swap, so they are written only when present.

use super::place::Via;
use cove_core::plan::limits::ResourceLimits;

/// The controllers `limits` need.
pub fn controllers(limits: &ResourceLimits) -> Vec<&'static str> {
    let mut c = Vec::new();
    if limits.memory.is_some() {
        c.push("memory");
    }
    if limits.cpu.is_some() {
        c.push("cpu");
    }
    if limits.pids.is_some() {
        c.push("pids");
    }
    c
}

/// The flag that asks for `controller`, for messages.
pub fn flag(controller: &str) -> &'static str {
    match controller {
        "memory" => "--memory",
        "cpu" => "--cpus",
        _ => "--pids-limit",
    }
}

/// `(file, value)` pairs for `controller`, in the order to write them;
/// `present` says whether an optional file exists.
pub fn values(
    controller: &str,
    via: Via,
    limits: &ResourceLimits,
    present: &dyn Fn(&str) -> bool,
) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    match (controller, via) {
        ("memory", via) => {
            let Some(m) = limits.memory else { return out };
            let (limit, swap, swap_value) = match via {
                Via::V1 => ("memory.limit_in_bytes", "memory.memsw.limit_in_bytes", m.to_string()),
                Via::V2 => ("memory.max", "memory.swap.max", "0".to_owned()),
            };
            out.push((limit, m.to_string()));
            if present(swap) {
                out.push((swap, swap_value));
            }
        }
        ("cpu", Via::V1) => {
            if let Some(q) = limits.cpu {
                out.push(("cpu.cfs_period_us", q.period_us.to_string()));
                out.push(("cpu.cfs_quota_us", q.quota_us.to_string()));
            }
        }
        ("cpu", Via::V2) => {
            if let Some(q) = limits.cpu {
                out.push(("cpu.max", format!("{} {}", q.quota_us, q.period_us)));
            }
        }
        ("pids", _) => {
            if let Some(p) = limits.pids {
                out.push(("pids.max", p.to_string()));
            }
        }
        _ => {}
    }
    out
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
        }
    }

    #[test]
    fn v1_values() {
        let yes = |_: &str| true;
        let no = |_: &str| false;
        let mem = values("memory", Via::V1, &all(), &yes);
        assert_eq!(
            mem,
            [("memory.limit_in_bytes", "67108864".into()), ("memory.memsw.limit_in_bytes", "67108864".into())]
        );
        assert_eq!(values("memory", Via::V1, &all(), &no), [("memory.limit_in_bytes", "67108864".into())]);
        let cpu = values("cpu", Via::V1, &all(), &yes);
        assert_eq!(cpu, [("cpu.cfs_period_us", "100000".into()), ("cpu.cfs_quota_us", "50000".into())]);
        assert_eq!(values("pids", Via::V1, &all(), &yes), [("pids.max", "10".into())]);
    }

    #[test]
    fn v2_values() {
        let yes = |_: &str| true;
        let mem = values("memory", Via::V2, &all(), &yes);
        assert_eq!(mem, [("memory.max", "67108864".into()), ("memory.swap.max", "0".into())]);
        assert_eq!(values("cpu", Via::V2, &all(), &yes), [("cpu.max", "50000 100000".into())]);
        assert_eq!(values("pids", Via::V2, &all(), &yes), [("pids.max", "10".into())]);
    }

    #[test]
    fn only_asked_controllers() {
        assert!(controllers(&ResourceLimits::default()).is_empty());
        assert_eq!(controllers(&all()), ["memory", "cpu", "pids"]);
        let only_pids = ResourceLimits { pids: Some(5), ..Default::default() };
        assert_eq!(controllers(&only_pids), ["pids"]);
        assert!(values("memory", Via::V2, &only_pids, &|_| true).is_empty());
    }
}
