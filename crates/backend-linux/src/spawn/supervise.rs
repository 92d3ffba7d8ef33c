//! Stage 1's second half, in cove's own process: relay the container's
//! messages, signals and terminal until its first process ends.

use super::channel::{Channel, Message};
use super::error::exec_code;
use super::terminal::{self, RawMode};
use crate::SpawnError;
use crate::net::{Network, Running};
use crate::sys;
use cove_core::backend::{ExecFailure, RunOutcome};
use cove_core::exit::ExitStatus;
use rustix::event::{PollFd, PollFlags, poll};
use rustix::process::{Pid, WaitOptions, waitpid};
use std::io::{self, Read, Write};
use std::os::fd::{AsFd, OwnedFd};

/// What the relay tells its caller.
pub enum Event {
    /// The command has been executed.
    Started,
    /// The container's pty (a copy of the master), with `-t`.
    Pty(OwnedFd),
}

/// Everything the loop tracks.
struct Relay {
    pid: i32,
    chan_open: bool,
    master: Option<OwnedFd>,
    /// A copy of a newly received master, for the caller.
    new_pty: Option<OwnedFd>,
    forward_stdin: bool,
    raw: Option<RawMode>,
    setup_error: Option<SpawnError>,
    exec_error: Option<(String, i32)>,
    status: Option<ExitStatus>,
    /// stdout is a pipe or socket whose reader may go away.
    watch_stdout: bool,
    /// The reader of stdout went away and the container was ended for it.
    broken_pipe: bool,
    /// `--network bridge`: the stack, waiting for the container's device.
    network: Option<Network>,
    /// The stack, once started; stopped when the relay ends.
    running: Option<Running>,
}

/// Whether `fd` is a pipe or socket (where a vanished reader shows as POLLERR).
fn is_pipe(fd: impl AsFd) -> bool {
    rustix::fs::fstat(fd).is_ok_and(|st| {
        matches!(
            rustix::fs::FileType::from_raw_mode(st.st_mode),
            rustix::fs::FileType::Fifo | rustix::fs::FileType::Socket
        )
    })
}

/// Relays until the container's first process has ended; returns how.
/// `events` hears [`Event::Started`] once, when the command has been
/// executed (the channel closed with no failure reported), and
/// [`Event::Pty`] when the container's terminal arrives.
pub fn supervise(
    pid: i32,
    chan: &Channel,
    sigfd: &OwnedFd,
    stdin: bool,
    events: &mut dyn FnMut(Event),
    network: Option<Network>,
) -> Result<RunOutcome, SpawnError> {
    let mut r = Relay {
        pid,
        chan_open: true,
        master: None,
        new_pty: None,
        forward_stdin: stdin,
        raw: None,
        setup_error: None,
        exec_error: None,
        status: None,
        watch_stdout: is_pipe(rustix::stdio::stdout()),
        broken_pipe: false,
        network,
        running: None,
    };
    while r.status.is_none() || r.chan_open || r.master.is_some() {
        if r.status.is_some() {
            r.drain(chan)?;
            break;
        }
        let was_open = r.chan_open;
        r.step(chan, sigfd)?;
        if let Some(pty) = r.new_pty.take() {
            events(Event::Pty(pty));
        }
        if was_open && !r.chan_open && r.setup_error.is_none() && r.exec_error.is_none() {
            events(Event::Started);
        }
    }
    drop(r.raw.take());
    drop(r.running.take());
    if let Some(err) = r.setup_error {
        return Err(err);
    }
    if let Some((program, errno)) = r.exec_error {
        let reason = match exec_code(Some(errno)) {
            cove_core::exit::NOT_FOUND => ExecFailure::NotFound,
            _ => ExecFailure::NotExecutable(io::Error::from_raw_os_error(errno).to_string()),
        };
        return Ok(RunOutcome::ExecFailed { program, reason });
    }
    if r.broken_pipe {
        return Ok(RunOutcome::Exited(ExitStatus::Signaled(libc::SIGPIPE)));
    }
    Ok(RunOutcome::Exited(r.status.unwrap_or(ExitStatus::Exited(0))))
}

impl Relay {
    /// One poll round.
    fn step(&mut self, chan: &Channel, sigfd: &OwnedFd) -> Result<(), SpawnError> {
        let stdin = rustix::stdio::stdin();
        let mut fds = vec![PollFd::new(sigfd, PollFlags::IN)];
        if self.chan_open {
            fds.push(PollFd::new(chan, PollFlags::IN));
        }
        let master_at = self.master.as_ref().map(|m| {
            fds.push(PollFd::new(m, PollFlags::IN));
            fds.len() - 1
        });
        let stdin_at = (self.master.is_some() && self.forward_stdin).then(|| {
            fds.push(PollFd::new(&stdin, PollFlags::IN));
            fds.len() - 1
        });
        let stdout = rustix::stdio::stdout();
        // No events asked: poll reports POLLERR on a pipe whose reader is gone.
        let stdout_at = self.watch_stdout.then(|| {
            fds.push(PollFd::new(&stdout, PollFlags::empty()));
            fds.len() - 1
        });
        match poll(&mut fds, None) {
            Err(rustix::io::Errno::INTR) => return Ok(()),
            other => other.map_err(|e| SpawnError::parent("poll")(e.into()))?,
        };
        let ready = |i: usize| !fds[i].revents().is_empty();
        let (sig_ready, chan_ready) = (ready(0), self.chan_open && ready(1));
        let master_ready = master_at.is_some_and(ready);
        let stdin_ready = stdin_at.is_some_and(ready);
        let stdout_gone = stdout_at.is_some_and(ready);
        drop(fds);
        if stdout_gone {
            self.reader_gone();
        }
        if chan_ready {
            self.on_message(chan)?;
        }
        if master_ready {
            self.pump_master();
        }
        if stdin_ready {
            self.pump_stdin();
        }
        if sig_ready {
            self.on_signals(sigfd);
        }
        Ok(())
    }

    fn on_message(&mut self, chan: &Channel) -> Result<(), SpawnError> {
        match chan.recv()? {
            None => self.chan_open = false,
            Some((Message::PtyMaster, Some(fd))) => {
                self.raw = Some(RawMode::enter());
                terminal::copy_window_size(&fd);
                self.new_pty = fd.try_clone().ok();
                self.master = Some(fd);
            }
            Some((Message::NetDevice, Some(fd))) if self.network.is_some() => {
                let net = self.network.take().expect("checked");
                match net.start(fd) {
                    Ok(running) => self.running = Some(running),
                    Err(e) => {
                        self.setup_error = Some(e);
                        let _ = sys::clone::send_signal(self.pid, libc::SIGKILL);
                    }
                }
            }
            Some((Message::SetupFailed { step, path, errno }, _)) => {
                let source = io::Error::from_raw_os_error(errno);
                self.setup_error = Some(SpawnError::Setup { step, path, source });
            }
            Some((Message::ExecFailed { program, errno }, _)) => self.exec_error = Some((program, errno)),
            Some((other, _)) => {
                return Err(SpawnError::Protocol { expected: "a child message", got: format!("{other:?}") });
            }
        }
        Ok(())
    }

    /// Copies pty output to stdout; closes the master at EOF/EIO.
    fn pump_master(&mut self) {
        let Some(master) = &self.master else { return };
        let mut buf = [0u8; 16384];
        match rustix::io::read(master, &mut buf) {
            Ok(0) | Err(_) => self.master = None,
            Ok(n) => {
                let mut out = io::stdout().lock();
                if out.write_all(&buf[..n]).and_then(|()| out.flush()).is_err() {
                    self.reader_gone();
                }
            }
        }
    }

    /// Copies stdin to the pty; stops forwarding at EOF.
    fn pump_stdin(&mut self) {
        let (Some(master), true) = (&self.master, self.forward_stdin) else { return };
        let mut buf = [0u8; 16384];
        match io::stdin().lock().read(&mut buf) {
            Ok(0) | Err(_) => self.forward_stdin = false,
            Ok(n) => {
                let mut rest = &buf[..n];
                while !rest.is_empty() {
                    match rustix::io::write(master, rest) {
                        Ok(w) => rest = &rest[w..],
                        Err(rustix::io::Errno::INTR) => {}
                        Err(_) => break,
                    }
                }
            }
        }
    }

    /// Whoever read our stdout has gone: a shell pipeline would end the
    /// writer with SIGPIPE, which the container's pid 1 ignores, so end the
    /// container and report SIGPIPE (exit 141).
    fn reader_gone(&mut self) {
        self.watch_stdout = false;
        if !self.broken_pipe {
            self.broken_pipe = true;
            let _ = sys::clone::send_signal(self.pid, libc::SIGKILL);
        }
    }

    fn on_signals(&mut self, sigfd: &OwnedFd) {
        while let Ok(Some(sig)) = sys::signal::read_signal(sigfd) {
            match sig {
                libc::SIGCHLD => self.reap(),
                libc::SIGWINCH => {
                    if let Some(m) = &self.master {
                        terminal::copy_window_size(m);
                    }
                }
                _ => {
                    let _ = sys::clone::send_signal(self.pid, sig);
                }
            }
        }
    }

    fn reap(&mut self) {
        let pid = Pid::from_raw(self.pid);
        if let Ok(Some((_, status))) = waitpid(pid, WaitOptions::NOHANG) {
            self.status = status
                .exit_status()
                .map(ExitStatus::Exited)
                .or_else(|| status.terminating_signal().map(ExitStatus::Signaled));
        }
    }

    /// After the first process ended: the rest of its namespace is gone, so
    /// the channel reaches EOF and the pty returns what is buffered, then EIO.
    fn drain(&mut self, chan: &Channel) -> Result<(), SpawnError> {
        while self.chan_open {
            self.on_message(chan)?;
        }
        let grace = rustix::event::Timespec { tv_sec: 0, tv_nsec: 50_000_000 };
        while let Some(master) = &self.master {
            let mut fds = [PollFd::new(master, PollFlags::IN)];
            if poll(&mut fds, Some(&grace)).unwrap_or(0) == 0 {
                break;
            }
            self.pump_master();
        }
        Ok(())
    }
}
