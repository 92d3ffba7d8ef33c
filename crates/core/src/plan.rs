//! The `Plan`: an ordered, serialisable list of typed steps that a backend
//! carries out without making policy decisions of its own.
//!
//! [`Plan::build`] is the only place where a [`RunSpec`] becomes concrete
//! mounts, id mappings and process settings.

pub use crate::spec::MountFlags;
use crate::spec::{MountSpec, NetworkMode, RootSpec, RootWrites, RunSpec, SeccompChoice};
use serde::{Deserialize, Serialize};

pub mod cpuset;
mod defaults;
mod host_system;
mod idmap;
pub mod limits;
mod network;
pub mod rlimits;
mod steps;

pub(crate) use defaults::devices_and_links;
pub use defaults::{DEFAULT_CAPABILITIES, MASKED_PATHS, READONLY_PATHS};
pub use host_system::user_database;
pub use idmap::subordinate_map;
pub use steps::{MountStep, RootPropagation, RootStep};

/// The caller's identity on the host, which decides the id mapping.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HostIdentity {
    /// Real uid of the caller.
    pub uid: u32,
    /// Real gid of the caller.
    pub gid: u32,
    /// Subordinate id ranges the caller may map (`/etc/subuid`,
    /// `/etc/subgid`), when the setuid helpers that map them exist.
    pub subids: Option<SubIds>,
}

/// A caller's subordinate uid and gid ranges.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SubIds {
    /// First subordinate uid.
    pub uid_start: u32,
    /// How many uids.
    pub uid_count: u32,
    /// First subordinate gid.
    pub gid_start: u32,
    /// How many gids.
    pub gid_count: u32,
}

/// How many ids above 0 a container maps at most (0..=65535 inside).
pub const MAPPED_RANGE: u32 = 65536;

/// Everything a backend needs to start one container, in order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    /// Namespaces to create.
    pub namespaces: Vec<Namespace>,
    /// User-namespace id mappings.
    pub id_map: IdMap,
    /// How `/` is made.
    pub root: RootStep,
    /// Steps inside the new root, in order.
    pub mounts: Vec<MountStep>,
    /// Paths hidden (a null device over files, an empty read-only tmpfs over
    /// directories); missing ones are skipped.
    pub masked_paths: Vec<String>,
    /// Paths made read-only; missing ones are skipped.
    pub readonly_paths: Vec<String>,
    /// Remount `/` read-only as the last mount step.
    pub read_only_root: bool,
    /// UTS hostname (set only with an own UTS namespace).
    pub hostname: String,
    /// UTS (NIS) domain name, when set.
    #[serde(default)]
    pub domainname: Option<String>,
    /// `/proc/sys` values written (dotted keys) after the mount steps,
    /// before `/proc/sys` is made read-only.
    #[serde(default)]
    pub sysctls: Vec<(String, String)>,
    /// Whether to bring `lo` up in a new network namespace.
    pub loopback_up: bool,
    /// The process to execute.
    pub process: ProcessPlan,
    /// Run cove's built-in init as pid 1.
    pub init: bool,
    /// Memory, CPU and task limits (empty: none asked for).
    pub limits: limits::ResourceLimits,
    /// `--network bridge`: the built-in user-mode network (the device is
    /// made inside, the stack runs in cove).
    #[serde(default)]
    pub bridge: Option<crate::net::BridgeSpec>,
    /// Existing namespaces entered before the new ones are made (OCI
    /// `linux.namespaces[].path`), in the join order (user first); none
    /// of them is also in `namespaces`.
    #[serde(default)]
    pub join_namespaces: Vec<JoinedNamespace>,
    /// The source names new filesystems show in `/proc/self/mountinfo`, by
    /// container path (OCI `mounts[].source`); others show their type.
    #[serde(default)]
    pub mount_sources: Vec<(String, String)>,
    /// The root tree's propagation after `pivot_root` (`None`: a slave of the host's).
    #[serde(default)]
    pub root_propagation: Option<RootPropagation>,
}

/// An existing namespace the container enters instead of making one.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JoinedNamespace {
    /// Its kind (`setns` checks that the file is one).
    pub kind: Namespace,
    /// A namespace file (`/proc/PID/ns/net`, `/run/netns/NAME`).
    pub path: std::path::PathBuf,
}

/// A namespace kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Namespace {
    /// User namespace (always first: it owns the others).
    User,
    /// Mount namespace.
    Mount,
    /// Pid namespace.
    Pid,
    /// Hostname and domain name.
    Uts,
    /// System V IPC and POSIX message queues.
    Ipc,
    /// Cgroup namespace.
    Cgroup,
    /// Network namespace.
    Net,
}

/// The uid and gid mappings written for the user namespace.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdMap {
    /// uid ranges.
    pub uids: Vec<IdRange>,
    /// gid ranges.
    pub gids: Vec<IdRange>,
    /// Whether `setgroups` stays allowed (false: `deny` is written first).
    pub setgroups: bool,
    /// The maps go beyond the caller's own ids, so they must be written by
    /// the setuid helpers `newuidmap`/`newgidmap`.
    pub helper: bool,
}

/// One line of `uid_map`/`gid_map`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdRange {
    /// First id inside.
    pub inside: u32,
    /// First id outside.
    pub outside: u32,
    /// How many.
    pub count: u32,
}

/// The process to execute and the identity and privileges it runs with.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProcessPlan {
    /// argv.
    pub args: Vec<String>,
    /// Environment, `KEY=VALUE` pairs.
    pub env: Vec<(String, String)>,
    /// Working directory (exists by the time the process starts).
    pub cwd: String,
    /// uid inside.
    pub uid: u32,
    /// gid inside.
    pub gid: u32,
    /// Supplementary groups (empty when `setgroups` is denied).
    pub groups: Vec<u32>,
    /// Allocate a pseudo-terminal.
    pub terminal: bool,
    /// Connect the caller's stdin (otherwise `/dev/null`).
    pub stdin: bool,
    /// Without a terminal: stdout and stderr to `/dev/null` (`-a` without them).
    #[serde(default)]
    pub discard_output: (bool, bool),
    /// Capability names (`CAP_*`) kept in every set.
    pub capabilities: Vec<String>,
    /// Set `no_new_privs`.
    pub no_new_privileges: bool,
    /// The seccomp profile loaded last before `execve` (`None`: unconfined).
    pub seccomp: Option<crate::seccomp::Profile>,
    /// File mode creation mask of the command (Docker: 0022).
    pub umask: u32,
    /// Resource limits (`setrlimit`) set before `execve` (OCI `process.rlimits`).
    #[serde(default)]
    pub rlimits: Vec<limits::Rlimit>,
    /// Each capability set as named (OCI); `None`: all are `capabilities`.
    #[serde(default)]
    pub cap_sets: Option<crate::capability::CapSets>,
}

/// A spec that cannot be planned.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PlanError {
    /// A `--cap-add`/`--cap-drop` name that is not a capability.
    #[error(transparent)]
    Capability(#[from] crate::capability::UnknownCapability),
    /// A user or group outside the ids the container maps.
    #[error("{kind} {id} is not mapped in the container's user namespace (mapped: 0-{last}); see `cove info`")]
    Unmapped {
        /// `uid` or `gid`.
        kind: &'static str,
        /// The id.
        id: u32,
        /// The highest mapped id.
        last: u32,
    },
    /// `--userns auto` as root without a subordinate range for root.
    #[error(
        "--userns auto needs a subordinate id range for root in /etc/subuid and /etc/subgid\n\
         hint: usermod --add-subuids 1000000-1065535 --add-subgids 1000000-1065535 root"
    )]
    NoRootRange,
    /// Two mounts on one container path.
    #[error("duplicate mount point: {0}")]
    DuplicateMount(String),
    /// A mount onto `/` itself.
    #[error("invalid mount destination {0:?}: cannot mount over /")]
    MountOverRoot(String),
    /// `--group-add` for a caller whose id map denies `setgroups`.
    #[error(
        "--group-add cannot be applied: this caller has no subordinate id ranges, so the container cannot set \
         supplementary groups\nhint: add ranges (usermod --add-subuids/--add-subgids; see `cove info`) or run as root"
    )]
    GroupsDenied,
    /// A resource limit out of range.
    #[error(transparent)]
    Limits(#[from] limits::LimitError),
}

impl Plan {
    /// Turns a validated spec into the ordered steps for `host`.
    pub fn build(spec: &RunSpec, host: HostIdentity) -> Result<Plan, PlanError> {
        check_mounts(&spec.mounts)?;
        let limits = limits::resolve(&spec.limits)?;
        let id_map = idmap::id_map(spec, host)?;
        let process = process_plan(spec, id_map.setgroups)?;
        if !id_map.setgroups && !spec.extra.group_add.is_empty() {
            return Err(PlanError::GroupsDenied);
        }
        let own_net = spec.network != NetworkMode::Host;
        let bridge = match &spec.network {
            NetworkMode::Bridge(b) => Some(b.clone()),
            _ => None,
        };
        let (root, mounts) = root_and_mounts(spec, &id_map, own_net, bridge.as_ref());
        Ok(Plan {
            namespaces: namespaces(spec, own_net),
            id_map,
            root,
            mounts,
            masked_paths: MASKED_PATHS.iter().map(|s| s.to_string()).collect(),
            readonly_paths: READONLY_PATHS.iter().map(|s| s.to_string()).collect(),
            read_only_root: spec.read_only,
            hostname: spec.hostname.clone(),
            domainname: spec.extra.domainname.clone(),
            sysctls: spec.extra.sysctls.clone(),
            loopback_up: own_net,
            process,
            init: spec.init,
            limits,
            bridge,
            join_namespaces: Vec::new(),
            mount_sources: Vec::new(),
            root_propagation: None,
        })
    }
}

/// The namespaces a run creates: all but the network one with
/// `--network host`, and without UTS for `--uts host`.
fn namespaces(spec: &RunSpec, own_net: bool) -> Vec<Namespace> {
    let mut namespaces =
        vec![Namespace::User, Namespace::Mount, Namespace::Pid, Namespace::Uts, Namespace::Ipc, Namespace::Cgroup];
    if spec.extra.host_uts {
        namespaces.retain(|ns| *ns != Namespace::Uts);
    }
    if own_net {
        namespaces.push(Namespace::Net);
    }
    namespaces
}

/// The root and the mounts on it, in order: the root's own (host system),
/// the bridge's name files, the kernel filesystems (with `--shm-size` or
/// without `/dev/shm`), the user's mounts, then the working directory.
fn root_and_mounts(
    spec: &RunSpec,
    id_map: &IdMap,
    own_net: bool,
    bridge: Option<&crate::net::BridgeSpec>,
) -> (RootStep, Vec<MountStep>) {
    let (root, mut mounts) = match &spec.root {
        RootSpec::HostSystem => (RootStep::Tmpfs, host_system::steps(spec)),
        RootSpec::Directory { path, writes: RootWrites::Throwaway } => {
            (RootStep::Overlay { lower: path.clone() }, Vec::new())
        }
        RootSpec::Directory { path, writes: RootWrites::InPlace } => {
            (RootStep::Bind { source: path.clone() }, Vec::new())
        }
        RootSpec::Layers { lowers } => (RootStep::Layers { lowers: lowers.clone() }, Vec::new()),
    };
    if let Some(b) = bridge {
        network::name_files(&mut mounts, spec, b);
    }
    mounts.extend(defaults::kernel_filesystems(own_net, idmap::tty_gid(id_map)));
    if let Some(bytes) = spec.extra.shm_size {
        defaults::set_shm_size(&mut mounts, bytes);
    }
    if spec.extra.no_shm {
        mounts.retain(|m| !matches!(m, MountStep::Tmpfs { dest, .. } if dest == "/dev/shm"));
    }
    mounts.extend(spec.mounts.iter().map(user_mount));
    let user = &spec.process.user;
    if spec.process.cwd != "/" {
        mounts.push(MountStep::Dir { path: spec.process.cwd.clone(), mode: 0o755, owner: Some((user.uid, user.gid)) });
    }
    (root, mounts)
}

/// The process: the spec's command and identity (supplementary groups only
/// where the id map allows `setgroups`), Docker's default capabilities
/// changed by `--cap-add`/`--cap-drop`, and the seccomp profile.
fn process_plan(spec: &RunSpec, setgroups: bool) -> Result<ProcessPlan, PlanError> {
    let sec = &spec.security;
    let capabilities = crate::capability::resolve(DEFAULT_CAPABILITIES, &sec.cap_add, &sec.cap_drop)?;
    let seccomp = match &sec.seccomp {
        SeccompChoice::Default => Some(crate::seccomp::default_profile()),
        SeccompChoice::Unconfined => None,
        SeccompChoice::Profile(p) => Some(p.clone()),
    };
    let user = &spec.process.user;
    Ok(ProcessPlan {
        args: spec.process.args.clone(),
        env: spec.process.env.clone(),
        cwd: spec.process.cwd.clone(),
        uid: user.uid,
        gid: user.gid,
        groups: if setgroups { user.groups.clone() } else { Vec::new() },
        terminal: spec.process.terminal,
        stdin: spec.process.stdin,
        discard_output: (spec.extra.discard_stdout, spec.extra.discard_stderr),
        capabilities,
        no_new_privileges: sec.no_new_privileges,
        seccomp,
        umask: 0o022,
        rlimits: Vec::new(),
        cap_sets: None,
    })
}

fn check_mounts(mounts: &[MountSpec]) -> Result<(), PlanError> {
    let mut seen: Vec<&str> = Vec::new();
    for m in mounts {
        let dest = m.destination();
        if dest == "/" {
            return Err(PlanError::MountOverRoot(dest.to_owned()));
        }
        if seen.contains(&dest) {
            return Err(PlanError::DuplicateMount(dest.to_owned()));
        }
        seen.push(dest);
    }
    Ok(())
}

fn user_mount(m: &MountSpec) -> MountStep {
    match m {
        MountSpec::Bind { source, destination, read_only } => MountStep::Bind {
            source: source.clone(),
            dest: destination.clone(),
            flags: MountFlags { read_only: *read_only, ..MountFlags::default() },
            optional: false,
        },
        MountSpec::Tmpfs { destination, size, mode, flags } => {
            MountStep::Tmpfs { dest: destination.clone(), mode: *mode, size: *size, flags: *flags }
        }
    }
}

#[cfg(test)]
mod tests;
