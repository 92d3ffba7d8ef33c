//! The rest of `docker run`'s flags (Docker 27's reference), so that none
//! ends in clap's bare "unexpected argument": `-q`, `--cpu-period` and
//! `--cpu-quota` are honoured, `--disable-content-trust` and
//! `--volume-driver local` change nothing, every other one is refused by
//! `request/compat.rs` with a reason and a hint. Flattened into `CompatArgs`.

use clap::Args;

/// Docker's less common `run` flags (see the module docs).
#[derive(Debug, Default, Args)]
pub struct MoreCompatArgs {
    /// Suppress the pull output (when IMAGE is pulled first).
    #[arg(short = 'q', long)]
    pub quiet: bool,
    /// CFS period in microseconds (with --cpu-quota: the same as --cpus QUOTA/PERIOD).
    #[arg(long = "cpu-period", value_name = "US")]
    pub cpu_period: Option<u64>,
    /// CFS quota in microseconds per period (-1: unlimited).
    #[arg(long = "cpu-quota", value_name = "US", allow_negative_numbers = true)]
    pub cpu_quota: Option<i64>,
    /// Skip image verification (accepted: cove verifies every blob by digest).
    #[arg(long = "disable-content-trust", value_name = "BOOL", num_args = 0..=1, require_equals = true,
          default_missing_value = "true")]
    pub disable_content_trust: Option<String>,
    /// Volume driver: only local.
    #[arg(long = "volume-driver", value_name = "DRIVER")]
    pub volume_driver: Option<String>,
    /// Not supported: legacy container links.
    #[arg(long, value_name = "CONTAINER[:ALIAS]")]
    pub link: Vec<String>,
    /// Not supported: user-defined networks (and their aliases).
    #[arg(long = "network-alias", alias = "net-alias", value_name = "ALIAS")]
    pub network_alias: Vec<String>,
    /// Not supported: a fixed IPv4 address.
    #[arg(long, value_name = "IP")]
    pub ip: Option<String>,
    /// Not supported: a fixed IPv6 address.
    #[arg(long, value_name = "IP")]
    pub ip6: Option<String>,
    /// Not supported: link-local addresses.
    #[arg(long = "link-local-ip", value_name = "IP")]
    pub link_local_ip: Vec<String>,
    /// Not supported: resolver options.
    #[arg(long = "dns-option", alias = "dns-opt", value_name = "OPT")]
    pub dns_option: Vec<String>,
    /// Not supported: the OOM killer stays on.
    #[arg(long = "oom-kill-disable", value_name = "BOOL", num_args = 0..=1, require_equals = true,
          default_missing_value = "true")]
    pub oom_kill_disable: Option<String>,
    /// Not supported: kernel memory limit (deprecated by Docker).
    #[arg(long = "kernel-memory", value_name = "SIZE")]
    pub kernel_memory: Option<String>,
    /// Not supported: swappiness.
    #[arg(long = "memory-swappiness", value_name = "N", allow_negative_numbers = true)]
    pub memory_swappiness: Option<i64>,
    /// Not supported: block I/O weight.
    #[arg(long = "blkio-weight", value_name = "N")]
    pub blkio_weight: Option<u32>,
    /// Not supported: per-device block I/O weight.
    #[arg(long = "blkio-weight-device", value_name = "DEVICE:WEIGHT")]
    pub blkio_weight_device: Vec<String>,
    /// Not supported: per-device read rate.
    #[arg(long = "device-read-bps", value_name = "DEVICE:RATE")]
    pub device_read_bps: Vec<String>,
    /// Not supported: per-device write rate.
    #[arg(long = "device-write-bps", value_name = "DEVICE:RATE")]
    pub device_write_bps: Vec<String>,
    /// Not supported: per-device read operations.
    #[arg(long = "device-read-iops", value_name = "DEVICE:RATE")]
    pub device_read_iops: Vec<String>,
    /// Not supported: per-device write operations.
    #[arg(long = "device-write-iops", value_name = "DEVICE:RATE")]
    pub device_write_iops: Vec<String>,
    /// Not supported: real-time CPU runtime.
    #[arg(long = "cpu-rt-runtime", value_name = "US")]
    pub cpu_rt_runtime: Option<i64>,
    /// Not supported: real-time CPU period.
    #[arg(long = "cpu-rt-period", value_name = "US")]
    pub cpu_rt_period: Option<i64>,
    /// Not supported: cove places the container's cgroup itself.
    #[arg(long = "cgroup-parent", value_name = "PATH")]
    pub cgroup_parent: Option<String>,
    /// Not supported (Windows containers only).
    #[arg(long = "cpu-count", value_name = "N")]
    pub cpu_count: Option<u64>,
    /// Not supported (Windows containers only).
    #[arg(long = "cpu-percent", value_name = "N")]
    pub cpu_percent: Option<u64>,
    /// Not supported (Windows containers only).
    #[arg(long = "io-maxiops", value_name = "N")]
    pub io_maxiops: Option<u64>,
    /// Not supported (Windows containers only).
    #[arg(long = "io-maxbandwidth", value_name = "BYTES")]
    pub io_maxbandwidth: Option<String>,
    /// Not supported (Windows containers only).
    #[arg(long = "credentialspec", value_name = "SPEC")]
    pub credentialspec: Option<String>,
    /// Not supported: there is no Docker API socket to pass in.
    #[arg(long = "use-api-socket")]
    pub use_api_socket: bool,
}
