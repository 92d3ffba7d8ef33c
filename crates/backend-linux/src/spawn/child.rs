//! The container's first process: waits for its id maps, builds the root
//! (stage 2), then becomes the command (stage 3) or cove's init (`--init`).

use super::channel::Channel;
use super::error::ChildError;
use super::{exec, pid1, rootfs};
use crate::seccomp::Filter;
use crate::sys;
use crate::sys::signal::SavedMask;
use cove_core::exit::COVE_ERROR;
use cove_core::plan::Plan;
use rustix::process::Signal;

/// Runs in the cloned child; never returns.
pub fn main(plan: &Plan, chan: Channel, mask: SavedMask, seccomp: Option<&Filter>) -> ! {
    // 1. die with cove: a foreground container must not outlive its caller
    if rustix::process::set_parent_process_death_signal(Some(Signal::KILL)).is_err() {
        sys::clone::exit_now(COVE_ERROR);
    }
    // 2. wait until the parent has written uid_map/gid_map (end-of-stream
    //    here also covers a parent that died before step 1)
    if chan.expect_maps_written().is_err() {
        sys::clone::exit_now(COVE_ERROR);
    }
    // 3. build the root and pivot into it
    if let Err(e) = rootfs::prepare(plan) {
        fail(&chan, &e);
    }
    // 4. become the command, or its init
    if plan.init {
        pid1::run(plan, chan, mask, seccomp)
    }
    let err = exec::exec(&plan.process, &chan, &mask, plan.id_map.setgroups, seccomp);
    fail(&chan, &err)
}

/// Reports `err` to the parent and exits with its code.
pub fn fail(chan: &Channel, err: &ChildError) -> ! {
    let _ = chan.send(&err.message(), None);
    sys::clone::exit_now(err.exit_code())
}
