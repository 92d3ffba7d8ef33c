//! The exec process: forked inside the container's namespaces, it waits
//! until cove knows its pid, then runs `run`'s stage 3 (stdio or pty,
//! identity, the container's capabilities, no_new_privs, seccomp last,
//! `execve`).

use crate::seccomp::Filter;
use crate::spawn::channel::Channel;
use crate::spawn::child::fail;
use crate::spawn::exec;
use crate::sys;
use crate::sys::signal::SavedMask;
use cove_core::exec::ExecPlan;
use cove_core::exit::COVE_ERROR;
use rustix::process::Signal;

/// Runs in the exec process; never returns.
pub fn main(plan: &ExecPlan, chan: &Channel, mask: SavedMask, filter: Option<&Filter>) -> ! {
    // 1. a foreground exec dies with cove (a detached one outlives it)
    if !plan.detach && rustix::process::set_parent_process_death_signal(Some(Signal::KILL)).is_err() {
        sys::clone::exit_now(COVE_ERROR);
    }
    // 2. ORDER: wait until cove has our pid and has reaped the joining
    //    process, so that every message from here on is ours and a failure
    //    is reported for the right process
    if chan.expect_proceed().is_err() {
        sys::clone::exit_now(COVE_ERROR);
    }
    // 3. stage 3, as for run
    let err = exec::exec(&plan.process, chan, &mask, plan.setgroups, filter, None);
    fail(chan, &err)
}
