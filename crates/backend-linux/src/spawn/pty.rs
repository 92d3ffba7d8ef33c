//! The container's terminal: a pty from the container's own devpts, the
//! master handed to cove over the channel, the slave made the controlling
//! terminal of the process about to exec.

use super::channel::{Channel, Message};
use super::error::{ChildError, at};
use rustix::fs::{Mode, OFlags, open};
use rustix::pty::{OpenptFlags, openpt, ptsname, unlockpt};
use std::os::fd::{AsFd, OwnedFd};

/// Opens a pty in the container, sends its master to the parent, and makes
/// the slave this process's controlling terminal and its stdin, stdout and
/// stderr (without `-i` cove simply forwards nothing to it, as Docker does).
/// With `console` (an OCI container's first process), the slave is also
/// bound onto `/dev/console`, as the runtime-spec asks for a terminal.
pub fn attach(chan: &Channel, console: bool) -> Result<(), ChildError> {
    let master = openpt(OpenptFlags::RDWR | OpenptFlags::NOCTTY | OpenptFlags::CLOEXEC)
        .map_err(|e| at("open pty master", "/dev/ptmx")(e.into()))?;
    unlockpt(&master).map_err(|e| at("unlock pty", "/dev/ptmx")(e.into()))?;
    let name = ptsname(&master, Vec::new()).map_err(|e| at("name pty", "/dev/ptmx")(e.into()))?;
    let path = name.to_string_lossy().into_owned();
    let slave = open(name.as_c_str(), OFlags::RDWR | OFlags::NOCTTY, Mode::empty())
        .map_err(|e| at("open pty slave", &path)(e.into()))?;
    if console {
        bind_console(name.as_c_str()).map_err(at("bind terminal to /dev/console", &path))?;
    }
    chan.send(&Message::PtyMaster, Some(master.as_fd())).map_err(at("send pty master", &path))?;
    drop(master);
    // ORDER: a new session first; only a session leader without a terminal
    // may acquire one (TIOCSCTTY, ioctl_tty(2)).
    rustix::process::setsid().map_err(|e| at("setsid", &path)(e.into()))?;
    rustix::process::ioctl_tiocsctty(&slave).map_err(|e| at("set controlling terminal", &path)(e.into()))?;
    redirect(&slave).map_err(|e| at("attach pty", &path)(e))
}

/// Points stdin, stdout and stderr at `fd`.
fn redirect(fd: &OwnedFd) -> std::io::Result<()> {
    rustix::stdio::dup2_stdin(fd)?;
    rustix::stdio::dup2_stdout(fd)?;
    rustix::stdio::dup2_stderr(fd)?;
    Ok(())
}

/// Binds the pty slave `name` onto `/dev/console` (created as an empty
/// file, never followed if it is a link).
fn bind_console(name: &std::ffi::CStr) -> std::io::Result<()> {
    let existing = OFlags::PATH | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    let target = match open("/dev/console", existing, Mode::empty()) {
        Err(rustix::io::Errno::NOENT) => {
            let create = OFlags::CREATE | OFlags::WRONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
            open("/dev/console", create, Mode::from_raw_mode(0o600))?
        }
        other => other?,
    };
    if rustix::fs::fstat(&target)?.st_mode & libc::S_IFMT == libc::S_IFLNK {
        return Err(std::io::Error::other("/dev/console is a symbolic link"));
    }
    let source = open(name, OFlags::PATH | OFlags::CLOEXEC, Mode::empty())?;
    let tree = super::mounts::bind(&source, cove_core::plan::MountFlags::default())?;
    super::mounts::attach(tree, target)
}
