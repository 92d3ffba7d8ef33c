//! Signal masks, signalfd, and default dispositions.

use std::io;
use std::os::fd::{FromRawFd, OwnedFd};

/// A saved signal mask, restored with [`restore`].
#[derive(Clone, Copy)]
pub struct SavedMask(libc::sigset_t);

fn set_of(signals: &[i32]) -> libc::sigset_t {
    // SAFETY: sigemptyset/sigaddset only write into the local set; a
    // zeroed sigset_t is a valid argument for sigemptyset.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        for &s in signals {
            libc::sigaddset(&mut set, s);
        }
        set
    }
}

/// Blocks `signals` for this thread; returns the previous mask.
pub fn block(signals: &[i32]) -> io::Result<SavedMask> {
    let set = set_of(signals);
    // SAFETY: both pointers refer to valid sigset_t values on this stack.
    unsafe {
        let mut old: libc::sigset_t = std::mem::zeroed();
        let rc = libc::pthread_sigmask(libc::SIG_BLOCK, &set, &mut old);
        if rc != 0 {
            return Err(io::Error::from_raw_os_error(rc));
        }
        Ok(SavedMask(old))
    }
}

/// Restores a mask saved by [`block`].
pub fn restore(mask: &SavedMask) -> io::Result<()> {
    // SAFETY: the pointer refers to a valid sigset_t; the old-mask pointer may be NULL.
    let rc = unsafe { libc::pthread_sigmask(libc::SIG_SETMASK, &mask.0, std::ptr::null_mut()) };
    if rc != 0 { Err(io::Error::from_raw_os_error(rc)) } else { Ok(()) }
}

/// A signalfd for `signals`, which must already be blocked.
pub fn signal_fd(signals: &[i32]) -> io::Result<OwnedFd> {
    let set = set_of(signals);
    // SAFETY: signalfd with fd -1 creates a new descriptor; the set pointer is valid.
    let fd = unsafe { libc::signalfd(-1, &set, libc::SFD_CLOEXEC | libc::SFD_NONBLOCK) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: signalfd just returned this new descriptor, owned by nobody else.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// Reads one pending signal number from a signalfd; `None` when none is pending.
pub fn read_signal(fd: &OwnedFd) -> io::Result<Option<i32>> {
    use std::os::fd::AsRawFd;
    // SAFETY: a zeroed signalfd_siginfo is a valid buffer of the size passed to read.
    unsafe {
        let mut info: libc::signalfd_siginfo = std::mem::zeroed();
        let size = std::mem::size_of::<libc::signalfd_siginfo>();
        let n = libc::read(fd.as_raw_fd(), (&mut info as *mut libc::signalfd_siginfo).cast(), size);
        if n < 0 {
            let err = io::Error::last_os_error();
            return if err.kind() == io::ErrorKind::WouldBlock { Ok(None) } else { Err(err) };
        }
        Ok((n as usize == size).then_some(info.ssi_signo as i32))
    }
}

/// Resets `signals` to their default action (Rust's runtime ignores
/// SIGPIPE, and an ignored signal stays ignored across execve).
pub fn reset_default(signals: &[i32]) -> io::Result<()> {
    for &s in signals {
        // SAFETY: SIG_DFL is a valid handler value for any catchable signal.
        if unsafe { libc::signal(s, libc::SIG_DFL) } == libc::SIG_ERR {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}
