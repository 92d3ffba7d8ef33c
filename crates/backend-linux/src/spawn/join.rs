//! OCI `exec`: a new process in a running container. An intermediate child
//! joins the container's cgroups and namespaces (user first, mount last) and
//! forks, so that the process is also in its pid namespace; that process
//! then runs stage 3 (`exec.rs`) exactly as a container's first command.
//!
//! Without `detach`, the runtime makes itself a child subreaper so the
//! orphaned process is re-parented to it, and waits for it; with `detach`
//! it returns once the process has been executed (an engine such as conmon
//! is the subreaper then).

use super::channel::{self, Channel, Message};
use super::create::send_console;
use super::error::{ChildError, at};
use super::exec;
use crate::SpawnError;
use crate::seccomp;
use crate::sys;
use crate::sys::clone::Forked;
use cove_core::exit::{COVE_ERROR, ExitStatus};
use cove_core::plan::ProcessPlan;
use rustix::process::{Pid, WaitOptions, waitpid};
use std::io;
use std::os::fd::{AsFd, OwnedFd};
use std::path::{Path, PathBuf};

/// Namespaces joined, in order: the user namespace first (it grants the
/// rights to join the others), the mount namespace last (after it, no host
/// path resolves).
// ORDER: user first (joining it grants the rights to join the others), mnt last.
const ORDER: &[&str] = &["user", "ipc", "uts", "net", "pid", "cgroup", "mnt"];

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
    target: i32,
    process: &ProcessPlan,
    setgroups: bool,
    cgroups: &[PathBuf],
    console: Option<&Path>,
    detach: bool,
) -> Result<Executed, SpawnError> {
    let caps = &process.capabilities;
    let filter = process.seccomp.as_ref().map(|p| seccomp::compile_for_host(p, caps)).transpose()?;
    let namespaces = open_namespaces(target)?;
    let (ours, theirs) = channel::pair().map_err(SpawnError::parent("create socketpair"))?;
    let mask = sys::signal::block(&[]).map_err(SpawnError::parent("read signal mask"))?;
    if !detach {
        rustix::process::set_child_subreaper(Some(rustix::process::getpid()))
            .map_err(|e| SpawnError::parent("become child subreaper")(e.into()))?;
    }
    let middle = match sys::clone::clone_process(0).map_err(SpawnError::parent("fork"))? {
        Forked::Child => {
            drop(ours);
            let code = match join(&namespaces, cgroups) {
                Err(e) => report(&theirs, &e),
                Ok(()) => match sys::clone::clone_process(0) {
                    Ok(Forked::Child) => {
                        let err = exec::exec(process, &theirs, &mask, setgroups, filter.as_ref(), None);
                        report(&theirs, &err)
                    }
                    Ok(Forked::Parent(pid)) => match theirs.send(&Message::ExecPid { pid }, None) {
                        Ok(()) => 0,
                        Err(_) => COVE_ERROR,
                    },
                    Err(e) => report(&theirs, &at("fork", "into pid namespace")(e)),
                },
            };
            sys::clone::exit_now(code)
        }
        Forked::Parent(pid) => pid,
    };
    drop(theirs);
    let _ = waitpid(Pid::from_raw(middle), WaitOptions::empty());
    let pid = wait_started(&ours, console)?;
    let status = if detach { None } else { Some(wait_exit(pid)?) };
    Ok(Executed { pid, status })
}

fn report(chan: &Channel, err: &ChildError) -> i32 {
    let _ = chan.send(&err.message(), None);
    err.exit_code()
}

fn open_namespaces(target: i32) -> Result<Vec<(String, OwnedFd)>, SpawnError> {
    let mut out = Vec::new();
    for ns in ORDER {
        let theirs = format!("/proc/{target}/ns/{ns}");
        let same = std::fs::read_link(&theirs).ok() == std::fs::read_link(format!("/proc/self/ns/{ns}")).ok();
        if same {
            continue;
        }
        let fd = std::fs::File::open(&theirs).map_err(SpawnError::parent(format!("open {theirs}")))?;
        out.push((theirs, fd.into()));
    }
    Ok(out)
}

/// The intermediate child: cgroups first (host paths), then namespaces.
fn join(namespaces: &[(String, OwnedFd)], cgroups: &[PathBuf]) -> Result<(), ChildError> {
    // ORDER: not dumpable before the first setns, until execve resets it:
    // the container must not ptrace us or open /proc/PID/exe (the runtime's
    // binary) or our fds (CVE-2019-5736). The forked process inherits it.
    rustix::process::set_dumpable_behavior(rustix::process::DumpableBehavior::NotDumpable)
        .map_err(|e| at("make the process non-dumpable", "")(e.into()))?;
    for dir in cgroups {
        let procs = dir.join("cgroup.procs");
        std::fs::write(&procs, "0").map_err(at("join cgroup", procs.display().to_string()))?;
    }
    for (path, fd) in namespaces {
        rustix::thread::move_into_link_name_space(fd.as_fd(), None).map_err(|e| at("setns", path)(e.into()))?;
    }
    Ok(())
}

/// Until the process has executed: its pid, the terminal (passed on), then
/// end-of-stream; a setup or exec failure is the error.
fn wait_started(chan: &Channel, console: Option<&Path>) -> Result<i32, SpawnError> {
    let mut pid = None;
    loop {
        match chan.recv()? {
            Some((Message::ExecPid { pid: p }, _)) => pid = Some(p),
            Some((Message::PtyMaster, Some(fd))) => send_console(console, fd)?,
            Some((Message::SetupFailed { step, path, errno }, _)) => {
                return Err(SpawnError::Setup { step, path, source: io::Error::from_raw_os_error(errno) });
            }
            Some((Message::ExecFailed { program, errno }, _)) => {
                let source = io::Error::from_raw_os_error(errno);
                return Err(SpawnError::Setup { step: "exec".into(), path: program, source });
            }
            Some((other, _)) => return Err(SpawnError::Protocol { expected: "ExecPid", got: other.name().into() }),
            None => return pid.ok_or(SpawnError::Protocol { expected: "ExecPid", got: "end of stream".into() }),
        }
    }
}

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
