//! The stdio plumbing of cove's per-container monitor: leave the caller's
//! session, turn stdout into the "ready" report channel, hand the container
//! two pipes as stdout and stderr, and pump what comes out of them.

use rustix::event::{PollFd, PollFlags, poll};
use rustix::fs::{Mode, OFlags, open};
use rustix::io::{FdFlags, fcntl_setfd};
use rustix::pipe::{PipeFlags, pipe_with};
use std::fs::File;
use std::io;
use std::os::fd::{AsFd, OwnedFd};

/// Which stream a chunk of output came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stream {
    /// fd 1.
    Stdout,
    /// fd 2.
    Stderr,
}

/// The monitor's ends of the container's output.
pub struct Captured {
    /// Where the monitor reports to the CLI that started it (its old stdout).
    pub ready: File,
    /// Read end of the container's stdout.
    pub stdout: OwnedFd,
    /// Read end of the container's stderr.
    pub stderr: OwnedFd,
    /// Write end of the container's stdin (`-i`); without it stdin is
    /// `/dev/null`.
    pub stdin: Option<OwnedFd>,
}

/// Leaves the caller's session and process group, so that the monitor
/// (and the container under it) outlives the CLI and its terminal.
pub fn detach() -> io::Result<()> {
    rustix::process::setsid().map(drop).map_err(io::Error::from)
}

/// Moves the old stdout aside (close-on-exec) as the report channel, points
/// stdin at `/dev/null` (or, with `stdin`, at a fresh pipe) and fds 1 and
/// 2 at fresh pipes, which the container inherits; returns the other ends.
pub fn capture(stdin: bool) -> io::Result<Captured> {
    let ready = rustix::io::fcntl_dupfd_cloexec(rustix::stdio::stdout(), 3)?;
    let input = if stdin {
        let (in_r, in_w) = pipe_with(PipeFlags::CLOEXEC)?;
        rustix::stdio::dup2_stdin(&in_r)?;
        Some(in_w)
    } else {
        let null = open("/dev/null", OFlags::RDWR | OFlags::CLOEXEC, Mode::empty())?;
        rustix::stdio::dup2_stdin(&null)?;
        None
    };
    let (out_r, out_w) = pipe_with(PipeFlags::CLOEXEC)?;
    let (err_r, err_w) = pipe_with(PipeFlags::CLOEXEC)?;
    // dup2 clears close-on-exec on fds 1 and 2: the container gets them.
    rustix::stdio::dup2_stdout(&out_w)?;
    rustix::stdio::dup2_stderr(&err_w)?;
    Ok(Captured { ready: File::from(ready), stdout: out_r, stderr: err_r, stdin: input })
}

/// Points fds 0, 1 and 2 back at `/dev/null`, so the pipes reach
/// end-of-file once the container's processes (which share them) are gone.
pub fn release() -> io::Result<()> {
    let null = open("/dev/null", OFlags::RDWR | OFlags::CLOEXEC, Mode::empty())?;
    rustix::stdio::dup2_stdin(&null)?;
    rustix::stdio::dup2_stdout(&null)?;
    rustix::stdio::dup2_stderr(&null)?;
    Ok(())
}

/// Blocks every signal in the calling thread. A helper thread of the
/// monitor calls it before the container starts: the main thread receives
/// signals through the run's signalfd, and a SIGCHLD delivered to another
/// thread would be lost (the container's exit never seen).
pub fn block_signals_in_this_thread() -> io::Result<()> {
    let every: Vec<i32> = (1..=31).filter(|&s| s != libc::SIGKILL && s != libc::SIGSTOP).collect();
    crate::sys::signal::block(&every).map(drop)
}

/// Copies both pipes into `sink` until both reach end-of-file (in a
/// thread that has called [`block_signals_in_this_thread`]).
pub fn pump(stdout: OwnedFd, stderr: OwnedFd, sink: &mut dyn FnMut(Stream, &[u8])) {
    let mut open_fds: Vec<(OwnedFd, Stream)> = vec![(stdout, Stream::Stdout), (stderr, Stream::Stderr)];
    for (fd, _) in &open_fds {
        let _ = fcntl_setfd(fd, FdFlags::CLOEXEC);
    }
    let mut buf = [0u8; 8192];
    while !open_fds.is_empty() {
        let mut fds: Vec<PollFd> = open_fds.iter().map(|(fd, _)| PollFd::new(fd, PollFlags::IN)).collect();
        match poll(&mut fds, None) {
            Err(rustix::io::Errno::INTR) => continue,
            Err(_) => return,
            Ok(_) => {}
        }
        let ready: Vec<bool> = fds.iter().map(|f| !f.revents().is_empty()).collect();
        drop(fds);
        let mut i = 0;
        open_fds.retain(|(fd, stream)| {
            let keep = !ready[i] || read_into(fd.as_fd(), *stream, &mut buf, sink);
            i += 1;
            keep
        });
    }
}

/// One read; `false` at end-of-file or on an error.
fn read_into(fd: std::os::fd::BorrowedFd, stream: Stream, buf: &mut [u8], sink: &mut dyn FnMut(Stream, &[u8])) -> bool {
    match rustix::io::read(fd, &mut *buf) {
        Ok(0) => false,
        Ok(n) => {
            sink(stream, &buf[..n]);
            true
        }
        Err(rustix::io::Errno::INTR | rustix::io::Errno::AGAIN) => true,
        Err(_) => false,
    }
}

/// Gives back memory the monitor needed only to start its container:
/// the resident pages of its read-only file mappings that hold no copied
/// page (cove's binary: clap, serde, the spawn pipeline; the shared
/// libraries), which stay in the page cache and are mapped again when
/// next needed, and the free top of the heap. Returns the bytes of
/// mappings dropped.
pub fn release_startup_memory() -> io::Result<usize> {
    let smaps = std::fs::read_to_string("/proc/self/smaps")?;
    let mut dropped = 0;
    for (start, end) in clean_readonly_ranges(&smaps) {
        if crate::sys::mm::drop_file_pages(start, end - start).is_ok() {
            dropped += end - start;
        }
    }
    crate::sys::mm::trim_heap();
    Ok(dropped)
}

/// The ranges of `/proc/self/smaps` mappings of files (a path, not
/// `[vdso]` or anonymous memory) that are not writable and hold no
/// anonymous page.
fn clean_readonly_ranges(smaps: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut current: Option<(usize, usize)> = None;
    for line in smaps.lines() {
        let mut fields = line.split_whitespace();
        let first = fields.next().unwrap_or_default();
        if let Some((a, b)) = first.split_once('-')
            && let (Ok(a), Ok(b)) = (usize::from_str_radix(a, 16), usize::from_str_radix(b, 16))
        {
            let perms = fields.next().unwrap_or_default();
            let mapped = fields.nth(3).is_some_and(|p| p.starts_with('/'));
            current = (mapped && !perms.contains('w')).then_some((a, b));
        } else if first == "Anonymous:"
            && let Some(range) = current.take()
            && fields.next() == Some("0")
        {
            out.push(range);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_clean_read_only_file_mappings_are_chosen() {
        let smaps = "5600-5700 r--p 00000000 08:01 42 /usr/bin/cove\nRss: 4 kB\nAnonymous: 0 kB\n\
                     5700-5900 r-xp 00001000 08:01 42 /usr/bin/cove\nAnonymous: 0 kB\n\
                     5900-5a00 r--p 00003000 08:01 42 /usr/bin/cove\nAnonymous: 8 kB\n\
                     5a00-5b00 rw-p 00004000 08:01 42 /usr/bin/cove\nAnonymous: 0 kB\n\
                     7f00-7f10 r-xp 00000000 08:01 7 /usr/lib/libc.so.6\nAnonymous: 0 kB\n\
                     7f20-7f30 rw-p 00000000 00:00 0 \nAnonymous: 0 kB\n\
                     7f40-7f50 r-xp 00000000 00:00 0 [vdso]\nAnonymous: 0 kB\n";
        let got = super::clean_readonly_ranges(smaps);
        assert_eq!(got, vec![(0x5600, 0x5700), (0x5700, 0x5900), (0x7f00, 0x7f10)]);
    }
}
