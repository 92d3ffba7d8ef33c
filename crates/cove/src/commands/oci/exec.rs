//! `exec`: another process in a running container, from `--process FILE`
//! or the config's process with new args. Exits with the process's code
//! (128+N for signal N), or 0 at once with `--detach`.

use super::store;
use crate::cli::oci::ExecArgs;
use crate::platform;
use anyhow::{Context, bail};
use cove_backend_linux::oci::exec_in;
use cove_core::backend::Backend;
use std::path::Path;

/// Runs the process; returns the exit code.
pub fn exec(root: &Path, args: &ExecArgs) -> anyhow::Result<i32> {
    let (dir, r) = store::load(root, &args.id)?;
    // A paused container's cgroup would freeze the joining process too.
    let st = super::lifecycle::status(&dir, &r);
    if st != super::lifecycle::Status::Running {
        bail!("cannot exec in container {}: it is {}, not running", args.id, st.name());
    }
    let config = r.bundle.join("config.json");
    let text = super::read_json_file(&config)?;
    let spec = cove_core::oci::parse(&text)?;
    let process = match &args.process {
        Some(file) => {
            let text = super::read_json_file(file)?;
            Some(cove_core::oci::parse_process(&text).with_context(|| format!("--process {}", file.display()))?)
        }
        None => None,
    };
    let host = platform::backend().host_identity();
    let (mut plan, setgroups) = cove_core::oci::exec_process(&spec, &r.bundle, host, process.as_ref())?;
    if process.is_none() {
        if args.command.is_empty() {
            bail!("exec needs --process FILE or a command");
        }
        plan.args = args.command.clone();
        plan.terminal = args.tty;
    }
    if plan.terminal && args.console_socket.is_none() {
        bail!("a terminal needs --console-socket to receive it");
    }
    let console = args.console_socket.as_deref();
    let target = cove_backend_linux::join::Target { pid: r.pid, start_time: Some(r.start_time) };
    let done = exec_in(&target, &plan, setgroups, console, args.detach)?;
    if let Some(pid_file) = &args.pid_file {
        std::fs::write(pid_file, done.pid.to_string()).with_context(|| format!("write {}", pid_file.display()))?;
    }
    Ok(done.status.map_or(0, |s| s.code()))
}
