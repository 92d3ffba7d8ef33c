//! The validated description of one container run: what the user asked for,
//! with names resolved and paths checked, before any OS decides how.

use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// Everything needed to run one container, independent of the OS.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunSpec {
    /// Where `/` comes from.
    pub root: RootSpec,
    /// The process to start.
    pub process: ProcessSpec,
    /// The container's hostname.
    pub hostname: String,
    /// Volumes and tmpfs mounts, in the order given.
    pub mounts: Vec<MountSpec>,
    /// `--read-only`: the root filesystem is mounted read-only.
    pub read_only: bool,
    /// `--network`.
    pub network: NetworkMode,
    /// `--init`: a built-in pid 1 reaps zombies and forwards signals.
    pub init: bool,
    /// `--shm-size`, `--sysctl`, `--domainname`, `--group-add`.
    #[serde(default)]
    pub extra: ExtraSpec,
    /// Capabilities, no_new_privs and seccomp.
    pub security: SecuritySpec,
    /// Resource limits (`--memory`, `--cpus`, `--ulimit`, ...).
    pub limits: Limits,
}

impl RunSpec {
    /// `args` as root (uid 0, no name) in the zero-setup sandbox: the host's
    /// system as `/`, Docker's `PATH` and `HOME=/root`, working directory
    /// `/`, hostname `box`, no mounts, no network, Docker's default security,
    /// no limits. Where fixed runs (`cove test`'s probes, tests) start from,
    /// changing what they need.
    pub fn zero_setup(args: &[&str]) -> RunSpec {
        RunSpec {
            root: RootSpec::HostSystem,
            process: ProcessSpec {
                args: args.iter().map(|s| s.to_string()).collect(),
                env: vec![("PATH".into(), crate::env::DEFAULT_PATH.into()), ("HOME".into(), "/root".into())],
                cwd: "/".into(),
                user: UserIds { uid: 0, gid: 0, groups: vec![], home: "/root".into(), name: None },
                terminal: false,
                stdin: false,
            },
            hostname: "box".into(),
            mounts: vec![],
            read_only: false,
            network: NetworkMode::None,
            init: false,
            extra: ExtraSpec::default(),
            security: SecuritySpec::default(),
            limits: Limits::default(),
        }
    }
}

/// Resource limits as asked for (Docker's meanings); `None` is no limit.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limits {
    /// `--memory`: bytes.
    pub memory: Option<u64>,
    /// `--memory-swap`: memory plus swap.
    pub memory_swap: Option<SwapLimit>,
    /// `--memory-reservation`: a soft limit in bytes.
    pub memory_reservation: Option<u64>,
    /// `--cpus`: CPUs in billionths (Docker's `NanoCPUs`; 0.5 is 500000000).
    pub nano_cpus: Option<u64>,
    /// `--cpu-shares`: a relative weight (Docker's 2..262144; 1024 is the default).
    pub cpu_shares: Option<u64>,
    /// `--cpuset-cpus`: a CPU list such as `0-2,4`.
    pub cpuset_cpus: Option<String>,
    /// `--cpuset-mems`: a memory node list.
    pub cpuset_mems: Option<String>,
    /// `--pids-limit`: at most this many tasks (Docker's -1 and 0 are `None`).
    pub pids: Option<u64>,
    /// `--ulimit`: one entry per resource (the last one given wins).
    pub ulimits: Vec<crate::plan::rlimits::Rlimit>,
    /// `--oom-score-adj`: -1000..1000.
    pub oom_score_adj: Option<i32>,
}

/// `--memory-swap`: the total of memory and swap.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SwapLimit {
    /// `-1`: swap is not limited.
    Unlimited,
    /// Memory plus swap, in bytes (equal to `--memory`: no swap).
    Total(u64),
}

/// Docker settings of the container's own namespaces and identity.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExtraSpec {
    /// `--shm-size`: bytes of the `/dev/shm` tmpfs (Docker's default: 64 MiB).
    pub shm_size: Option<u64>,
    /// `--sysctl`: `(dotted key, value)`, only keys of namespaces the
    /// container owns (checked in the request).
    pub sysctls: Vec<(String, String)>,
    /// `--domainname`: the NIS domain name of the container's UTS namespace.
    pub domainname: Option<String>,
    /// `--group-add`: extra supplementary gids (also in `process.user.groups`);
    /// refused when the caller's id map cannot set groups.
    pub group_add: Vec<u32>,
    /// `--ipc none`: no `/dev/shm` (the IPC namespace stays private).
    pub no_shm: bool,
    /// `--uts host`: no UTS namespace of its own; the hostname is the host's
    /// (read, never set).
    pub host_uts: bool,
    /// `-a/--attach` without `stdout`: the command's stdout is `/dev/null`
    /// (Docker shows only attached streams).
    pub discard_stdout: bool,
    /// `-a/--attach` without `stderr`: the command's stderr is `/dev/null`.
    pub discard_stderr: bool,
}

/// `--cap-add`, `--cap-drop` and `--security-opt`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecuritySpec {
    /// Capabilities added to Docker's default set (`ALL` for every one).
    pub cap_add: Vec<String>,
    /// Capabilities removed (`ALL` starts from none).
    pub cap_drop: Vec<String>,
    /// `no-new-privileges` (on unless `--security-opt no-new-privileges=false`).
    pub no_new_privileges: bool,
    /// The seccomp filter.
    pub seccomp: SeccompChoice,
    /// `--userns`.
    pub userns: UsernsMode,
}

/// `--userns`: how a root caller's container maps ids (rootless callers
/// always get their own mapping).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum UsernsMode {
    /// Root callers: every id maps to itself (`--userns host`, the default).
    #[default]
    Identity,
    /// `--userns auto`: ids 0–65535 inside map onto root's first
    /// subordinate range, so root inside is an unprivileged id outside.
    Auto,
}

impl Default for SecuritySpec {
    fn default() -> Self {
        SecuritySpec {
            cap_add: vec![],
            cap_drop: vec![],
            no_new_privileges: true,
            seccomp: SeccompChoice::Default,
            userns: UsernsMode::Identity,
        }
    }
}

/// Which seccomp filter the container gets.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SeccompChoice {
    /// cove's default profile.
    Default,
    /// `seccomp=unconfined`: no filter.
    Unconfined,
    /// `seccomp=FILE`: a Docker/OCI JSON profile, parsed.
    Profile(crate::seccomp::Profile),
}

/// Where the container's root filesystem comes from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum RootSpec {
    /// The zero-setup sandbox: the host's system directories read-only, a
    /// generated `/etc`, fresh `/tmp` and home; nothing else of the host.
    HostSystem,
    /// A directory tree used as `/`.
    Directory {
        /// Absolute host path of the tree.
        path: PathBuf,
        /// Whether writes reach the directory itself.
        writes: RootWrites,
    },
    /// An image's layer directories stacked as overlay lower layers (top
    /// first), with a throwaway write layer.
    Layers {
        /// Absolute host paths of the layer directories, topmost first.
        lowers: Vec<PathBuf>,
    },
}

/// What happens to writes on a directory root.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum RootWrites {
    /// Writes go to a throwaway layer; the directory is never modified.
    Throwaway,
    /// `--rootfs-rw`: writes change the directory itself.
    InPlace,
}

/// The container's network.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum NetworkMode {
    /// A new network namespace with only `lo`, up.
    None,
    /// The host's network namespace.
    Host,
    /// A new network namespace with a device whose other end is cove's
    /// built-in user-mode stack (`crate::net`).
    Bridge(crate::net::BridgeSpec),
}

/// The process to run inside the container.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProcessSpec {
    /// argv; `args[0]` is looked up in the container's `PATH` when it has no `/`.
    pub args: Vec<String>,
    /// The complete environment, in order, without duplicates.
    pub env: Vec<(String, String)>,
    /// Absolute working directory inside the container.
    pub cwd: String,
    /// Numeric identity inside the container.
    pub user: UserIds,
    /// `-t`: the process gets a pseudo-terminal.
    pub terminal: bool,
    /// `-i`: the caller's stdin is connected; otherwise stdin is `/dev/null`.
    pub stdin: bool,
}

/// A numeric user identity.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserIds {
    /// User id.
    pub uid: u32,
    /// Primary group id.
    pub gid: u32,
    /// Supplementary groups.
    pub groups: Vec<u32>,
    /// Home directory (becomes `HOME` when the environment does not set it).
    pub home: String,
    /// Login name, when the user database has one.
    pub name: Option<String>,
}

/// A mount the user asked for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum MountSpec {
    /// `-v HOST:CTR[:ro]`.
    Bind {
        /// Absolute host path (symlinks on the host side are the caller's own).
        source: PathBuf,
        /// Absolute container path, resolved inside the container's root.
        destination: String,
        /// `:ro`.
        read_only: bool,
    },
    /// `--tmpfs PATH[:OPTIONS]`.
    Tmpfs {
        /// Absolute container path.
        destination: String,
        /// Size limit in bytes, if any.
        size: Option<u64>,
        /// Mode bits of the root directory (default 1777).
        mode: u32,
        /// Mount flags (Docker's default: nosuid, nodev, noexec).
        flags: MountFlags,
    },
}

impl MountSpec {
    /// The container path this mount covers.
    pub fn destination(&self) -> &str {
        match self {
            MountSpec::Bind { destination, .. } | MountSpec::Tmpfs { destination, .. } => destination,
        }
    }
}

/// Mount flags that harden a filesystem.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MountFlags {
    /// No setuid/setgid binaries.
    pub nosuid: bool,
    /// No device files.
    pub nodev: bool,
    /// No execution.
    pub noexec: bool,
    /// Read-only.
    pub read_only: bool,
}
