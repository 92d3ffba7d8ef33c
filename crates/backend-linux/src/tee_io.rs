//! The output tee of a foreground `cove run` (a stored container, as with
//! Docker): fds 1 and 2 of cove are pointed at fresh pipes, which the
//! container inherits (and which the `-t` relay writes the pty's output
//! to); one thread copies each pipe to where cove's stdout and stderr
//! went before and hands every chunk to the log sink.
//!
//! A reader of cove's stdout that goes away (`cove run … | head`) shows
//! as before: the tee closes the pipe's read end and tells its caller,
//! which ends the container and reports SIGPIPE (exit 141). (The pipe
//! alone does not tell: `--init`'s pid 1 is cove's own code, which never
//! execs and so keeps a copy of the read end.)

pub use crate::monitor_io::Stream;
use rustix::event::{PollFd, PollFlags, poll};
use rustix::io::Errno;
use rustix::pipe::{PipeFlags, pipe_with};
use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};

/// The stdout pipe's capacity asked for (`/proc/sys/fs/pipe-max-size`'s default).
const PIPE_SIZE: usize = 1 << 20;

/// How much the tee reads at once.
const CHUNK: usize = 256 * 1024;

/// cove's own stdout and stderr, kept aside while the pipes stand in.
pub struct Saved {
    stdout: OwnedFd,
    stderr: OwnedFd,
}

/// The tee thread's ends: the pipes' read ends and where they go.
pub struct Ends {
    pipes: [(OwnedFd, Stream); 2],
    stdout: OwnedFd,
    stderr: OwnedFd,
}

/// Points fds 1 and 2 at fresh pipes; returns the originals (to put back
/// with [`Saved::restore`]) and the tee's ends.
pub fn divert() -> io::Result<(Saved, Ends)> {
    let dup = |fd: BorrowedFd| rustix::io::fcntl_dupfd_cloexec(fd, 3);
    let saved = Saved { stdout: dup(rustix::stdio::stdout())?, stderr: dup(rustix::stdio::stderr())? };
    let (out_r, out_w) = pipe_with(PipeFlags::CLOEXEC)?;
    let (err_r, err_w) = pipe_with(PipeFlags::CLOEXEC)?;
    // Fewer hand-overs between the container and the tee on a busy host
    // (the kernel's default is 64 KiB; a smaller limit is kept as it is).
    let _ = rustix::pipe::fcntl_setpipe_size(&out_w, PIPE_SIZE);
    let ends = Ends {
        pipes: [(out_r, Stream::Stdout), (err_r, Stream::Stderr)],
        stdout: dup(saved.stdout.as_fd())?,
        stderr: dup(saved.stderr.as_fd())?,
    };
    // dup2 clears close-on-exec on fds 1 and 2: the container gets them.
    rustix::stdio::dup2_stdout(&out_w)?;
    if let Err(e) = rustix::stdio::dup2_stderr(&err_w) {
        let _ = rustix::stdio::dup2_stdout(&saved.stdout);
        return Err(e.into());
    }
    Ok((saved, ends))
}

impl Saved {
    /// Puts cove's own stdout and stderr back on fds 1 and 2. Once the
    /// container's processes are gone too, the pipes reach end-of-file.
    pub fn restore(self) -> io::Result<()> {
        rustix::stdio::dup2_stdout(&self.stdout)?;
        rustix::stdio::dup2_stderr(&self.stderr)?;
        Ok(())
    }
}

/// Starts a thread that runs `f` with every signal blocked, without
/// waiting for it to be scheduled: the calling thread blocks them around
/// the spawn and the new thread inherits that mask. ORDER: call it before
/// the container starts, so that no signal meant for the run's signalfd
/// (SIGCHLD, a forwarded SIGINT) can reach the tee.
pub fn spawn_without_signals(f: impl FnOnce() + Send + 'static) -> io::Result<()> {
    let every: Vec<i32> = (1..=31).filter(|&s| s != libc::SIGKILL && s != libc::SIGSTOP).collect();
    let saved = crate::sys::signal::block(&every)?;
    let spawned = std::thread::Builder::new().name("tee".into()).stack_size(256 * 1024).spawn(f);
    crate::sys::signal::restore(&saved)?;
    spawned.map(drop)
}

/// Copies both pipes to their destinations and into `sink` until both
/// reach end-of-file (in a thread started by [`spawn_without_signals`]);
/// `reader_gone` is called when the reader of cove's stdout has gone.
pub fn run(ends: Ends, sink: &mut dyn FnMut(Stream, &[u8]), reader_gone: &mut dyn FnMut()) {
    let Ends { pipes, stdout, stderr } = ends;
    let mut open: Vec<(OwnedFd, Stream, bool)> = pipes.into_iter().map(|(fd, s)| (fd, s, true)).collect();
    let mut buf = vec![0u8; CHUNK];
    while !open.is_empty() {
        let mut fds: Vec<PollFd> = open.iter().map(|(fd, _, _)| PollFd::new(fd, PollFlags::IN)).collect();
        match poll(&mut fds, None) {
            Err(Errno::INTR) => continue,
            Err(_) => return,
            Ok(_) => {}
        }
        let ready: Vec<bool> = fds.iter().map(|f| !f.revents().is_empty()).collect();
        drop(fds);
        let mut i = 0;
        let mut gone = false;
        open.retain_mut(|(fd, stream, forward)| {
            let step = match ready[i] {
                false => Copied::More,
                true => {
                    let to = if *stream == Stream::Stdout { &stdout } else { &stderr };
                    copy_once(fd.as_fd(), *stream, to.as_fd(), forward, &mut buf, sink)
                }
            };
            gone |= step == Copied::ReaderGone && *stream == Stream::Stdout;
            i += 1;
            step == Copied::More
        });
        if gone {
            reader_gone();
        }
    }
}

/// What one [`copy_once`] found.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Copied {
    /// Copied; the pipe stays open.
    More,
    /// End-of-file or a read error: the pipe is done.
    Done,
    /// The destination's reader has gone (EPIPE): the pipe is closed.
    ReaderGone,
}

/// One read from a pipe, forwarded (while `forward`) and given to `sink`.
fn copy_once(
    from: BorrowedFd,
    stream: Stream,
    to: BorrowedFd,
    forward: &mut bool,
    buf: &mut [u8],
    sink: &mut dyn FnMut(Stream, &[u8]),
) -> Copied {
    let n = match rustix::io::read(from, &mut *buf) {
        Ok(0) => return Copied::Done,
        Ok(n) => n,
        Err(Errno::INTR | Errno::AGAIN) => return Copied::More,
        Err(_) => return Copied::Done,
    };
    // Shown first, then logged.
    let gone = *forward
        && match write_all(to, &buf[..n]) {
            Ok(()) => false,
            Err(Errno::PIPE) => true,
            // A full disk or a hung-up terminal: the log still gets it.
            Err(_) => {
                *forward = false;
                false
            }
        };
    sink(stream, &buf[..n]);
    if gone { Copied::ReaderGone } else { Copied::More }
}

/// Writes all of `bytes`, waiting when the destination is non-blocking
/// and full.
fn write_all(to: BorrowedFd, mut bytes: &[u8]) -> Result<(), Errno> {
    while !bytes.is_empty() {
        match rustix::io::write(to, bytes) {
            Ok(n) => bytes = &bytes[n..],
            Err(Errno::INTR) => {}
            Err(Errno::AGAIN) => {
                let mut fds = [PollFd::new(&to, PollFlags::OUT)];
                let _ = poll(&mut fds, None);
            }
            Err(e) => return Err(e),
        }
    }
    Ok(())
}
