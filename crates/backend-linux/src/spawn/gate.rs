//! The OCI create/start gate: a container made by `create` stops just before
//! it becomes its command, listening on a unix socket in its state
//! directory; `start` connects to it and the command's `execve` follows.
//!
//! The listener is bound by the container's first process while it still
//! sees the host's paths (before `pivot_root`); it and the accepted
//! connection are close-on-exec, so `start` sees end-of-file once the
//! command has replaced the runtime's code. A step that fails after the
//! gate opened (a startContainer hook, the working directory, `execve`)
//! writes its `Message` on the connection first, and `start` fails with it.

use super::channel::{Channel, Message};
use super::error::{ChildError, at};
use rustix::net::{AddressFamily, SocketAddrUnix, SocketFlags, SocketType, accept_with, bind, listen, socket_with};
use std::io::{self, Read, Write};
use std::os::fd::OwnedFd;
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::Duration;

/// A socket path that fits `sun_path` (108 bytes): `path` itself, or, when
/// longer (a state root deep under XDG_RUNTIME_DIR plus a 64-character id),
/// its directory reached through `/proc/self/fd/N` (the returned descriptor,
/// to be held until the bind or connect is done).
fn short(path: &Path) -> io::Result<(Option<OwnedFd>, std::path::PathBuf)> {
    if path.as_os_str().len() < 100 {
        return Ok((None, path.to_owned()));
    }
    let (Some(dir), Some(name)) = (path.parent(), path.file_name()) else { return Ok((None, path.to_owned())) };
    let fd = rustix::fs::open(dir, rustix::fs::OFlags::PATH | rustix::fs::OFlags::CLOEXEC, rustix::fs::Mode::empty())?;
    let via = Path::new("/proc/self/fd").join(rustix::fd::AsRawFd::as_raw_fd(&fd).to_string()).join(name);
    Ok((Some(fd), via))
}

/// The gate as the container's first process carries it to stage 3.
pub struct Gate<'a> {
    /// The listening socket.
    pub listener: OwnedFd,
    /// The startContainer hooks, run once `start` opened the gate.
    pub start_container: &'a [cove_core::oci::Hook],
    /// The state JSON they get on stdin.
    pub state: &'a str,
}

/// Binds and listens on `path` (stage 2, before the root changes).
pub fn listen_at(path: &Path) -> Result<OwnedFd, ChildError> {
    let shown = path.display().to_string();
    let err = |e: rustix::io::Errno| at("listen on start socket", &shown)(e.into());
    let fd = socket_with(AddressFamily::UNIX, SocketType::STREAM, SocketFlags::CLOEXEC, None).map_err(err)?;
    let (_dir, path) = short(path).map_err(at("listen on start socket", &shown))?;
    let addr = SocketAddrUnix::new(&path).map_err(err)?;
    bind(&fd, &addr).map_err(err)?;
    listen(&fd, 1).map_err(err)?;
    Ok(fd)
}

/// Tells the runtime the container is created, then blocks until `start`
/// connects and sends its byte (stage 3, after the terminal is attached);
/// returns the connection, kept open (close-on-exec) until `execve`.
pub fn wait(listener: OwnedFd, chan: &Channel) -> Result<OwnedFd, ChildError> {
    chan.send(&Message::Created, None).map_err(at("report created", ""))?;
    loop {
        let conn = match accept_with(&listener, SocketFlags::CLOEXEC) {
            Err(rustix::io::Errno::INTR) => continue,
            other => other.map_err(|e| at("wait for start", "")(e.into()))?,
        };
        let mut byte = [0u8; 1];
        if rustix::io::read(&conn, &mut byte).map_err(|e| at("wait for start", "")(e.into()))? == 1 {
            return Ok(conn);
        }
    }
}

/// Tells `start` (on its connection) why the process will not run.
pub fn report(conn: &OwnedFd, err: &ChildError) {
    if let Ok(bytes) = serde_json::to_vec(&err.message()) {
        let _ = rustix::io::write(conn, &bytes);
    }
}

/// `start`: opens the gate at `path` (calling `connected` once connected)
/// and waits (up to `timeout`) until the command has been executed; fails
/// with what the container reported when it could not run it.
pub fn open(path: &Path, timeout: Duration, connected: &dyn Fn()) -> io::Result<()> {
    let (_dir, path) = short(path)?;
    let mut s = UnixStream::connect(&path)?;
    connected();
    s.write_all(b"s")?;
    s.set_read_timeout(Some(timeout))?;
    let mut rest = Vec::new();
    match s.read_to_end(&mut rest) {
        Err(e) if e.kind() == io::ErrorKind::WouldBlock || e.kind() == io::ErrorKind::TimedOut => {
            Err(io::Error::new(io::ErrorKind::TimedOut, "the container did not start in time"))
        }
        Err(e) => Err(e),
        Ok(_) if rest.is_empty() => Ok(()),
        Ok(_) => {
            let text = serde_json::from_slice::<Message>(&rest)
                .ok()
                .and_then(|m| super::hooks::failure_text(&m))
                .unwrap_or_else(|| String::from_utf8_lossy(&rest).into_owned());
            Err(io::Error::other(text))
        }
    }
}
