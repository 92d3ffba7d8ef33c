//! Stage 1 for OCI `create`: the same clone, cgroups and id maps as a
//! foreground run, then, instead of relaying, wait until the container
//! stands at its start gate and return, leaving it running without us.

use super::channel::{self, Channel, Message};
use super::{KillOnDrop, child, clone_flags, gate, write_id_maps};
use crate::SpawnError;
use crate::cgroup::create::Cgroups;
use crate::seccomp;
use crate::sys;
use crate::sys::clone::Forked;
use cove_core::plan::limits::Rlimit;
use cove_core::plan::{IdRange, Namespace, Plan};
use rustix::net::{SendAncillaryBuffer, SendAncillaryMessage, SendFlags, sendmsg};
use std::io::{self, IoSlice};
use std::mem::MaybeUninit;
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};

pub use crate::join::oci::{Executed, exec_in};
use std::time::Duration;

/// Runs the runtime's hooks for the container with this pid; returns the
/// states (createContainer's, startContainer's) or why a hook failed.
pub type RuntimeHooks<'a> = dyn Fn(i32) -> Result<(String, String), String> + 'a;

/// What `create` needs beyond the plan.
pub struct CreateOptions<'a> {
    /// Where the container listens for `start` (in its state directory).
    pub gate: &'a Path,
    /// `--console-socket`: receives the terminal's master (`process.terminal`).
    pub console_socket: Option<&'a Path>,
    /// `process.oomScoreAdj`.
    pub oom_score_adj: Option<i32>,
    /// Runs the runtime's createRuntime and prestart hooks, given the
    /// container's pid, once its namespaces and mounts stand (before
    /// `pivot_root`); returns the state JSON for the container's own hooks
    /// (createContainer's, startContainer's), or why a hook failed. `None`
    /// when the config has none of those four kinds (no round trip).
    pub runtime_hooks: Option<&'a RuntimeHooks<'a>>,
    /// createContainer hooks (run by the container before `pivot_root`).
    pub create_container: &'a [cove_core::oci::Hook],
    /// startContainer hooks (run by the container at `start`).
    pub start_container: &'a [cove_core::oci::Hook],
}

/// A created container.
#[derive(Debug)]
pub struct Created {
    /// Its first process, as the host sees it.
    pub pid: i32,
    /// Its cgroup directories (removed by `delete`).
    pub cgroups: Vec<PathBuf>,
}

/// Starts the container up to its gate and returns.
pub fn create(plan: &Plan, opts: &CreateOptions) -> Result<Created, SpawnError> {
    let nested = in_callers_user_namespace(plan);
    let plan = nested.as_ref().unwrap_or(plan);
    // 0. seccomp compiled and cgroups prepared before anything starts
    let caps = &plan.process.capabilities;
    let filter = plan.process.seccomp.as_ref().map(|p| seccomp::compile_for_host(p, caps)).transpose()?;
    let cgroups = Cgroups::prepare(&plan.limits)?;
    // 1. the channel; the command later restores today's signal mask
    let (ours, theirs) = channel::pair().map_err(SpawnError::parent("create socketpair"))?;
    let mask = sys::signal::block(&[]).map_err(SpawnError::parent("read signal mask"))?;
    let attach = child::attach_point(opts.gate);
    std::fs::create_dir_all(&attach).map_err(SpawnError::parent(format!("create {}", attach.display())))?;
    // 2. clone; the child outlives us (no parent-death signal)
    //    (from inside the namespaces the config joins by path, if any)
    let pid = match super::nspath::clone_joined(clone_flags(plan), &plan.join_namespaces)? {
        Forked::Child => {
            drop(ours);
            child::main(plan, theirs, mask, filter.as_ref(), Some(opts))
        }
        Forked::Parent(pid) => pid,
    };
    drop(theirs);
    let guard = KillOnDrop(pid);
    // ORDER: cgroups, rlimits and the OOM score before MapsWritten, so the
    // child runs no step of its own outside them.
    if let Some(cgroups) = &cgroups {
        cgroups.attach(pid)?;
    }
    set_rlimits(pid, &plan.process.rlimits)?;
    if let Some(adj) = opts.oom_score_adj {
        let path = format!("/proc/{pid}/oom_score_adj");
        std::fs::write(&path, adj.to_string()).map_err(SpawnError::parent(format!("write {path}")))?;
    }
    // A joined user namespace has its maps already.
    if plan.namespaces.contains(&Namespace::User) {
        write_id_maps(pid, &plan.id_map)?;
    }
    ours.send(&Message::MapsWritten, None).map_err(SpawnError::parent(format!("signal child {pid}")))?;
    // 3. until the child stands at the gate
    wait_created(&ours, pid, opts)?;
    std::mem::forget(guard);
    Ok(Created { pid, cgroups: cgroups.map(Cgroups::keep).unwrap_or_default() })
}

/// A config without a user namespace, run by root of a user namespace
/// other than the initial one (rootless podman runs its runtime so): the
/// container stays in that namespace, as with crun, instead of a nested one
/// that would hold no capability over the namespaces the engine made for
/// it (its network namespace). A user namespace still stands between the
/// container and the host: the caller's.
fn in_callers_user_namespace(plan: &Plan) -> Option<Plan> {
    let all = [IdRange { inside: 0, outside: 0, count: u32::MAX }];
    let everything_mapped = plan.id_map.uids == all && plan.id_map.gids == all;
    if !everything_mapped || !plan.namespaces.contains(&Namespace::User) || crate::process::in_initial_user_namespace()
    {
        return None;
    }
    let mut own = plan.clone();
    own.namespaces.retain(|n| *n != Namespace::User);
    Some(own)
}

/// Runs the runtime's hooks when the container asks, receives the terminal
/// (passed on to the console socket), then `Created`.
fn wait_created(chan: &Channel, pid: i32, opts: &CreateOptions) -> Result<(), SpawnError> {
    loop {
        match chan.recv()? {
            Some((Message::Created, _)) => return Ok(()),
            Some((Message::RuntimeHooks, _)) if let Some(run) = opts.runtime_hooks => {
                let (state, start_state) = run(pid).map_err(|what| SpawnError::Hook { what })?;
                let op = format!("signal child {pid}");
                chan.send(&Message::HooksRan { state, start_state }, None).map_err(SpawnError::parent(op))?;
            }
            Some((Message::PtyMaster, Some(fd))) => send_console(opts.console_socket, fd)?,
            Some((Message::SetupFailed { step, path, errno }, _)) => {
                return Err(SpawnError::Setup { step, path, source: io::Error::from_raw_os_error(errno) });
            }
            Some((m @ Message::HookFailed { .. }, _)) => {
                return Err(SpawnError::Hook { what: super::hooks::failure_text(&m).unwrap_or_default() });
            }
            Some((other, _)) => return Err(SpawnError::Protocol { expected: "Created", got: other.name().into() }),
            None => return Err(SpawnError::Protocol { expected: "Created", got: "end of stream".into() }),
        }
    }
}

/// Sends the pty master over `--console-socket` (SCM_RIGHTS), as runc does.
pub(crate) fn send_console(console: Option<&Path>, master: OwnedFd) -> Result<(), SpawnError> {
    let Some(path) = console else {
        return Err(SpawnError::Protocol { expected: "no terminal without --console-socket", got: "PtyMaster".into() });
    };
    let op = format!("send terminal to console socket {}", path.display());
    let stream = UnixStream::connect(path).map_err(SpawnError::parent(op.clone()))?;
    stream.set_write_timeout(Some(Duration::from_secs(10))).map_err(SpawnError::parent(op.clone()))?;
    let mut space = [MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(1))];
    let mut control = SendAncillaryBuffer::new(&mut space);
    let fds = [master.as_fd()];
    control.push(SendAncillaryMessage::ScmRights(&fds));
    sendmsg(&stream, &[IoSlice::new(b"/dev/ptmx")], &mut control, SendFlags::NOSIGNAL)
        .map_err(|e| SpawnError::parent(op)(e.into()))?;
    Ok(())
}

/// `process.rlimits`, set by us on the child (`prlimit`): a root runtime
/// may raise hard limits, which the child, privileged only in its own user
/// namespace, could not.
fn set_rlimits(pid: i32, limits: &[Rlimit]) -> Result<(), SpawnError> {
    let Some(target) = rustix::process::Pid::from_raw(pid) else { return Ok(()) };
    for l in limits {
        let op = format!("set {} of pid {pid}", l.resource);
        let Some(resource) = crate::rlimit::resource(&l.resource) else {
            return Err(SpawnError::parent(op)(io::Error::from(io::ErrorKind::InvalidInput)));
        };
        let value = |v: u64| (v != u64::MAX).then_some(v);
        let new = rustix::process::Rlimit { current: value(l.soft), maximum: value(l.hard) };
        rustix::process::prlimit(Some(target), resource, new).map_err(|e| SpawnError::parent(op)(e.into()))?;
    }
    Ok(())
}

/// `start`: opens the gate of the container whose socket is `path`;
/// `connected` runs once the connection stands.
pub fn start(path: &Path, connected: &dyn Fn()) -> io::Result<()> {
    gate::open(path, Duration::from_secs(10), connected)
}
