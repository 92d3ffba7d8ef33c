//! A watchdog for a helper that is not cove's child (pasta daemonizes): a
//! process forked while cove is single-threaded that holds only the
//! helper's pidfd and the read end of a pipe whose write end only cove
//! holds. When cove ends, however it ends (SIGKILL included), the pipe
//! reaches EOF and the watchdog kills the helper, removes its temp dir and
//! exits. Dropping [`Watchdog`] does the same and reaps it.

use crate::sys::clone::{Forked, clone_process, close_all_except, exit_now};
use rustix::process::{Pid, Signal, WaitOptions, pidfd_send_signal, waitpid};
use std::io;
use std::os::fd::{AsRawFd, OwnedFd};
use std::path::PathBuf;

/// cove's end; dropping it ends the helper.
pub struct Watchdog {
    pipe: Option<OwnedFd>,
    pid: i32,
}

impl Watchdog {
    /// Forks the watchdog of `helper` (a pidfd), which also removes `dir`.
    /// The caller must be single-threaded.
    pub fn start(helper: &OwnedFd, dir: PathBuf) -> io::Result<Watchdog> {
        let (read, write) = rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC)?;
        match clone_process(0)? {
            Forked::Child => {
                drop(write);
                let _ = close_all_except(&[read.as_raw_fd(), helper.as_raw_fd()]);
                let mut b = [0u8; 1];
                // Nothing is ever written: this returns at EOF (or on error).
                while let Err(rustix::io::Errno::INTR) = rustix::io::read(&read, &mut b) {}
                let _ = pidfd_send_signal(helper, Signal::KILL);
                let _ = std::fs::remove_dir_all(&dir);
                exit_now(0)
            }
            Forked::Parent(pid) => Ok(Watchdog { pipe: Some(write), pid }),
        }
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        drop(self.pipe.take());
        if let Some(p) = Pid::from_raw(self.pid) {
            let _ = waitpid(Some(p), WaitOptions::empty());
        }
    }
}
