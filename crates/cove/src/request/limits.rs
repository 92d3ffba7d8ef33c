//! The resource-limit flags (`--memory`, `--memory-swap`,
//! `--memory-reservation`, `--cpus`, `--cpu-shares`, `--cpuset-cpus`,
//! `--cpuset-mems`, `--pids-limit`, `--ulimit`, `--oom-score-adj`) into
//! `Limits`, with Docker's units and meanings. Ranges are checked by
//! `Plan::build`; whether the host can enforce them is the backend's check.

use super::mounts::parse_size;
use crate::cli::RunArgs;
use anyhow::{Context, ensure};
use cove_core::plan::rlimits;
use cove_core::spec::{Limits, SwapLimit};

/// The limits `args` ask for.
pub fn spec(args: &RunArgs) -> anyhow::Result<Limits> {
    let size = |v: &Option<String>, flag: &str| {
        v.as_deref().map(|m| parse_size(m).with_context(|| format!("invalid {flag}"))).transpose()
    };
    let memory_swap = match args.memory_swap.as_deref() {
        None => None,
        Some("-1") => Some(SwapLimit::Unlimited),
        Some(v) => Some(SwapLimit::Total(parse_size(v).context("invalid --memory-swap")?)),
    };
    let pids = match args.pids_limit {
        None | Some(-1) | Some(0) => None,
        Some(n) => {
            ensure!(n > 0, "invalid --pids-limit {n}: use a positive number, or -1 for unlimited");
            Some(n as u64)
        }
    };
    Ok(Limits {
        memory: size(&args.memory, "--memory")?,
        memory_swap,
        memory_reservation: size(&args.memory_reservation, "--memory-reservation")?,
        nano_cpus: match super::compat_more::nano_cpus(&args.compat.more, args.cpus.as_deref())? {
            Some(n) => Some(n),
            None => args.cpus.as_deref().map(parse_cpus).transpose()?,
        },
        // Docker: 0 is the default weight
        cpu_shares: args.cpu_shares.filter(|s| *s != 0),
        cpuset_cpus: args.cpuset_cpus.clone(),
        cpuset_mems: args.cpuset_mems.clone(),
        pids,
        ulimits: rlimits::parse_all(&args.ulimit)?,
        oom_score_adj: args.oom_score_adj,
    })
}

/// `1.5` CPUs as 1500000000 billionths (at most 9 decimal places).
fn parse_cpus(v: &str) -> anyhow::Result<u64> {
    let bad = || format!("invalid --cpus {v:?}: expected a positive decimal number such as 0.5 or 2");
    let (whole, frac) = v.split_once('.').unwrap_or((v, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    ensure!(!(whole.is_empty() && frac.is_empty()) && digits(whole) && digits(frac) && frac.len() <= 9, bad());
    let whole: u64 = if whole.is_empty() { 0 } else { whole.parse().with_context(bad)? };
    let frac: u64 = if frac.is_empty() { 0 } else { format!("{frac:0<9}").parse().with_context(bad)? };
    let nanos = whole.checked_mul(1_000_000_000).and_then(|w| w.checked_add(frac)).with_context(bad)?;
    ensure!(nanos > 0, "invalid --cpus {v:?}: must be more than 0");
    Ok(nanos)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpus_as_billionths() {
        assert_eq!(parse_cpus("0.5").unwrap(), 500_000_000);
        assert_eq!(parse_cpus("2").unwrap(), 2_000_000_000);
        assert_eq!(parse_cpus(".25").unwrap(), 250_000_000);
        assert_eq!(parse_cpus("1.000000001").unwrap(), 1_000_000_001);
        for bad in ["", ".", "0", "0.0", "-1", "1e3", "abc", "1.0000000001", "1,5"] {
            assert!(parse_cpus(bad).is_err(), "{bad:?} accepted");
        }
    }
}
