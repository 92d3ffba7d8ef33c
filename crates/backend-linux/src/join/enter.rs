//! The joining process (forked by cove): enters the container's
//! namespaces and root, takes its rlimits, and forks the exec process into
//! its pid namespace as cove's child. It exits as soon as it has forked.

use super::namespaces::{self, Method};
use super::rlimits::{self, Limit};
use super::target::Pinned;
use crate::seccomp::Filter;
use crate::spawn::channel::{Channel, Message};
use crate::spawn::child::fail;
use crate::spawn::error::{ChildError, at};
use crate::sys;
use crate::sys::clone::Forked;
use crate::sys::signal::SavedMask;
use cove_core::exec::ExecPlan;
use cove_core::exit::COVE_ERROR;
use rustix::fs::{Mode, OFlags, open};
use rustix::process::Signal;

/// What the joining process copies and how it enters.
pub struct How<'a> {
    /// The container's rlimits.
    pub limits: &'a [Limit],
    /// How the namespaces are entered.
    pub method: Method,
    /// stdout and stderr to the host's /dev/null (`cove exec -d`; an OCI
    /// `exec --detach` keeps the engine's).
    pub null_stdio: bool,
}

/// Runs in the process cove forked; never returns.
pub fn main(c: &Pinned, plan: &ExecPlan, chan: Channel, mask: SavedMask, filter: Option<&Filter>, how: How<'_>) -> ! {
    // 1. die with cove
    if rustix::process::set_parent_process_death_signal(Some(Signal::KILL)).is_err() {
        sys::clone::exit_now(COVE_ERROR);
    }
    // 1b. ORDER: not dumpable before the first setns, until execve resets
    //     it: our memory, fds and /proc/PID/exe (cove's binary) are the
    //     host's, and the container must not ptrace us or open them
    //     (CVE-2019-5736). The exec process inherits this across the fork.
    if rustix::process::set_dumpable_behavior(rustix::process::DumpableBehavior::NotDumpable).is_err() {
        sys::clone::exit_now(COVE_ERROR);
    }
    // 2. ORDER: wait until cove has moved us into the container's cgroups,
    //    so everything from here on (and the exec process) is counted there
    if chan.expect_proceed().is_err() {
        sys::clone::exit_now(COVE_ERROR);
    }
    let pid = match enter(c, plan, &how) {
        Ok(()) => fork(plan, &chan, mask, filter),
        Err(e) => fail(&chan, &e),
    };
    // 7. tell cove the exec process's pid; our part is done
    let _ = chan.send(&Message::Forked { pid }, None);
    sys::clone::exit_now(0)
}

/// Steps 3 to 6: stdio, namespaces, root, rlimits.
fn enter(c: &Pinned, plan: &ExecPlan, how: &How<'_>) -> Result<(), ChildError> {
    let (limits, method) = (how.limits, how.method);
    // 3. a detached exec writes to the host's /dev/null, not to cove's stdio
    if how.null_stdio {
        detached_stdio()?;
    }
    // 4. ORDER: the namespaces, the user namespace first: one setns(2) on
    //    the pidfd makes the kernel enter it first and switch atomically
    //    (Linux 5.8); older kernels get one setns per descriptor, in order
    namespaces::enter(&plan.join, &c.pidfd, &c.ns, method)?;
    // 5. ORDER: after the mount namespace: entering it moved our root and
    //    cwd to that namespace's root, which need not be the container's;
    //    the container's root comes from the fd opened before the join.
    rustix::process::fchdir(&c.root).map_err(|e| at("enter container root", "/")(e.into()))?;
    rustix::process::chroot(".").map_err(|e| at("chroot", "container root")(e.into()))?;
    rustix::process::chdir("/").map_err(|e| at("chdir", "/")(e.into()))?;
    // 6. the container's rlimits, inherited by the fork
    for (resource, limit) in limits {
        rustix::process::setrlimit(*resource, *limit)
            .map_err(|e| at("set rlimit", rlimits::name(*resource))(e.into()))?;
    }
    Ok(())
}

/// ORDER: the exec process is forked after setns(CLONE_NEWPID), which
/// applies to children only (pid_namespaces(7)). With `CLONE_PARENT` it is
/// cove's child, so cove waits for it and relays to it as for `run`.
fn fork(plan: &ExecPlan, chan: &Channel, mask: SavedMask, filter: Option<&Filter>) -> i32 {
    match sys::clone::clone_process(libc::CLONE_PARENT) {
        Ok(Forked::Child) => super::process::main(plan, chan, mask, filter),
        Ok(Forked::Parent(pid)) => pid,
        Err(e) => fail(chan, &at("fork into the container", "")(e)),
    }
}

fn detached_stdio() -> Result<(), ChildError> {
    let null = open("/dev/null", OFlags::RDWR | OFlags::CLOEXEC, Mode::empty())
        .map_err(|e| at("open", "/dev/null")(e.into()))?;
    rustix::stdio::dup2_stdout(&null).map_err(|e| at("redirect stdout", "/dev/null")(e.into()))?;
    rustix::stdio::dup2_stderr(&null).map_err(|e| at("redirect stderr", "/dev/null")(e.into()))
}
