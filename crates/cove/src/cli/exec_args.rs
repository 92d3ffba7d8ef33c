//! `cove exec` flags, and the hidden `cove __join` that carries them into
//! a running container.

use clap::Args;
use std::path::PathBuf;

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
