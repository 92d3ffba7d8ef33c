//! `cove exec`: a new process in a running container, joining it rather
//! than starting a new sandbox (docs/spawn-pipeline.md, "Joining a running
//! container"). One stage per file:
//!
//! | stage | file | process |
//! |---|---|---|
//! | 0 | `target.rs`, `cgroups.rs`, `rlimits.rs` | cove: pin the container's first process (pidfd), read its cgroups, rlimits, root |
//! | 1 | `mod.rs` | cove: fork, cgroups, then the relay (`spawn/supervise.rs`) |
//! | 2 | `enter.rs`, `namespaces.rs` | the joining process: setns, root, rlimits, fork |
//! | 3 | `process.rs` (then `spawn/exec.rs`) | the exec process: pty, identity, caps, no_new_privs, seccomp, `execve` |
//!
//! OCI `exec` (`oci.rs`) takes the same steps 0 to 4 and differs only in
//! how cove waits: the terminal goes to `--console-socket`, no relay.

mod cgroups;
mod enter;
pub(crate) mod namespaces;
pub mod oci;
mod process;
pub mod rlimits;
mod target;

pub use namespaces::Method;
pub use target::{Pinned, Target, pin};

use crate::SpawnError;
use crate::seccomp;
use crate::spawn::channel::{self, Channel, Message};
use crate::spawn::{KillOnDrop, relayed_signals, supervise};
use crate::sys;
use crate::sys::clone::Forked;
use cove_core::backend::{ExecFailure, RunOutcome};
use cove_core::exec::ExecPlan;
use cove_core::exit::ExitStatus;

/// Runs `plan` inside the pinned container; returns how the process ended
/// (or, detached, that it started).
pub fn exec(container: &Pinned, plan: &ExecPlan) -> Result<RunOutcome, SpawnError> {
    exec_with(container, plan, Method::Pidfd)
}

/// [`exec`], entering the namespaces by `method` (the tests try both).
pub fn exec_with(container: &Pinned, plan: &ExecPlan, method: Method) -> Result<RunOutcome, SpawnError> {
    // 0. what the join copies, read and compiled before anything starts
    let p = &plan.process;
    let filter = p.seccomp.as_ref().map(|s| seccomp::compile_for_host(s, &p.capabilities)).transpose()?;
    let cgroups = cgroup_files(container)?;
    let limits = rlimits::parse(&container.limits);
    // 1. ORDER: the relayed signals blocked before the fork, as for run
    //    (the exec process restores the mask before execve)
    let signals = relayed_signals();
    let mask = sys::signal::block(&signals).map_err(SpawnError::parent("block signals"))?;
    let outcome = (|| {
        let how = enter::How { limits: &limits, method, null_stdio: plan.detach };
        let (ours, guard) = launch(container, plan, &cgroups, mask, filter.as_ref(), how)?;
        let pid = guard.0;
        // 5. relay until it ends, or only until it has started (-d)
        let outcome = if plan.detach {
            started(&ours)
        } else {
            let sigfd = sys::signal::signal_fd(&signals).map_err(SpawnError::parent("create signalfd"))?;
            supervise::supervise(pid, &ours, &sigfd, p.stdin, &mut |_| {}, None)
        };
        // Reaped by the relay (foreground), or started and on its own (-d);
        // otherwise the guard kills and reaps it.
        if outcome.as_ref().is_ok_and(|o| !plan.detach || matches!(o, RunOutcome::Exited(_))) {
            std::mem::forget(guard);
        }
        outcome
    })();
    let _ = sys::signal::restore(&mask);
    outcome
}

/// Steps 1 to 4, shared by `cove exec` and OCI `exec` ([`oci`]): the typed
/// channel, the joining process, the container's cgroups, then the exec
/// process forked in the container and told to go on. Returns cove's end of
/// the channel and the exec process, killed and reaped if dropped.
fn launch(
    container: &Pinned,
    plan: &ExecPlan,
    cgroups: &[std::path::PathBuf],
    mask: sys::signal::SavedMask,
    filter: Option<&seccomp::Filter>,
    how: enter::How<'_>,
) -> Result<(Channel, KillOnDrop), SpawnError> {
    let (ours, theirs) = channel::pair().map_err(SpawnError::parent("create socketpair"))?;
    // 2. the joining process
    let joiner = match sys::clone::clone_process(0).map_err(SpawnError::parent("fork"))? {
        Forked::Child => {
            drop(ours);
            enter::main(container, plan, theirs, mask, filter, how)
        }
        Forked::Parent(pid) => pid,
    };
    drop(theirs);
    let guard = KillOnDrop(joiner);
    // 3. ORDER: into the container's cgroups before it does anything
    cgroups::attach(cgroups, joiner)?;
    ours.send(&Message::Proceed, None).map_err(SpawnError::parent(format!("signal process {joiner}")))?;
    // 4. it joins and forks the exec process, then exits
    let pid = expect_forked(&ours)?;
    drop(guard);
    let guard = KillOnDrop(pid);
    ours.send(&Message::Proceed, None).map_err(SpawnError::parent(format!("signal process {pid}")))?;
    Ok((ours, guard))
}

/// The `cgroup.procs` files that put a process where the container is.
fn cgroup_files(c: &Pinned) -> Result<Vec<std::path::PathBuf>, SpawnError> {
    let read = |path: &str| std::fs::read_to_string(path).map_err(SpawnError::parent(format!("read {path}")));
    let (ours, mountinfo) = (read("/proc/self/cgroup")?, read("/proc/self/mountinfo")?);
    cgroups::to_join(&ours, &c.cgroup, &mountinfo)
        .map_err(|why| SpawnError::parent(format!("join the cgroups of process {}", c.pid))(std::io::Error::other(why)))
}

/// Waits for the joining process's `Forked`, then reaps it.
fn expect_forked(chan: &Channel) -> Result<i32, SpawnError> {
    let got = chan.recv()?;
    let pid = match got {
        Some((Message::Forked { pid }, _)) => pid,
        Some((Message::SetupFailed { step, path, errno }, _)) => {
            return Err(SpawnError::Setup { step, path, source: std::io::Error::from_raw_os_error(errno) });
        }
        Some((other, _)) => return Err(SpawnError::Protocol { expected: "Forked", got: format!("{other:?}") }),
        None => return Err(SpawnError::Protocol { expected: "Forked", got: "end of stream".into() }),
    };
    Ok(pid)
}

/// `-d`: the channel closes when `execve` succeeded; a failure arrives as a
/// message first (the caller's guard then reaps the process).
fn started(chan: &Channel) -> Result<RunOutcome, SpawnError> {
    match chan.recv()? {
        None => Ok(RunOutcome::Exited(ExitStatus::Exited(0))),
        Some((Message::SetupFailed { step, path, errno }, _)) => {
            Err(SpawnError::Setup { step, path, source: std::io::Error::from_raw_os_error(errno) })
        }
        Some((Message::ExecFailed { program, errno }, _)) => {
            let reason = match crate::spawn::error::exec_code(Some(errno)) {
                cove_core::exit::NOT_FOUND => ExecFailure::NotFound,
                _ => ExecFailure::NotExecutable(std::io::Error::from_raw_os_error(errno).to_string()),
            };
            Ok(RunOutcome::ExecFailed { program, reason })
        }
        Some((other, _)) => Err(SpawnError::Protocol { expected: "end of stream", got: format!("{other:?}") }),
    }
}
