//! `cove run` flags (shared by `create`, `shell` and the hidden `__plan`):
//! the root, process, security and network flags; Docker's other flags are
//! in `compat_args.rs`.

use super::{CompatArgs, PullPolicy, StoredArgs};
use clap::{Args, ValueEnum};
use std::path::PathBuf;

/// `--cap-add`, `--cap-drop`, `--security-opt`: shared by `run` and `test`.
#[derive(Debug, Args)]
pub struct SecurityArgs {
    /// Add a capability to Docker's default set (ALL for every one).
    #[arg(long = "cap-add", value_name = "CAP")]
    pub cap_add: Vec<String>,
    /// Drop a capability (ALL for every one).
    #[arg(long = "cap-drop", value_name = "CAP")]
    pub cap_drop: Vec<String>,
    /// Security options: seccomp=unconfined|FILE, no-new-privileges[=true|false].
    #[arg(long = "security-opt", value_name = "OPT")]
    pub security_opt: Vec<String>,
}

/// Flags of the built-in network (`--network bridge`).
#[derive(Debug, Args)]
pub struct NetArgs {
    /// Publish a container port on the host.
    #[arg(short = 'p', long = "publish", value_name = "[IP:][HOSTPORT:]CONTAINERPORT[/tcp|udp]")]
    pub publish: Vec<String>,
    /// Publish every exposed port (the image's and --expose) on a random host port.
    #[arg(short = 'P', long = "publish-all")]
    pub publish_all: bool,
    /// Nameserver for the container's resolv.conf (default: cove's forwarder at 10.0.2.3).
    #[arg(long, value_name = "IP")]
    pub dns: Vec<String>,
    /// DNS search domain.
    #[arg(long = "dns-search", value_name = "DOMAIN")]
    pub dns_search: Vec<String>,
    /// Add a line to /etc/hosts; IP host-gateway also makes the host's
    /// loopback reachable at the gateway address.
    #[arg(long = "add-host", value_name = "NAME:IP")]
    pub add_host: Vec<String>,
}

/// `--network` modes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Network {
    /// Own network namespace with only loopback.
    None,
    /// The host's network.
    Host,
    /// A private network with outbound TCP/UDP and DNS through cove's
    /// built-in user-mode stack (address 10.0.2.100, gateway 10.0.2.2).
    Bridge,
    /// As `bridge`, served by the slirp4netns helper (when installed).
    Slirp4netns,
    /// As `bridge`, served by pasta (passt; when installed, rootless only).
    Pasta,
}

/// `cove run [OPTIONS] [IMAGE [COMMAND [ARG...]] | -- COMMAND [ARG...]]`.
///
/// IMAGE comes from the local store (`cove import`) and supplies the root
/// filesystem (writes go to a throwaway layer) and the defaults for the
/// command (Entrypoint + Cmd), the environment, -w and -u.
/// With no image and no --rootfs, the container is the zero-setup sandbox:
/// the host's system directories read-only, a generated /etc, a fresh /tmp
/// and home, no host processes, no network.
#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  cove run -- sh -c 'id; ls /'\n  cove run -it --rootfs ./rootfs -- sh\n  \
    cove run -v \"$PWD\":/work -w /work -- make test\n  cove run myapp:1.0 sh -c 'echo hi'")]
pub struct RunArgs {
    /// Use this directory as the root filesystem (writes go to a throwaway layer).
    #[arg(long, value_name = "DIR")]
    pub rootfs: Option<PathBuf>,
    /// With --rootfs: let writes change the directory itself.
    #[arg(long, requires = "rootfs")]
    pub rootfs_rw: bool,
    /// Set environment variables (KEY=VALUE, or KEY to copy the caller's value).
    #[arg(short = 'e', long = "env", value_name = "KEY[=VALUE]")]
    pub env: Vec<String>,
    /// Read environment variables from a file.
    #[arg(long = "env-file", value_name = "FILE")]
    pub env_file: Vec<PathBuf>,
    /// Working directory inside the container.
    #[arg(short = 'w', long = "workdir", value_name = "DIR")]
    pub workdir: Option<String>,
    /// User inside the container.
    #[arg(short = 'u', long = "user", value_name = "NAME|UID[:GROUP|GID]")]
    pub user: Option<String>,
    /// Container hostname.
    #[arg(short = 'h', long)]
    pub hostname: Option<String>,
    /// Bind mount a host path.
    #[arg(short = 'v', long = "volume", value_name = "HOST:CONTAINER[:ro|rw]")]
    pub volume: Vec<String>,
    /// Mount a fresh tmpfs.
    #[arg(long, value_name = "PATH[:size=N,mode=M]")]
    pub tmpfs: Vec<String>,
    /// Mount the root filesystem read-only.
    #[arg(long)]
    pub read_only: bool,
    /// Keep stdin open.
    #[arg(short = 'i', long)]
    pub interactive: bool,
    /// Allocate a pseudo-terminal.
    #[arg(short = 't', long)]
    pub tty: bool,
    /// Run a built-in init as pid 1 that forwards signals and reaps zombies.
    #[arg(long)]
    pub init: bool,
    /// Network mode [default: bridge for an image or --rootfs, none for the
    /// zero-setup sandbox].
    #[arg(long, alias = "net", value_enum)]
    pub network: Option<Network>,
    /// Network flags: -p, --dns, --dns-search, --add-host.
    #[command(flatten)]
    pub net: NetArgs,
    /// Remove the container when it exits (foreground runs always clean up).
    #[arg(long)]
    pub rm: bool,
    /// Container name.
    #[arg(long)]
    pub name: Option<String>,
    /// Detach, restart policy, stop signal and timeout.
    #[command(flatten)]
    pub stored: StoredArgs,
    /// Capabilities and security options.
    #[command(flatten)]
    pub security: SecurityArgs,
    /// User namespace for root callers: host (every id maps to itself, the
    /// default) or auto (0-65535 onto root's /etc/subuid range).
    #[arg(long, value_name = "host|auto")]
    pub userns: Option<String>,
    /// Not supported: cove never grants host privileges (refused with a hint).
    #[arg(long)]
    pub privileged: bool,
    /// Memory limit (b, k, m, g; at least 6m); no swap on top of it unless --memory-swap.
    #[arg(short = 'm', long, value_name = "SIZE")]
    pub memory: Option<String>,
    /// CPUs the container may use, e.g. 0.5 or 2 (a CFS quota per 100 ms).
    #[arg(long, value_name = "DECIMAL")]
    pub cpus: Option<String>,
    /// Most processes and threads at once (-1 or 0: unlimited).
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    pub pids_limit: Option<i64>,
    /// Memory plus swap (needs --memory; -1: unlimited swap; default: no swap).
    #[arg(long, value_name = "SIZE", allow_hyphen_values = true)]
    pub memory_swap: Option<String>,
    /// Soft memory limit, reclaimed down to under memory pressure.
    #[arg(long, value_name = "SIZE")]
    pub memory_reservation: Option<String>,
    /// Relative CPU weight (2 to 262144; 1024 is the default).
    #[arg(short = 'c', long, value_name = "N")]
    pub cpu_shares: Option<u64>,
    /// CPUs the container may run on (0-3, 0,1).
    #[arg(long, value_name = "LIST")]
    pub cpuset_cpus: Option<String>,
    /// Memory nodes the container may use (0-3, 0,1).
    #[arg(long, value_name = "LIST")]
    pub cpuset_mems: Option<String>,
    /// Process limits: NAME=SOFT[:HARD] (core cpu data fsize locks memlock msgqueue nice nofile nproc rss
    /// rtprio rttime sigpending stack as; -1 for unlimited).
    #[arg(long, value_name = "NAME=SOFT[:HARD]")]
    pub ulimit: Vec<String>,
    /// OOM-killer score adjustment (-1000 to 1000).
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    pub oom_score_adj: Option<i32>,
    /// Replace the image's Entrypoint ("" clears it; the image's Cmd is then
    /// not used either, as with Docker).
    #[arg(long, value_name = "CMD")]
    pub entrypoint: Option<String>,
    /// When to pull IMAGE from its registry.
    #[arg(long, value_enum, value_name = "always|missing|never", default_value_t = PullPolicy::Missing)]
    pub pull: PullPolicy,
    /// The platform to pull IMAGE for: os/arch[/variant].
    #[arg(long, value_name = "OS/ARCH[/VARIANT]")]
    pub platform: Option<String>,
    /// IMAGE (from the local store, see `cove import`) followed by COMMAND
    /// and its arguments; with --rootfs, or after `--`, the command itself.
    #[arg(value_name = "COMMAND", trailing_var_arg = true)]
    pub args: Vec<String>,
    /// Docker's other flags (see `cli/compat_args.rs`).
    #[command(flatten)]
    pub compat: CompatArgs,
    /// Set by [`parse`]: the command followed `--`.
    #[arg(skip)]
    pub after_dashdash: bool,
}
