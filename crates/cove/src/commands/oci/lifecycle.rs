//! `start`, `state`, `kill`, `delete`, `ps` and `features`: the state
//! machine created → running → stopped, read from the state directory and
//! the container's process.

use super::store::{self, Record};
use crate::cli::Format;
use crate::cli::oci::KillArgs;
use crate::output;
use anyhow::{Context, bail};
use cove_backend_linux::process;
use std::path::Path;
use std::time::{Duration, Instant};

/// A container's status (runtime-spec `state.status`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Status {
    Created,
    Running,
    Paused,
    Stopped,
}

impl Status {
    pub(super) fn name(self) -> &'static str {
        match self {
            Status::Created => "created",
            Status::Running => "running",
            Status::Paused => "paused",
            Status::Stopped => "stopped",
        }
    }
}

/// Created while the process waits at its gate (the socket exists), running
/// once `start` has removed it (paused while its freezer cgroup is frozen),
/// stopped when the process has exited.
pub(super) fn status(dir: &Path, r: &Record) -> Status {
    if !process::alive(r.pid, r.start_time) {
        Status::Stopped
    } else if store::gate(dir).exists() {
        Status::Created
    } else if cove_backend_linux::cgroup::live::is_frozen(&r.cgroups) {
        Status::Paused
    } else {
        Status::Running
    }
}

/// `start`: opens the gate; returns once the process has been executed.
pub fn start(root: &Path, id: &str) -> anyhow::Result<()> {
    let (dir, r) = store::load(root, id)?;
    let st = status(&dir, &r);
    if st != Status::Created {
        bail!("cannot start container {id}: it is {} (only a created container can be started)", st.name());
    }
    // Once connected, the socket's name goes: the container counts as running.
    cove_backend_linux::oci::start(&store::gate(&dir), &|| {
        let _ = std::fs::remove_file(store::gate(&dir));
    })
    .with_context(|| format!("start container {id}"))?;
    super::hooks::run_all_warn("poststart", &r.hooks.poststart, &r.state_json("running"));
    Ok(())
}

/// `state`: runtime-spec state JSON.
pub fn state(root: &Path, id: &str) -> anyhow::Result<()> {
    let (dir, r) = store::load(root, id)?;
    output::oci_json(&r.state_json(status(&dir, &r).name()))
}

/// `kill [--all] ID [SIGNAL]`.
pub fn kill(root: &Path, args: &KillArgs) -> anyhow::Result<()> {
    let (dir, r) = store::load(root, &args.id)?;
    let Some(sig) = process::parse_signal(&args.signal) else {
        bail!("invalid signal {:?}: use a name (TERM, SIGKILL) or a number 1-64", args.signal);
    };
    if status(&dir, &r) == Status::Stopped {
        bail!("cannot kill container {}: it is not running", args.id);
    }
    let pids = if args.all { process::namespace_pids(r.pid) } else { vec![r.pid] };
    for pid in pids {
        // A process that exited meanwhile has nothing left to signal.
        match process::signal(pid, sig) {
            Err(e) if e.raw_os_error() != Some(rustix::io::Errno::SRCH.raw_os_error()) => {
                return Err(e).with_context(|| format!("send signal {sig} to pid {pid}"));
            }
            _ => {}
        }
    }
    Ok(())
}

/// `delete [--force] ID`: a created container is killed first (it never
/// runs its process); a running one only with --force.
pub fn delete(root: &Path, id: &str, force: bool) -> anyhow::Result<()> {
    let dir = store::dir(root, id)?;
    if dir.is_dir() && !dir.join("state.json").exists() {
        // A create that died before recording anything: nothing runs.
        return std::fs::remove_dir_all(&dir).with_context(|| format!("remove state directory {}", dir.display()));
    }
    let (dir, r) = store::load(root, id)?;
    match status(&dir, &r) {
        Status::Running if !force => {
            bail!("cannot delete container {id}: it is running (stop it first, or use --force)")
        }
        Status::Stopped => {}
        st => {
            let _ = process::signal(r.pid, 9);
            if st == Status::Paused {
                // ORDER: a frozen process dies of SIGKILL only once thawed.
                let mut dirs = r.cgroups.clone();
                let pids = || vec![r.pid];
                cove_backend_linux::cgroup::live::set_frozen(&mut dirs, id, &pids, false)
                    .with_context(|| format!("resume container {id} to kill it"))?;
            }
            let deadline = Instant::now() + Duration::from_secs(10);
            while process::alive(r.pid, r.start_time) {
                if Instant::now() > deadline {
                    bail!("cannot delete container {id}: pid {} did not exit after SIGKILL", r.pid);
                }
                std::thread::sleep(Duration::from_millis(5));
            }
        }
    }
    super::hooks::run_all_warn("poststop", &r.hooks.poststop, &r.state_json("stopped"));
    cove_backend_linux::cgroup::create::Cgroups::remove(r.cgroups);
    std::fs::remove_dir_all(&dir).with_context(|| format!("remove state directory {}", dir.display()))
}

/// `ps ID`: the pids of the container's processes.
pub fn ps(root: &Path, id: &str, format: Format) -> anyhow::Result<()> {
    let (dir, r) = store::load(root, id)?;
    let pids = match status(&dir, &r) {
        Status::Stopped => Vec::new(),
        _ => process::namespace_pids(r.pid),
    };
    match format {
        Format::Json => output::oci_json(&serde_json::json!(pids)),
        Format::Table => {
            let text: Vec<String> = std::iter::once("PID".to_owned()).chain(pids.iter().map(i32::to_string)).collect();
            output::oci_text(&text.join("\n"));
            Ok(())
        }
    }
}

/// `features`: what this runtime supports (runtime-spec features.md).
pub fn features() -> serde_json::Value {
    serde_json::json!({
        "ociVersionMin": "1.0.0",
        "ociVersionMax": "1.2.0",
        "hooks": ["prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"],
        "mountOptions": ["ro", "rw", "nosuid", "suid", "nodev", "dev", "noexec", "exec", "bind", "rbind",
            "private", "rprivate", "slave", "rslave", "relatime", "strictatime", "noatime", "newinstance"],
        "linux": {
            "namespaces": ["user", "mount", "pid", "uts", "ipc", "cgroup", "network"],
            "capabilities": cove_core::capability::ALL,
            "cgroup": {"v1": true, "v2": true, "systemd": false, "systemdUser": false},
            "seccomp": {"enabled": true},
            "apparmor": {"enabled": false},
            "selinux": {"enabled": false},
        },
        "annotations": {"org.opencontainers.runc.checkpoint.enabled": "false"},
    })
}
