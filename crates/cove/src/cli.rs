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
mod exec_args;
pub use exec_args::*;
mod run_args;
pub use run_args::*;
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

/// Parses the process arguments. Also records whether `run`'s command came
/// after `--` (no image) or not (the first word names an image).
pub fn parse() -> Result<Cli, clap::Error> {
    let raw: Vec<String> = std::env::args().collect();
    if raw.first().is_some_and(|a| oci::runtime_name(a)) {
        let runtime = oci::RuntimeCli::try_parse_from(&raw)?;
        return Ok(Cli { command: Command::Oci(runtime.args) });
    }
    // Docker's `--flag=true|false` on boolean flags.
    // One command tree serves both (building it is most of cove's start-up).
    let command = <Cli as clap::CommandFactory>::command();
    let raw = docker_argv::normalize(&command, raw);
    let mut matches = command.try_get_matches_from(&raw)?;
    let mut cli = <Cli as clap::FromArgMatches>::from_arg_matches_mut(&mut matches)
        .map_err(|e| e.format(&mut <Cli as clap::CommandFactory>::command()))?;
    if let Command::Run(run) | Command::Create(run) | Command::Shell(run) | Command::Plan(run) = &mut cli.command {
        // The command's words are always the last raw arguments, so the
        // one before them is `--` exactly when the command followed it
        // (clap's own positions count `-it` as two).
        let n = run.args.len();
        run.after_dashdash = n > 0 && raw.len() > n && raw[raw.len() - n - 1] == "--";
    }
    Ok(cli)
}
