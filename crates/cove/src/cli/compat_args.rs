//! `cove run` flags that Docker users type, beyond cove's core set: each is
//! honoured, accepted with Docker's meaning where it has no effect on a
//! foreground daemonless run, or refused (exit 125) in `request/compat.rs`.
//! Flattened into `RunArgs`.

use clap::{ArgAction, Args};
use std::path::PathBuf;

/// Docker-compatible extras of `cove run` (see the module docs).
#[derive(Debug, Default, Args)]
#[command(disable_help_flag = true, args_override_self = true)]
pub struct CompatArgs {
    /// Print help (-h is --hostname, as with Docker).
    #[arg(long, action = ArgAction::Help)]
    pub help: Option<bool>,
    /// Attach a filesystem mount: type=bind|tmpfs|volume,source=…,target=…[,readonly][,tmpfs-size=…]
    #[arg(long, value_name = "MOUNT")]
    pub mount: Vec<String>,
    /// Set metadata (KEY=VALUE); kept for Docker compatibility.
    #[arg(short = 'l', long = "label", value_name = "KEY=VALUE")]
    pub label: Vec<String>,
    /// Write the container's id to this file (which must not exist yet).
    #[arg(long, value_name = "FILE")]
    pub cidfile: Option<PathBuf>,
    /// Read labels from a file of KEY=VALUE lines.
    #[arg(long = "label-file", value_name = "FILE")]
    pub label_file: Vec<PathBuf>,
    /// Size of /dev/shm (b, k, m, g; Docker's default 64m).
    #[arg(long = "shm-size", value_name = "SIZE")]
    pub shm_size: Option<String>,
    /// Namespaced kernel parameters: kernel.shm*, kernel.msg*, kernel.sem, fs.mqueue.*, net.* (own network only).
    #[arg(long, value_name = "KEY=VALUE")]
    pub sysctl: Vec<String>,
    /// Additional groups for the process (names from the container's /etc/group, or numbers).
    #[arg(long = "group-add", value_name = "GROUP")]
    pub group_add: Vec<String>,
    /// IPC namespace: private, shareable, or none (private without /dev/shm); host is refused.
    #[arg(long, value_name = "MODE")]
    pub ipc: Option<String>,
    /// PID namespace: private (host is refused).
    #[arg(long, value_name = "MODE")]
    pub pid: Option<String>,
    /// UTS namespace: private, or host (the host's hostname, read-only).
    #[arg(long, value_name = "MODE")]
    pub uts: Option<String>,
    /// Cgroup namespace: private (host is refused).
    #[arg(long, value_name = "MODE")]
    pub cgroupns: Option<String>,
    /// Not supported: host devices are refused.
    #[arg(long, value_name = "DEVICE")]
    pub device: Vec<String>,
    /// Not supported: GPUs are refused.
    #[arg(long, value_name = "GPUS")]
    pub gpus: Option<String>,
    /// Logging driver: json-file, local or none (output always goes to the terminal).
    #[arg(long = "log-driver", value_name = "DRIVER")]
    pub log_driver: Option<String>,
    /// Logging driver options (KEY=VALUE).
    #[arg(long = "log-opt", value_name = "KEY=VALUE")]
    pub log_opt: Vec<String>,
    /// Expose a port (metadata only, as with Docker).
    #[arg(long, value_name = "PORT[/PROTO]")]
    pub expose: Vec<String>,
    /// Health check command, run in the container by its monitor (-d, create).
    #[arg(long = "health-cmd", value_name = "CMD")]
    pub health_cmd: Option<String>,
    /// Health check interval (stored containers).
    #[arg(long = "health-interval", value_name = "DURATION")]
    pub health_interval: Option<String>,
    /// Health check timeout (stored containers).
    #[arg(long = "health-timeout", value_name = "DURATION")]
    pub health_timeout: Option<String>,
    /// Health check start period (stored containers).
    #[arg(long = "health-start-period", value_name = "DURATION")]
    pub health_start_period: Option<String>,
    /// Health check start interval (stored containers).
    #[arg(long = "health-start-interval", value_name = "DURATION")]
    pub health_start_interval: Option<String>,
    /// Health check retries (stored containers).
    #[arg(long = "health-retries", value_name = "N")]
    pub health_retries: Option<u32>,
    /// Disable the image's health check.
    #[arg(long = "no-healthcheck")]
    pub no_healthcheck: bool,
    /// Attach to STDIN, STDOUT or STDERR (default: all); streams not named go to /dev/null.
    #[arg(short = 'a', long, value_name = "STREAM")]
    pub attach: Vec<String>,
    /// Proxy received signals to the process (--sig-proxy=false is accepted; cove always forwards).
    #[arg(long = "sig-proxy", value_name = "BOOL", num_args = 0..=1, require_equals = true,
          default_missing_value = "true", value_parser = clap::builder::BoolishValueParser::new())]
    pub sig_proxy: Option<bool>,
    /// Key sequence for detaching (accepted; a foreground run has nothing to detach from).
    #[arg(long = "detach-keys", value_name = "KEYS")]
    pub detach_keys: Option<String>,
    /// Isolation technology: only default.
    #[arg(long, value_name = "MODE")]
    pub isolation: Option<String>,
    /// Container NIS domain name.
    #[arg(long, value_name = "NAME")]
    pub domainname: Option<String>,
    /// Not supported: the container has no network interface of its own.
    #[arg(long = "mac-address", value_name = "MAC")]
    pub mac_address: Option<String>,
    /// Set an annotation (KEY=VALUE); kept for Docker compatibility.
    #[arg(long, value_name = "KEY=VALUE")]
    pub annotation: Vec<String>,
    /// Not supported: there are no other containers to take volumes from.
    #[arg(long = "volumes-from", value_name = "CONTAINER")]
    pub volumes_from: Vec<String>,
    /// Not supported: cove is the runtime.
    #[arg(long, value_name = "RUNTIME")]
    pub runtime: Option<String>,
    /// Not supported: device access rules (no host devices are passed in).
    #[arg(long = "device-cgroup-rule", value_name = "RULE")]
    pub device_cgroup_rule: Vec<String>,
    /// Docker's remaining flags (`cli/compat_more.rs`).
    #[command(flatten)]
    pub more: super::compat_more::MoreCompatArgs,
    /// Not supported: storage driver options.
    #[arg(long = "storage-opt", value_name = "OPT")]
    pub storage_opt: Vec<String>,
}
