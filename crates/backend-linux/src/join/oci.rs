//! OCI `exec`: the same join as `cove exec` (steps 0 to 4 in `mod.rs`:
//! pin, cgroups, namespaces user first, root, rlimits, fork into the pid
//! namespace, stage 3), with an engine's conventions for waiting: the
//! terminal's master goes to `--console-socket` instead of being relayed,
//! stdio stays the engine's even with `--detach`, and cove waits for the
//! process (its child through `CLONE_PARENT`) without relaying signals.

use super::{Method, Target, enter, launch, pin};
use crate::SpawnError;
use crate::seccomp;
use crate::spawn::channel::{Channel, Message};
use crate::spawn::create::send_console;
use crate::sys;
use cove_core::exec::{ExecPlan, JOIN_ORDER};
use cove_core::exit::ExitStatus;
use cove_core::plan::ProcessPlan;
use rustix::process::{Pid, WaitOptions, waitpid};
use std::io;
use std::path::Path;

/// The process `exec` started: its pid and, without detach, how it ended.
#[derive(Debug)]
pub struct Executed {
    /// Host pid.
    pub pid: i32,
    /// Exit status (None with detach).
    pub status: Option<ExitStatus>,
}

/// Runs `process` in the container whose first process is `target`.
pub fn exec_in(
    target: &Target,
    process: &ProcessPlan,
    setgroups: bool,
    console: Option<&Path>,
    detach: bool,
) -> Result<Executed, SpawnError> {
    let container = pin(target)?;
    let filter = process.seccomp.as_ref().map(|p| seccomp::compile_for_host(p, &process.capabilities)).transpose()?;
    let cgroups = super::cgroup_files(&container)?;
    let limits = super::rlimits::parse(&container.limits);
    // Every namespace of the container that is not already ours (an OCI
    // config may share some with the host), in the join order.
    let link = |pid: &str, ns| std::fs::read_link(format!("/proc/{pid}/ns/{}", super::namespaces::file(ns))).ok();
    let pid = target.pid.to_string();
    let join = JOIN_ORDER.iter().copied().filter(|ns| link(&pid, *ns) != link("self", *ns)).collect();
    let plan = ExecPlan { join, setgroups, process: process.clone(), detach };
    let mask = sys::signal::block(&[]).map_err(SpawnError::parent("read signal mask"))?;
    let how = enter::How { limits: &limits, method: Method::Pidfd, null_stdio: false };
    let (chan, guard) = launch(&container, &plan, &cgroups, mask, filter.as_ref(), how)?;
    wait_started(&chan, console)?;
    let pid = guard.0;
    std::mem::forget(guard);
    let status = if detach { None } else { Some(wait_exit(pid)?) };
    Ok(Executed { pid, status })
}

/// Until the process has executed: the terminal (passed on), then
/// end-of-stream; a setup or exec failure is the error.
fn wait_started(chan: &Channel, console: Option<&Path>) -> Result<(), SpawnError> {
    loop {
        match chan.recv()? {
            Some((Message::PtyMaster, Some(fd))) => send_console(console, fd)?,
            Some((Message::SetupFailed { step, path, errno }, _)) => {
                return Err(SpawnError::Setup { step, path, source: io::Error::from_raw_os_error(errno) });
            }
            Some((Message::ExecFailed { program, errno }, _)) => {
                let source = io::Error::from_raw_os_error(errno);
                return Err(SpawnError::Setup { step: "exec".into(), path: program, source });
            }
            Some((other, _)) => {
                return Err(SpawnError::Protocol { expected: "end of stream", got: other.name().into() });
            }
            None => return Ok(()),
        }
    }
}

/// Waits for the process (cove's child) to end.
fn wait_exit(pid: i32) -> Result<ExitStatus, SpawnError> {
    let p = Pid::from_raw(pid).ok_or(SpawnError::Protocol { expected: "a pid", got: pid.to_string() })?;
    loop {
        match waitpid(Some(p), WaitOptions::empty()) {
            Err(rustix::io::Errno::INTR) => continue,
            Err(e) => return Err(SpawnError::parent(format!("wait for pid {pid}"))(e.into())),
            Ok(Some((_, st))) => {
                let status = st
                    .exit_status()
                    .map(ExitStatus::Exited)
                    .or_else(|| st.terminating_signal().map(ExitStatus::Signaled));
                if let Some(status) = status {
                    return Ok(status);
                }
            }
            Ok(None) => {}
        }
    }
}
