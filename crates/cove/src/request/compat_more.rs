//! `cli/compat_more.rs`'s flags: the refusals (each naming the flag, why,
//! and what to do instead) and `--cpu-quota`/`--cpu-period` as a CPU limit.

use crate::cli::compat_more::MoreCompatArgs;
use anyhow::{bail, ensure};

/// Refuses the flags cove cannot honour.
pub fn check(m: &MoreCompatArgs) -> anyhow::Result<()> {
    if let Some(l) = m.link.first() {
        bail!(
            "--link {l} is not supported: cove keeps no network shared between containers\n\
             hint: publish the other container's port (-p) and use --add-host NAME:host-gateway"
        );
    }
    let network = [
        ("--network-alias", m.network_alias.first()),
        ("--ip", m.ip.as_ref()),
        ("--ip6", m.ip6.as_ref()),
        ("--link-local-ip", m.link_local_ip.first()),
    ];
    if let Some((flag, Some(v))) = network.iter().find(|(_, v)| v.is_some()) {
        bail!(
            "{flag} {v} is not supported: cove has no user-defined networks; each container gets its own private one\n\
             hint: leave {flag} out and reach other containers through published ports"
        );
    }
    if let Some(o) = m.dns_option.first() {
        bail!("--dns-option {o} is not supported yet\nhint: use --dns and --dns-search");
    }
    if m.oom_kill_disable.as_deref().is_some_and(|v| !matches!(v, "false" | "0" | "f" | "F" | "FALSE" | "False")) {
        bail!(
            "--oom-kill-disable is not supported: the kernel's OOM killer stays on for containers\nhint: set a --memory limit large enough"
        );
    }
    if m.kernel_memory.is_some() {
        bail!("--kernel-memory is not supported (Docker deprecated it; kernels ignore it)\nhint: use --memory");
    }
    if m.memory_swappiness.is_some_and(|s| s != -1) {
        bail!("--memory-swappiness is not supported\nhint: use --memory-swap to limit swap");
    }
    io_limits(m)?;
    if m.cpu_rt_runtime.is_some() || m.cpu_rt_period.is_some() {
        bail!(
            "--cpu-rt-runtime/--cpu-rt-period are not supported: containers get no real-time CPU time\nhint: use --cpus"
        );
    }
    if let Some(p) = &m.cgroup_parent {
        bail!("--cgroup-parent {p} is not supported: cove places the container's cgroup itself\nhint: leave it out");
    }
    let windows = [
        ("--cpu-count", m.cpu_count.is_some()),
        ("--cpu-percent", m.cpu_percent.is_some()),
        ("--io-maxiops", m.io_maxiops.is_some()),
        ("--io-maxbandwidth", m.io_maxbandwidth.is_some()),
        ("--credentialspec", m.credentialspec.is_some()),
    ];
    if let Some((flag, _)) = windows.iter().find(|(_, set)| *set) {
        bail!("{flag} is not supported: it applies to Windows containers only\nhint: use --cpus and --memory");
    }
    if m.use_api_socket {
        bail!("--use-api-socket is not supported: cove has no daemon and no Docker API socket to pass in");
    }
    if let Some(d) = m.volume_driver.as_deref().filter(|d| *d != "local") {
        bail!("--volume-driver {d} is not supported: volumes are directories in cove's store (local)");
    }
    Ok(())
}

fn io_limits(m: &MoreCompatArgs) -> anyhow::Result<()> {
    let io = [
        ("--blkio-weight", m.blkio_weight.is_some()),
        ("--blkio-weight-device", !m.blkio_weight_device.is_empty()),
        ("--device-read-bps", !m.device_read_bps.is_empty()),
        ("--device-write-bps", !m.device_write_bps.is_empty()),
        ("--device-read-iops", !m.device_read_iops.is_empty()),
        ("--device-write-iops", !m.device_write_iops.is_empty()),
    ];
    if let Some((flag, _)) = io.iter().find(|(_, set)| *set) {
        bail!(
            "{flag} is not supported: cove sets no block I/O limits\nhint: leave it out; --memory, --cpus and --pids-limit are enforced"
        );
    }
    Ok(())
}

/// `--cpu-quota Q [--cpu-period P]` as billionths of a CPU (Q/P), as the
/// kernel's CFS would share them; `None` without a quota or with -1.
pub fn nano_cpus(m: &MoreCompatArgs, cpus: Option<&str>) -> anyhow::Result<Option<u64>> {
    let period = m.cpu_period.unwrap_or(100_000);
    ensure!(
        (1_000..=1_000_000).contains(&period),
        "invalid --cpu-period {period}: must be between 1000 and 1000000 microseconds"
    );
    let quota = match m.cpu_quota {
        None | Some(-1) | Some(0) => return Ok(None),
        Some(q) if q < 1_000 => bail!("invalid --cpu-quota {q}: must be at least 1000 microseconds (or -1)"),
        Some(q) => q as u64,
    };
    ensure!(cpus.is_none(), "conflicting options: --cpus and --cpu-quota/--cpu-period (give one or the other)");
    Ok(Some(quota.saturating_mul(1_000_000_000) / period))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quota_over_period() {
        let m = |q, p| MoreCompatArgs { cpu_quota: Some(q), cpu_period: p, ..MoreCompatArgs::default() };
        assert_eq!(nano_cpus(&m(50_000, None), None).unwrap(), Some(500_000_000));
        assert_eq!(nano_cpus(&m(200_000, Some(50_000)), None).unwrap(), Some(4_000_000_000));
        assert_eq!(nano_cpus(&m(-1, None), None).unwrap(), None);
        assert!(nano_cpus(&m(50_000, None), Some("1")).is_err());
        assert!(nano_cpus(&m(10, None), None).is_err());
    }
}
