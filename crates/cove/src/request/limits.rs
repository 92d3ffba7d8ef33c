//! `--memory`, `--cpus` and `--pids-limit` into `Limits`, with Docker's
//! units and meanings. Ranges are checked by `Plan::build`; whether the host
//! can enforce them is the backend's check.

use super::mounts::parse_size;
use crate::cli::RunArgs;
use anyhow::{Context, ensure};
use cove_core::spec::Limits;

/// The limits `args` ask for.
pub fn spec(args: &RunArgs) -> anyhow::Result<Limits> {
    let memory = args.memory.as_deref().map(|m| parse_size(m).context("invalid --memory")).transpose()?;
    let nano_cpus = args.cpus.as_deref().map(parse_cpus).transpose()?;
    let pids = match args.pids_limit {
        None | Some(-1) | Some(0) => None,
        Some(n) => {
            ensure!(n > 0, "invalid --pids-limit {n}: use a positive number, or -1 for unlimited");
            Some(n as u64)
        }
    };
    Ok(Limits { memory, nano_cpus, pids })
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
