//! Raw command-line flags, defined once (help text comes from here). No I/O:
//! `request.rs` turns these into validated requests.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

mod compat_args;
pub mod compat_more;
mod docker_argv;
mod image_args;
pub use compat_args::CompatArgs;
pub use image_args::*;
mod containers;
pub use containers::*;
mod stats_args;
pub use stats_args::*;
mod volume_args;
pub use volume_args::*;
pub mod oci;

/// Docker-style containers with no virtualization, no daemon and no root.
#[derive(Debug, Parser)]
#[command(name = "cove", version, propagate_version = true, max_term_width = 100)]
pub struct Cli {
    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

/// cove's verbs.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a command in a new container.
    Run(Box<RunArgs>),
    /// An interactive shell in a throwaway container (sandbox, --rootfs or IMAGE).
    ///
    /// `cove run -it` with a shell: your $SHELL in the zero-setup sandbox,
    /// /bin/sh on --rootfs DIR or on a local IMAGE (instead of its Entrypoint).
    Shell(Box<RunArgs>),
    /// Show what this host can enforce, feature by feature.
    Info(InfoArgs),
    /// Import an image: an OCI layout directory or tarball, or a `docker save` tarball.
    Import(ImportArgs),
    /// List the images in the local store.
    Images(ImagesArgs),
    /// Give an image another name.
    Tag(TagArgs),
    /// Remove images.
    Rmi(RmiArgs),
    /// Manage images (inspect, ls, rm, prune, tag).
    #[command(subcommand)]
    Image(ImageCommand),
    /// Manage cove's data (df).
    #[command(subcommand)]
    System(SystemCommand),
    /// Create a container without starting it (prints its id).
    Create(Box<RunArgs>),
    /// Start stopped or created containers.
    Start(StartArgs),
    /// List containers.
    Ps(PsArgs),
    /// Print a container's output.
    Logs(LogsArgs),
    /// Stop containers: the stop signal, then SIGKILL after a timeout.
    Stop(StopArgs),
    /// Stop and start containers again.
    Restart(StopArgs),
    /// Send a signal to containers (default SIGKILL).
    Kill(KillArgs),
    /// Remove containers.
    Rm(RmArgs),
    /// Show containers as JSON (Docker's keys).
    Inspect(InspectArgs),
    /// Wait for containers to end and print their exit codes.
    Wait(ContainersArgs),
    /// Follow a running container's output until it ends (input not yet).
    Attach(AttachArgs),
    /// Run a command in a running container (joining it, not a new sandbox).
    Exec(ContainerExecArgs),
    /// Rename a container.
    Rename(RenameArgs),
    /// Show a container's processes.
    Top(ContainersArgs),
    /// List a container's published ports (`-p`).
    Port(PortArgs),
    /// Live resource usage of containers (CPU, memory, network, block I/O, pids).
    Stats(StatsArgs),
    /// Manage volumes (create, ls, inspect, rm, prune).
    #[command(subcommand)]
    Volume(VolumeCommand),
    /// Show cove's version (Docker's `version`; --format json).
    Version(VersionArgs),
    /// Manage containers (`cove container prune`, `cove container ls`, ...).
    #[command(subcommand)]
    Container(ContainerCommand),
    /// Internal: the per-container monitor.
    #[command(name = "__monitor", hide = true)]
    Monitor(MonitorArgs),
    /// Download an image from a registry into the local store.
    Pull(PullArgs),
    /// Log in to a registry (credentials go to Docker's config.json).
    Login(LoginArgs),
    /// Log out from a registry.
    Logout(LogoutArgs),
    /// Try to break out of real containers: cove's adversarial self-check.
    Test(TestArgs),
    /// Be an OCI runtime (create, start, state, kill, delete on a bundle), as
    /// podman and containerd call runc. See docs/oci.md.
    Oci(oci::OciArgs),
    /// Internal (tests): print the plan `cove run` would carry out, as JSON.
    #[command(name = "__plan", hide = true)]
    Plan(Box<RunArgs>),
    /// Internal (tests, until the container store exists): join the
    /// container whose first process is --pid, started with the plan in --plan.
    #[command(name = "__join", hide = true)]
    Join(JoinArgs),
    /// Internal: one attempt inside a `cove test` container.
    #[command(name = "__probe", hide = true)]
    Probe(ProbeArgs),
}

/// `cove container ...`.
#[derive(Debug, Subcommand)]
pub enum ContainerCommand {
    /// Remove every stopped container.
    Prune(PruneArgs),
    /// List containers.
    #[command(alias = "list")]
    Ls(PsArgs),
    /// Remove containers.
    Rm(RmArgs),
    /// Show containers as JSON.
    Inspect(InspectArgs),
    /// Start stopped or created containers.
    Start(StartArgs),
    /// Stop containers.
    Stop(StopArgs),
    /// Stop and start containers again.
    Restart(StopArgs),
    /// Send a signal to containers.
    Kill(KillArgs),
    /// Print a container's output.
    Logs(LogsArgs),
    /// Wait for containers to end and print their exit codes.
    Wait(ContainersArgs),
    /// Show a container's processes.
    Top(ContainersArgs),
    /// Rename a container.
    Rename(RenameArgs),
    /// Follow a running container's output until it ends.
    Attach(AttachArgs),
}

/// Output format of table-printing verbs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// A table for people.
    Table,
    /// JSON for programs.
    Json,
}

/// `cove info`.
#[derive(Debug, Args)]
pub struct InfoArgs {
    /// table, json, or a template such as '{{.ServerVersion}}'.
    #[arg(short = 'f', long, default_value = "table")]
    pub format: String,
}

/// `cove import PATH [--tag REF]`.
///
/// Copies every blob into the store (each one verified by digest), unpacks
/// each layer once (shared by every image with the same base) and records
/// the image last: a failed import leaves no image behind. Picks the
/// manifest for linux/<this architecture> from an index (one nested index
/// deep). Tarballs (`docker save` output, also Docker 25+'s, or an OCI
/// layout tar) are checked like layers: hostile entries import nothing.
#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  cove import ./oci-layout --tag myapp:1.0\n  \
    cove import busybox.tar          # from docker save\n  cove run myapp:1.0")]
pub struct ImportArgs {
    /// An OCI layout directory (with oci-layout, index.json, blobs/), or a
    /// tarball of one, or a `docker save` tarball.
    #[arg(value_name = "PATH")]
    pub path: PathBuf,
    /// Name the image (default: the layout's org.opencontainers.image.ref.name).
    #[arg(long, short = 't', value_name = "REF")]
    pub tag: Option<String>,
}

/// `cove images`.
#[derive(Debug, Args)]
pub struct ImagesArgs {
    /// table, json, or a template such as '{{.Repository}}:{{.Tag}}'.
    #[arg(long, default_value = "table")]
    pub format: String,
    /// Only the image ids.
    #[arg(short = 'q', long)]
    pub quiet: bool,
    /// Filter: dangling=true|false, reference=PATTERN (`*` wildcards), label=KEY[=VALUE].
    #[arg(short = 'f', long = "filter", value_name = "KEY=VALUE")]
    pub filter: Vec<String>,
    /// Every image (cove stores no intermediate images, so the same list).
    #[arg(short = 'a', long)]
    pub all: bool,
}

/// `cove pull [-q] [--platform P] REF`.
///
/// Resolves the reference in its registry (Docker Hub when no registry is
/// named), picks the manifest for linux/<this architecture> or --platform
/// from an index, downloads up to 3 layers at a time (resuming where an
/// earlier pull stopped), verifies every blob against its digest, unpacks
/// and records the image last. Plain HTTP only for registries on loopback
/// or listed in COVE_INSECURE_REGISTRIES (comma-separated); credentials
/// from `cove login` (Docker's config.json).
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  cove pull alpine\n  cove pull --platform linux/arm64 localhost:5000/team/app:1.0\n  \
    cove pull registry.example.com/app@sha256:<digest>"
)]
pub struct PullArgs {
    /// The image: NAME[:TAG] or NAME@DIGEST.
    #[arg(value_name = "REF")]
    pub reference: String,
    /// Print only the image name (no progress, no status).
    #[arg(short = 'q', long)]
    pub quiet: bool,
    /// The platform to pull from a multi-platform image: os/arch[/variant].
    #[arg(long, value_name = "OS/ARCH[/VARIANT]")]
    pub platform: Option<String>,
}

/// `cove login [-u USER] [--password-stdin] [SERVER]`.
///
/// Checks the credentials with the registry, then stores them in
/// `$DOCKER_CONFIG/config.json` or `~/.docker/config.json` (mode 0600), as
/// `docker login` does.
#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  echo \"$TOKEN\" | cove login -u me --password-stdin registry.example.com")]
pub struct LoginArgs {
    /// The registry (default: Docker Hub).
    #[arg(value_name = "SERVER")]
    pub server: Option<String>,
    /// User name (asked for when missing).
    #[arg(short = 'u', long)]
    pub username: Option<String>,
    /// Password (visible in the process list: prefer --password-stdin).
    #[arg(short = 'p', long, conflicts_with = "password_stdin")]
    pub password: Option<String>,
    /// Read the password from stdin.
    #[arg(long)]
    pub password_stdin: bool,
}

/// `cove logout [SERVER]`.
#[derive(Debug, Args)]
pub struct LogoutArgs {
    /// The registry (default: Docker Hub).
    #[arg(value_name = "SERVER")]
    pub server: Option<String>,
}

/// `cove run --pull`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum PullPolicy {
    /// Pull the image before running, always.
    Always,
    /// Pull the image when it is not in the local store.
    Missing,
    /// Never pull: an image that is not local is an error.
    Never,
}

/// `cove test [CATEGORY...]`.
///
/// Starts real containers (the zero-setup sandbox) and, inside each, tries
/// one way out: host files, host processes, privileged syscalls, terminal
/// injection, leaked descriptors, setuid binaries, cove's own binary,
/// hostile volume paths. Prints one row per check and ends with
/// `N passed, N failed`; exits 1 when a check failed (125 on cove's own
/// errors). The security flags go to every check's container, so that a
/// protection turned off shows up as a failure. See docs/selftest.md.
#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  cove test\n  cove test fs proc --format json\n  \
    cove test --cap-add SYS_ADMIN --security-opt seccomp=unconfined   # expect failures")]
pub struct TestArgs {
    /// Categories to run (default: all).
    #[arg(value_enum, value_name = "CATEGORY")]
    pub categories: Vec<crate::selftest::Category>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Security flags given to every check's container (as `cove run`).
    #[command(flatten)]
    pub security: SecurityArgs,
    /// User inside every check's container (the setuid check switches to it).
    #[arg(short = 'u', long = "user", value_name = "NAME|UID[:GROUP|GID]")]
    pub user: Option<String>,
    /// Give every check a deliberate way out, to show that each one can fail.
    #[arg(long, hide = true)]
    pub weaken: bool,
}

/// `cove __probe NAME [ARG...]` (hidden; run by `cove test` inside its containers).
#[derive(Debug, Args)]
pub struct ProbeArgs {
    /// The probe.
    pub name: String,
    /// Its arguments.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub args: Vec<String>,
}

/// The flags of `cove exec` (Docker's).
#[derive(Debug, Args)]
pub struct ExecArgs {
    /// Keep stdin open.
    #[arg(short = 'i', long)]
    pub interactive: bool,
    /// Allocate a pseudo-terminal.
    #[arg(short = 't', long)]
    pub tty: bool,
    /// Start the command and return at once.
    #[arg(short = 'd', long)]
    pub detach: bool,
    /// Set environment variables (KEY=VALUE, or KEY to copy the caller's value).
    #[arg(short = 'e', long = "env", value_name = "KEY[=VALUE]")]
    pub env: Vec<String>,
    /// User inside the container (default: the container's).
    #[arg(short = 'u', long = "user", value_name = "NAME|UID[:GROUP|GID]")]
    pub user: Option<String>,
    /// Working directory inside the container (default: the container's).
    #[arg(short = 'w', long = "workdir", value_name = "DIR")]
    pub workdir: Option<String>,
    /// Not supported: cove never grants host privileges (refused with a hint).
    #[arg(long)]
    pub privileged: bool,
    /// Read environment variables from a file (before -e).
    #[arg(long = "env-file", value_name = "FILE")]
    pub env_file: Vec<PathBuf>,
}

/// `cove exec [OPTIONS] CONTAINER COMMAND [ARG...]`.
///
/// The command joins the running container: its namespaces, root, cgroups
/// and rlimits, with its capabilities, no_new_privs and seccomp profile; by
/// default as its user, in its working directory, with its environment.
/// Exits with the command's code (126: cannot execute, 127: not found; 1:
/// no such container, or it is not running).
#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  cove exec web ls /\n  cove exec -it web sh\n  \
    cove exec -u app -w /tmp -e DEBUG=1 web env\n  cove exec -d web sh -c 'sleep 60'")]
pub struct ContainerExecArgs {
    /// The exec flags.
    #[command(flatten)]
    pub exec: ExecArgs,
    /// The container (name, or a unique prefix of its id).
    pub container: String,
    /// The command and its arguments.
    #[arg(value_name = "COMMAND", trailing_var_arg = true, required = true)]
    pub args: Vec<String>,
}

/// `cove __join --pid PID --plan FILE [EXEC FLAGS] COMMAND...` (hidden).
#[derive(Debug, Args)]
pub struct JoinArgs {
    /// Host pid of the container's first process.
    #[arg(long)]
    pub pid: i32,
    /// Its start time (`/proc/PID/stat` field 22), to detect a reused pid.
    #[arg(long)]
    pub start_time: Option<u64>,
    /// The container's plan (`cove __plan` output for the same run flags).
    #[arg(long, value_name = "FILE")]
    pub plan: PathBuf,
    /// Enter the namespaces one `/proc/PID/ns` descriptor at a time (the
    /// fallback for kernels without `setns` on a pidfd).
    #[arg(long)]
    pub ns_fds: bool,
    /// The exec flags.
    #[command(flatten)]
    pub exec: ExecArgs,
    /// The command and its arguments.
    #[arg(value_name = "COMMAND", trailing_var_arg = true, required = true)]
    pub args: Vec<String>,
}

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

/// Parses the process arguments. Also records whether `run`'s command came
/// after `--` (no image) or not (the first word names an image).
pub fn parse() -> Result<Cli, clap::Error> {
    let raw: Vec<String> = std::env::args().collect();
    if raw.first().is_some_and(|a| oci::runtime_name(a)) {
        let runtime = oci::RuntimeCli::try_parse_from(&raw)?;
        return Ok(Cli { command: Command::Oci(runtime.args) });
    }
    // Docker's `--flag=true|false` on boolean flags.
    let raw = docker_argv::normalize(&<Cli as clap::CommandFactory>::command(), raw);
    let mut cli = Cli::try_parse_from(&raw)?;
    if let Command::Run(run) | Command::Create(run) | Command::Shell(run) | Command::Plan(run) = &mut cli.command {
        // The command's words are always the last raw arguments, so the
        // one before them is `--` exactly when the command followed it
        // (clap's own positions count `-it` as two).
        let n = run.args.len();
        run.after_dashdash = n > 0 && raw.len() > n && raw[raw.len() - n - 1] == "--";
    }
    Ok(cli)
}
