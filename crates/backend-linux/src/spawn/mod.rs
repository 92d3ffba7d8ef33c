//! The spawn pipeline, one stage per file (docs/spawn-pipeline.md):
//!
//! | stage | files | process |
//! |---|---|---|
//! | 1 | `mod.rs`, `supervise.rs`, `terminal.rs` | cove: clone, id maps, relay |
//! | 2 | `child.rs`, `hooks.rs`, `rootfs.rs`, `steps.rs`, `sources.rs`, `inroot.rs`, `mounts.rs` | container pid 1: mounts, pivot_root |
//! | 3 | `exec.rs`, `pty.rs` (`pid1.rs` with `--init`) | the command: stdio, identity, caps, exec |
//!
//! `channel.rs` carries the typed messages between them; `error.rs` the
//! child-side errors. `cove exec` (`crate::join`) reuses stage 3, the
//! channel and the relay.

pub(crate) mod channel;
pub(crate) mod child;
pub mod create;
pub(crate) mod error;
pub(crate) mod exec;
mod gate;
pub(crate) mod hooks;
mod inroot;
mod mounts;
mod netdev;
mod nspath;
mod pid1;
mod pty;
mod rootfs;
mod sources;
mod steps;
pub(crate) mod supervise;
pub(crate) mod terminal;

use crate::SpawnError;
use crate::cgroup::create::Cgroups;
use crate::idmap::map_text;
use crate::seccomp;
use crate::sys;
use crate::sys::clone::Forked;
use channel::Message;
use cove_core::backend::{RunObserver, RunOutcome};
use cove_core::plan::{IdMap, Namespace, Plan};
use rustix::process::{Pid, WaitOptions, waitpid};

/// Signals cove relays to the container (plus SIGCHLD, SIGWINCH for itself).
pub(crate) fn relayed_signals() -> Vec<i32> {
    let mut s = pid1::FORWARDED.to_vec();
    s.push(libc::SIGCHLD);
    s
}

/// With limits, the cgroup namespace is made by the child once it is in its
/// cgroups (`unshare` after `MapsWritten`), so that its root is the
/// container's own cgroup rather than cove's.
pub(super) fn late_cgroup_namespace(plan: &Plan) -> bool {
    plan.limits.needs_cgroups() && plan.namespaces.contains(&Namespace::Cgroup)
}

/// clone(2) flags for the plan's namespaces.
fn clone_flags(plan: &Plan) -> libc::c_int {
    let late = late_cgroup_namespace(plan);
    plan.namespaces.iter().filter(|ns| !(late && **ns == Namespace::Cgroup)).fold(0, |f, ns| {
        f | match ns {
            Namespace::User => libc::CLONE_NEWUSER,
            Namespace::Mount => libc::CLONE_NEWNS,
            Namespace::Pid => libc::CLONE_NEWPID,
            Namespace::Uts => libc::CLONE_NEWUTS,
            Namespace::Ipc => libc::CLONE_NEWIPC,
            Namespace::Cgroup => libc::CLONE_NEWCGROUP,
            Namespace::Net => libc::CLONE_NEWNET,
        }
    })
}

/// Runs `plan` in the foreground (stage 1); `observer` hears when the
/// command has been executed.
pub fn run(plan: &Plan, observer: &mut dyn RunObserver) -> Result<RunOutcome, SpawnError> {
    // 0. the seccomp filter, compiled before anything starts so that a
    //    profile this host cannot take fails with its rule named; the child
    //    inherits the finished program with its copy of our memory
    let caps = &plan.process.capabilities;
    let filter = plan.process.seccomp.as_ref().map(|p| seccomp::compile_for_host(p, caps)).transpose()?;
    // 1. the limits: rlimits and OOM score this caller cannot set are
    //    refused; the cgroups are created and filled in (or refused) before
    //    anything starts, and dropped last, removing them
    crate::rlimit::check(&plan.limits)?;
    let cgroups = Cgroups::prepare(&plan.limits)?;
    // 1b. --network bridge: published ports bound and the TUN device
    //     checked before anything starts (a taken port is exit 125)
    let mut network = plan.bridge.as_ref().map(crate::net::Network::prepare).transpose()?;
    if let Some(n) = &network {
        observer.ports_bound(n.bound());
    }
    // 2. the typed channel
    let (ours, theirs) = channel::pair().map_err(SpawnError::parent("create socketpair"))?;
    // ORDER: block the relayed signals before clone, so none that arrives
    // between clone and the relay loop is lost; the command restores the
    // original mask just before execve.
    let signals = relayed_signals();
    let mask = sys::signal::block(&signals).map_err(SpawnError::parent("block signals"))?;
    // 3. clone into the new namespaces
    let pid = match sys::clone::clone_process(clone_flags(plan)).map_err(SpawnError::parent("clone"))? {
        Forked::Child => {
            drop(ours);
            child::main(plan, theirs, mask, filter.as_ref(), None)
        }
        Forked::Parent(pid) => pid,
    };
    drop(theirs);
    let guard = KillOnDrop(pid);
    // ORDER: the child joins its cgroups before MapsWritten: it waits for
    // that message before running any step of its own, so everything it
    // and its descendants do is counted and limited (and its late cgroup
    // namespace is rooted at the container's cgroup).
    if let Some(cgroups) = &cgroups {
        cgroups.attach(pid)?;
    }
    // ORDER: rlimits and the OOM score too, before MapsWritten, so that
    // they are inherited by everything the container starts.
    crate::rlimit::apply(pid, &plan.limits)?;
    // 4. id maps, then let the child go on
    write_id_maps(pid, &plan.id_map)?;
    // ORDER: the published ports' socket factory is forked while cove is
    // still single-threaded (it enters the container's user namespace).
    if let Some(n) = &mut network {
        n.enter(pid)?;
    }
    ours.send(&Message::MapsWritten, None).map_err(SpawnError::parent(format!("signal child {pid}")))?;
    // 5. relay until the container's first process ends
    let sigfd = sys::signal::signal_fd(&signals).map_err(SpawnError::parent("create signalfd"))?;
    let dirs = cgroups.as_ref().map(Cgroups::dirs).unwrap_or_default();
    let mut events = |event: supervise::Event| match event {
        supervise::Event::Started => observer.started(pid, dirs),
        supervise::Event::Pty(master) => {
            observer.pty_opened(Box::new(move |rows, cols| terminal::set_window_size(&master, rows, cols)))
        }
    };
    let outcome = supervise::supervise(pid, &ours, &sigfd, plan.process.stdin, &mut events, network);
    // 6. an OOM kill is read from the memory cgroup before it is removed
    let oom = outcome.is_ok() && cgroups.as_ref().is_some_and(Cgroups::oom_killed);
    if oom {
        observer.oom_killed();
    }
    if outcome.is_ok() {
        // The relay reaped the child; nothing is left to kill.
        std::mem::forget(guard);
    }
    let _ = sys::signal::restore(&mask);
    match outcome {
        Ok(RunOutcome::Exited(status)) if oom => Ok(RunOutcome::OomKilled(status)),
        other => other,
    }
}

/// Writes the child's `setgroups`, `uid_map` and `gid_map`: directly, or
/// through the setuid helpers when the maps include subordinate ranges.
pub(crate) fn write_id_maps(pid: i32, map: &IdMap) -> Result<(), SpawnError> {
    if map.helper {
        // Both helpers run at once; each costs a fork and exec.
        let uids = start_map_helper("newuidmap", pid, &map.uids)?;
        let gids = start_map_helper("newgidmap", pid, &map.gids);
        let uids = finish_map_helper("newuidmap", pid, uids);
        return uids.and(finish_map_helper("newgidmap", pid, gids?));
    }
    let write = |file: &str, text: &str| {
        let path = format!("/proc/{pid}/{file}");
        std::fs::write(&path, text).map_err(SpawnError::parent(format!("write {path}")))
    };
    // ORDER: setgroups must be denied before an unprivileged gid_map is
    // written (user_namespaces(7); CVE-2014-8989).
    if !map.setgroups {
        write("setgroups", "deny")?;
    }
    write("uid_map", &map_text(&map.uids))?;
    write("gid_map", &map_text(&map.gids))
}

/// Starts `newuidmap PID INSIDE OUTSIDE COUNT...` (newuidmap(1)).
fn start_map_helper(
    helper: &str,
    pid: i32,
    ranges: &[cove_core::plan::IdRange],
) -> Result<std::process::Child, SpawnError> {
    use std::process::{Command, Stdio};
    let mut cmd = Command::new(helper);
    cmd.arg(pid.to_string());
    for r in ranges {
        cmd.args([r.inside.to_string(), r.outside.to_string(), r.count.to_string()]);
    }
    cmd.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::piped());
    cmd.spawn().map_err(SpawnError::parent(format!("run {helper} {pid}")))
}

/// Waits for a helper; its stderr becomes the error when it fails.
fn finish_map_helper(helper: &str, pid: i32, child: std::process::Child) -> Result<(), SpawnError> {
    let op = format!("{helper} {pid}");
    let out = child.wait_with_output().map_err(SpawnError::parent(op.clone()))?;
    if out.status.success() {
        return Ok(());
    }
    let why = String::from_utf8_lossy(&out.stderr).trim().to_owned();
    let hint = format!("{why} ({}); COVE_SUBIDS=off maps a single id instead", out.status);
    Err(SpawnError::parent(op)(std::io::Error::other(hint)))
}

/// Kills and reaps the child if stage 1 fails after clone.
pub(crate) struct KillOnDrop(pub(crate) i32);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = sys::clone::send_signal(self.0, libc::SIGKILL);
        let _ = waitpid(Some(Pid::from_raw(self.0).expect("child pid")), WaitOptions::empty());
    }
}
