//! The stdio plumbing of cove's per-container monitor on macOS (plain
//! Unix, so tested on Linux too): leave the caller's session, turn stdout
//! into the "ready" report channel, hand the container two pipes as stdout
//! and stderr, and pump what comes out of them (one thread per pipe).

pub use cove_core::pump::Stream;
use rustix::fs::{Mode, OFlags, open};
use rustix::io::{FdFlags, fcntl_setfd};
use std::fs::File;
use std::io;
use std::os::fd::OwnedFd;

/// The monitor's ends of the container's output.
pub struct Captured {
    /// Where the monitor reports to the CLI that started it (its old stdout).
    pub ready: File,
    /// Read end of the container's stdout.
    pub stdout: OwnedFd,
    /// Read end of the container's stderr.
    pub stderr: OwnedFd,
}

/// Leaves the caller's session and process group, so that the monitor
/// (and the container under it) outlives the CLI and its terminal.
pub fn detach() -> io::Result<()> {
    rustix::process::setsid().map(drop).map_err(io::Error::from)
}

/// Moves the old stdout aside (close-on-exec) as the report channel, points
/// stdin at `/dev/null` and fds 1 and 2 at fresh pipes, which the container
/// inherits; returns the read ends.
pub fn capture() -> io::Result<Captured> {
    let ready = rustix::io::fcntl_dupfd_cloexec(rustix::stdio::stdout(), 3)?;
    let null = open("/dev/null", OFlags::RDWR | OFlags::CLOEXEC, Mode::empty())?;
    rustix::stdio::dup2_stdin(&null)?;
    let (out_r, out_w) = pipe()?;
    let (err_r, err_w) = pipe()?;
    // dup2 clears close-on-exec on fds 1 and 2: the container gets them.
    rustix::stdio::dup2_stdout(&out_w)?;
    rustix::stdio::dup2_stderr(&err_w)?;
    Ok(Captured { ready: File::from(ready), stdout: out_r, stderr: err_r })
}

/// A close-on-exec pipe (macOS has no `pipe2`: set right after; the
/// monitor starts no process meanwhile).
fn pipe() -> io::Result<(OwnedFd, OwnedFd)> {
    let (r, w) = rustix::pipe::pipe()?;
    fcntl_setfd(&r, FdFlags::CLOEXEC)?;
    fcntl_setfd(&w, FdFlags::CLOEXEC)?;
    Ok((r, w))
}

/// Points fds 1 and 2 back at `/dev/null`, so the pipes reach end-of-file
/// once the container's processes (which share them) are gone.
pub fn release() -> io::Result<()> {
    let null = open("/dev/null", OFlags::WRONLY | OFlags::CLOEXEC, Mode::empty())?;
    rustix::stdio::dup2_stdout(&null)?;
    rustix::stdio::dup2_stderr(&null)?;
    Ok(())
}

/// Nothing to do here: the macOS run waits with `waitpid`, not a signalfd
/// that another thread could steal signals from.
pub fn block_signals_in_this_thread() -> io::Result<()> {
    Ok(())
}

/// Copies both pipes into `sink` until both reach end-of-file.
pub fn pump(stdout: OwnedFd, stderr: OwnedFd, sink: &mut dyn FnMut(Stream, &[u8])) {
    let pipes: Vec<(Box<dyn io::Read + Send>, Stream)> =
        vec![(Box::new(File::from(stdout)), Stream::Stdout), (Box::new(File::from(stderr)), Stream::Stderr)];
    cove_core::pump::pump(pipes, sink);
}
