//! Flags of the verbs that work on stored containers (`ps`, `logs`,
//! `stop`, `kill`, `rm`, `inspect`, `wait`, `start`, `rename`, `top`), and
//! the hidden monitor. No I/O here.

use clap::Args;
use std::path::PathBuf;

/// Flags `run` and `create` add for stored containers.
#[derive(Debug, Args)]
pub struct StoredArgs {
    /// Run in the background and print the container id.
    #[arg(short = 'd', long)]
    pub detach: bool,
    /// Restart policy: no, on-failure[:N], always, unless-stopped.
    #[arg(long, value_name = "POLICY", default_value = "no")]
    pub restart: String,
    /// Signal that `stop` sends first (default SIGTERM).
    #[arg(long, value_name = "SIGNAL")]
    pub stop_signal: Option<String>,
    /// Seconds `stop` waits before SIGKILL (default 10).
    #[arg(long, value_name = "SECONDS")]
    pub stop_timeout: Option<u32>,
}

/// `cove ps`.
#[derive(Debug, Args)]
pub struct PsArgs {
    /// Show every container (default: running ones only).
    #[arg(short = 'a', long)]
    pub all: bool,
    /// Only the ids.
    #[arg(short = 'q', long)]
    pub quiet: bool,
    /// Full ids and commands.
    #[arg(long)]
    pub no_trunc: bool,
    /// Filter: status=, name=, id=, label=KEY[=VALUE], ancestor=IMAGE, exited=CODE
    /// (repeatable: the same key matches any of its values, different keys all must match).
    #[arg(short = 'f', long = "filter", value_name = "KEY=VALUE")]
    pub filter: Vec<String>,
    /// Only the newest N containers (of every state).
    #[arg(short = 'n', long, value_name = "N")]
    pub last: Option<usize>,
    /// Only the newest container (of every state).
    #[arg(short = 'l', long)]
    pub latest: bool,
    /// Not supported: a container's writable layer is a tmpfs, not disk (refused with a hint).
    #[arg(short = 's', long)]
    pub size: bool,
    /// table, json, or a template such as '{{.Names}}\t{{.Status}}'.
    #[arg(long, default_value = "table")]
    pub format: String,
}

/// `cove logs`.
#[derive(Debug, Args)]
pub struct LogsArgs {
    /// Keep printing new output until the container ends.
    #[arg(short = 'f', long)]
    pub follow: bool,
    /// Only the last N lines ("all" for every line).
    #[arg(short = 'n', long, value_name = "N", default_value = "all")]
    pub tail: String,
    /// Only lines since a time (RFC 3339, Unix seconds) or a duration ago (10m, 1h30m).
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,
    /// Only lines before a time (RFC 3339, Unix seconds) or a duration ago (10m, 1h30m).
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,
    /// Show each line's time stamp.
    #[arg(short = 't', long)]
    pub timestamps: bool,
    /// The container (name or id).
    pub container: String,
}

/// `cove stop` and `cove restart`.
#[derive(Debug, Args)]
pub struct StopArgs {
    /// Seconds to wait after the stop signal before SIGKILL.
    #[arg(short = 't', long = "time", alias = "timeout", value_name = "SECONDS")]
    pub time: Option<u32>,
    /// Signal to send first (default: the container's stop signal).
    #[arg(short = 's', long, value_name = "SIGNAL")]
    pub signal: Option<String>,
    /// The containers.
    #[arg(required = true)]
    pub containers: Vec<String>,
}

/// `cove kill`.
#[derive(Debug, Args)]
pub struct KillArgs {
    /// Signal to send.
    #[arg(short = 's', long, default_value = "KILL", value_name = "SIGNAL")]
    pub signal: String,
    /// The containers.
    #[arg(required = true)]
    pub containers: Vec<String>,
}

/// `cove rm`.
#[derive(Debug, Args)]
pub struct RmArgs {
    /// Kill a running container first.
    #[arg(short = 'f', long)]
    pub force: bool,
    /// Accepted for Docker compatibility (cove has no anonymous volumes).
    #[arg(short = 'v', long)]
    pub volumes: bool,
    /// The containers.
    #[arg(required = true)]
    pub containers: Vec<String>,
}

/// `cove inspect`.
#[derive(Debug, Args)]
pub struct InspectArgs {
    /// A template such as '{{.State.Pid}}' instead of the JSON array.
    #[arg(short = 'f', long, value_name = "TEMPLATE")]
    pub format: Option<String>,
    /// Only this kind of object (default: a container, else an image).
    #[arg(long = "type", value_enum, value_name = "TYPE")]
    pub kind: Option<ObjectKind>,
    /// The containers (or images).
    #[arg(required = true, value_name = "NAME")]
    pub containers: Vec<String>,
}

/// `cove inspect --type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ObjectKind {
    /// A stored container.
    Container,
    /// A local image.
    Image,
    /// A named volume.
    Volume,
}

/// Verbs that take only containers (`wait`, `top`).
#[derive(Debug, Args)]
pub struct ContainersArgs {
    /// The containers.
    #[arg(required = true)]
    pub containers: Vec<String>,
}

/// `cove start`.
#[derive(Debug, Args)]
pub struct StartArgs {
    /// Print the container's output and end with its exit code.
    #[arg(short = 'a', long)]
    pub attach: bool,
    /// Attach the container's stdin (with -a).
    #[arg(short = 'i', long)]
    pub interactive: bool,
    /// The keys that detach without stopping the container.
    #[arg(long, value_name = "KEYS", default_value = cove_core::container::attach::DEFAULT_DETACH_KEYS)]
    pub detach_keys: String,
    /// The containers.
    #[arg(required = true)]
    pub containers: Vec<String>,
}

/// `cove attach`.
#[derive(Debug, Args)]
pub struct AttachArgs {
    /// Do not attach stdin.
    #[arg(long)]
    pub no_stdin: bool,
    /// The keys that detach without stopping the container.
    #[arg(long, value_name = "KEYS", default_value = cove_core::container::attach::DEFAULT_DETACH_KEYS)]
    pub detach_keys: String,
    /// Pass the signals cove receives on to the container (Docker's default; not with -t).
    #[arg(long = "sig-proxy", value_name = "BOOL", num_args = 0..=1, require_equals = true,
          default_missing_value = "true", value_parser = clap::builder::BoolishValueParser::new())]
    pub sig_proxy: Option<bool>,
    /// The container.
    pub container: String,
}

/// `cove rename`.
#[derive(Debug, Args)]
pub struct RenameArgs {
    /// The container.
    pub container: String,
    /// Its new name.
    pub name: String,
}

/// `cove container prune`.
#[derive(Debug, Args)]
pub struct PruneArgs {
    /// Do not ask (cove never asks; accepted for Docker compatibility).
    #[arg(short = 'f', long)]
    pub force: bool,
    /// Only some: label=KEY[=VALUE], label!=KEY[=VALUE], until=TIME|DURATION (created before).
    #[arg(long = "filter", value_name = "KEY=VALUE")]
    pub filter: Vec<String>,
}

/// `cove __monitor` (hidden; started by `run -d` and `start`).
#[derive(Debug, Args)]
pub struct MonitorArgs {
    /// The store root.
    #[arg(long)]
    pub root: PathBuf,
    /// The container's full id.
    pub id: String,
    /// Hold the output until a first client attaches (`start -a`).
    #[arg(long)]
    pub hold_output: bool,
}

/// `cove port CONTAINER [PORT[/PROTO]]`.
#[derive(Debug, Args)]
pub struct PortArgs {
    /// The container.
    pub container: String,
    /// Only this container port (e.g. 80 or 53/udp).
    #[arg(value_name = "PORT[/PROTO]")]
    pub port: Option<String>,
}
