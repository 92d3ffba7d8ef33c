//! `--init`: cove as the container's pid 1. It starts the command as its
//! child, forwards the signals cove forwards, reaps every zombie, and exits
//! with the command's status (128+N for a signal).

use super::channel::Channel;
use super::child;
use super::error::at;
use super::exec;
use crate::seccomp::Filter;
use crate::sys;
use crate::sys::clone::Forked;
use crate::sys::signal::SavedMask;
use cove_core::plan::Plan;
use rustix::event::{PollFd, PollFlags, poll};
use rustix::process::WaitOptions;

/// Signals the init passes on to the command.
pub const FORWARDED: &[i32] =
    &[libc::SIGINT, libc::SIGTERM, libc::SIGHUP, libc::SIGQUIT, libc::SIGUSR1, libc::SIGUSR2, libc::SIGWINCH];

/// Runs the init; never returns.
pub fn run(plan: &Plan, chan: Channel, mask: SavedMask, seccomp: Option<&Filter>) -> ! {
    let mut watched = FORWARDED.to_vec();
    watched.push(libc::SIGCHLD);
    // The signals are still blocked (inherited from cove), so none is lost.
    let sigfd = match sys::signal::signal_fd(&watched) {
        Ok(fd) => fd,
        Err(e) => child::fail(&chan, &at("create signalfd", "init")(e)),
    };
    let pid = match sys::clone::clone_process(0) {
        Err(e) => child::fail(&chan, &at("fork command", "init")(e)),
        Ok(Forked::Child) => {
            drop(sigfd);
            let err = exec::exec(&plan.process, &chan, &mask, plan.id_map.setgroups, seccomp, None);
            child::fail(&chan, &err)
        }
        Ok(Forked::Parent(pid)) => pid,
    };
    // The command holds the channel now; ours must close so that cove sees
    // end-of-stream when the command's execve succeeds.
    drop(chan);
    let code = supervise(pid, &sigfd);
    sys::clone::exit_now(code)
}

/// Forwards signals to `pid` and reaps children until `pid` ends.
fn supervise(pid: i32, sigfd: &std::os::fd::OwnedFd) -> i32 {
    loop {
        let mut fds = [PollFd::new(sigfd, PollFlags::IN)];
        if poll(&mut fds, None).is_err() {
            continue;
        }
        while let Ok(Some(sig)) = sys::signal::read_signal(sigfd) {
            if sig != libc::SIGCHLD {
                let _ = sys::clone::send_signal(pid, sig);
            }
        }
        if let Some(code) = reap(pid) {
            return code;
        }
    }
}

/// Reaps every exited child; the command's exit code once it has ended.
fn reap(pid: i32) -> Option<i32> {
    let mut result = None;
    // wait(), not waitpid(None): the latter only reaps our own process group,
    // and the command leads a session of its own.
    while let Ok(Some((reaped, status))) = rustix::process::wait(WaitOptions::NOHANG) {
        if reaped.as_raw_nonzero().get() == pid {
            result = status.exit_status().or_else(|| status.terminating_signal().map(|s| 128 + s)).or(result);
        }
    }
    result
}
