//! The OCI runtime command line (runtime-spec `runtime.md` and runc's
//! de-facto flags): `cove oci VERB`, or `VERB` at the top level when the
//! binary runs under a runtime's name (see [`runtime_name`]).

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// Engines (podman, containerd) call `RUNTIME [global flags] VERB ...`.
#[derive(Debug, Args)]
#[command(after_help = "See docs/oci.md. Engines run it as `cove-oci` (a symlink to cove):\n  \
    podman --runtime /usr/local/bin/cove-oci run ...")]
pub struct OciArgs {
    /// Directory of container state (default: /run/cove-oci as root,
    /// $XDG_RUNTIME_DIR/cove-oci otherwise).
    #[arg(long, global = true, value_name = "DIR")]
    pub root: Option<PathBuf>,
    /// Also write errors to this file.
    #[arg(long, global = true, value_name = "FILE")]
    pub log: Option<PathBuf>,
    /// Format of --log.
    #[arg(long = "log-format", global = true, value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    /// Manage cgroups through systemd (not supported: `create` refuses it).
    #[arg(long = "systemd-cgroup", global = true)]
    pub systemd_cgroup: bool,
    /// Accepted for compatibility (cove prints no debug output).
    #[arg(long, global = true)]
    pub debug: bool,
    /// The verb.
    #[command(subcommand)]
    pub verb: OciVerb,
}

/// How `--log` is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// `level=error msg="..."` lines.
    Text,
    /// One JSON object per line (`{"level":"error","msg":...}`), as conmon reads.
    Json,
}

/// The runtime-spec operations.
#[derive(Debug, Subcommand)]
pub enum OciVerb {
    /// Create a container from a bundle; it waits for `start`.
    Create(CreateArgs),
    /// Run the created container's process.
    Start(IdArgs),
    /// Print the container's state as runtime-spec JSON.
    State(IdArgs),
    /// Send a signal to the container's process (default SIGTERM).
    Kill(KillArgs),
    /// Run another process in a running container.
    Exec(ExecArgs),
    /// Remove a stopped container (or, with --force, any).
    Delete(DeleteArgs),
    /// List the container's processes.
    Ps(PsArgs),
    /// Print what this runtime supports, as JSON.
    Features,
    /// Suspend every process of the container (cgroup freezer).
    Pause(IdArgs),
    /// Resume a paused container.
    Resume(IdArgs),
    /// Change the container's memory, CPU and task limits.
    Update(UpdateArgs),
}

/// `create`.
#[derive(Debug, Args)]
pub struct CreateArgs {
    /// The bundle directory (with config.json).
    #[arg(long, short = 'b', value_name = "DIR", default_value = ".")]
    pub bundle: PathBuf,
    /// Write the container's pid here.
    #[arg(long = "pid-file", value_name = "FILE")]
    pub pid_file: Option<PathBuf>,
    /// Unix socket that receives the terminal's master (process.terminal).
    #[arg(long = "console-socket", value_name = "SOCKET")]
    pub console_socket: Option<PathBuf>,
    /// Accepted; cove always uses pivot_root.
    #[arg(long = "no-pivot")]
    pub no_pivot: bool,
    /// Accepted; cove makes no session keyring.
    #[arg(long = "no-new-keyring")]
    pub no_new_keyring: bool,
    /// Pass N more descriptors (not supported beyond 0).
    #[arg(long = "preserve-fds", value_name = "N", default_value_t = 0)]
    pub preserve_fds: u32,
    /// The container id.
    pub id: String,
}

/// `exec`.
#[derive(Debug, Args)]
pub struct ExecArgs {
    /// The process as runtime-spec JSON (args, env, cwd, user, ...).
    #[arg(long, short = 'p', value_name = "FILE")]
    pub process: Option<PathBuf>,
    /// Unix socket that receives the terminal's master.
    #[arg(long = "console-socket", value_name = "SOCKET")]
    pub console_socket: Option<PathBuf>,
    /// Write the new process's pid here.
    #[arg(long = "pid-file", value_name = "FILE")]
    pub pid_file: Option<PathBuf>,
    /// Return once the process runs instead of waiting for it.
    #[arg(long, short = 'd')]
    pub detach: bool,
    /// Give the process a terminal (without --process).
    #[arg(long, short = 't')]
    pub tty: bool,
    /// The container id.
    pub id: String,
    /// The command (without --process): the config's process with these args.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub command: Vec<String>,
}

/// `update`: `--resources FILE` (runtime-spec `LinuxResources` JSON, `-`
/// for stdin) and/or runc's single-value flags.
#[derive(Debug, Args)]
pub struct UpdateArgs {
    /// LinuxResources JSON file (`-`: stdin).
    #[arg(long, short = 'r', value_name = "FILE")]
    pub resources: Option<PathBuf>,
    /// Memory limit in bytes.
    #[arg(long, value_name = "BYTES")]
    pub memory: Option<i64>,
    /// Memory plus swap in bytes (-1: unlimited).
    #[arg(long = "memory-swap", value_name = "BYTES", allow_hyphen_values = true)]
    pub memory_swap: Option<i64>,
    /// CFS quota in microseconds.
    #[arg(long = "cpu-quota", value_name = "US")]
    pub cpu_quota: Option<i64>,
    /// CFS period in microseconds.
    #[arg(long = "cpu-period", value_name = "US")]
    pub cpu_period: Option<u64>,
    /// The most tasks at once.
    #[arg(long = "pids-limit", value_name = "N")]
    pub pids_limit: Option<i64>,
    /// The container id.
    pub id: String,
}

/// A verb that takes only the id.
#[derive(Debug, Args)]
pub struct IdArgs {
    /// The container id.
    pub id: String,
}

/// `kill`.
#[derive(Debug, Args)]
pub struct KillArgs {
    /// Signal every process of the container.
    #[arg(long, short = 'a')]
    pub all: bool,
    /// The container id.
    pub id: String,
    /// Name (TERM, SIGTERM) or number.
    #[arg(default_value = "SIGTERM")]
    pub signal: String,
}

/// `delete`.
#[derive(Debug, Args)]
pub struct DeleteArgs {
    /// Kill the container first if it is running.
    #[arg(long, short = 'f')]
    pub force: bool,
    /// The container id.
    pub id: String,
}

/// `ps`.
#[derive(Debug, Args)]
pub struct PsArgs {
    /// `table` or `json` (a list of pids).
    #[arg(long, short = 'f', value_enum, default_value_t = crate::cli::Format::Table)]
    pub format: crate::cli::Format,
    /// The container id.
    pub id: String,
}

/// The binary invoked under a runtime's name.
#[derive(Debug, Parser)]
#[command(name = "cove-oci", version, max_term_width = 100)]
pub struct RuntimeCli {
    /// Global flags and the verb.
    #[command(flatten)]
    pub args: OciArgs,
}

/// Whether `argv0` names cove as an OCI runtime: `cove-oci`, a name ending
/// in `runtime`, or `runc`. Any other name (`cove test` copies the binary
/// under other names) is the normal command line.
pub fn runtime_name(argv0: &str) -> bool {
    let base = std::path::Path::new(argv0).file_name().and_then(|n| n.to_str()).unwrap_or("");
    base == "cove-oci" || base == "runc" || base.ends_with("runtime")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runtime_names() {
        for yes in ["cove-oci", "/usr/bin/cove-oci", "cove-runtime", "runc", "/x/runc"] {
            assert!(runtime_name(yes), "{yes}");
        }
        for no in ["cove", "/usr/bin/cove", "cove-oci2", "probe-copy", "runc.bak"] {
            assert!(!runtime_name(no), "{no}");
        }
    }

    #[test]
    fn global_flags_before_the_verb() {
        let argv = ["runc", "--root", "/r", "--log", "/l", "--log-format", "json", "create", "--bundle", "/b", "x"];
        let cli = RuntimeCli::try_parse_from(argv).unwrap();
        assert_eq!(cli.args.root, Some(PathBuf::from("/r")));
        assert_eq!(cli.args.log_format, LogFormat::Json);
        assert!(
            matches!(cli.args.verb, OciVerb::Create(ref c) if c.id == "x" && c.bundle == std::path::Path::new("/b"))
        );
        let kill = RuntimeCli::try_parse_from(["runc", "kill", "--all", "x", "KILL"]).unwrap();
        assert!(matches!(kill.args.verb, OciVerb::Kill(ref k) if k.all && k.signal == "KILL"));
    }
}
