//! The I/O of `cove attach`, both ends. The monitor's side ([`serve`]):
//! one thread that copies the container's stdout and stderr pipes to the
//! log sink and to every attached client, accepts clients on the
//! container's unix socket, and passes their input to the container's
//! stdin pipe and their window size to its pty. The client's side:
//! raw mode and the window size of the caller's terminal.
//!
//! Frames are `cove_core::container::attach::Frame`. Every socket is
//! non-blocking with a bounded queue: a client that stops reading is cut
//! off, it never stalls the container's output or its log.

pub use crate::monitor_io::Stream;
pub use crate::spawn::terminal::RawMode;
use cove_core::container::attach::{Decoder, Frame};
use rustix::event::{PollFd, PollFlags, Timespec, poll};
use rustix::termios::tcgetwinsize;
use std::io::{self, Read, Write};
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::net::{UnixListener, UnixStream};
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// The most output queued for one client before it is cut off.
const CLIENT_QUEUE: usize = 4 << 20;

/// How to resize the current run's pty, shared with the I/O thread.
pub type PtySlot = Arc<Mutex<Option<Box<dyn Fn(u16, u16) + Send>>>>;

/// What the monitor's I/O thread serves.
pub struct Hub {
    /// The container's socket, already bound.
    pub listener: UnixListener,
    /// Write end of the container's stdin pipe (`-i`), else `None`.
    pub stdin: Option<OwnedFd>,
    /// Close the container's stdin when a client's input ends (`StdinOnce`).
    pub stdin_once: bool,
    /// The pty master of the running container (`-t`), for resizes.
    pub pty: PtySlot,
    /// Hold the output (in its pipes) until a first client is attached or
    /// this moment has passed (`start -a`: nothing is missed).
    pub hold_until: Option<Instant>,
    /// The container's final exit code, set by the monitor before it
    /// releases the pipes; sent to the clients last.
    pub exit: Arc<Mutex<Option<i32>>>,
}

struct Client {
    sock: UnixStream,
    decoder: Decoder,
    queue: Vec<u8>,
}

/// Serves until both output pipes reach end-of-file; `sink` gets all
/// output (the log). Runs in a thread that has blocked every signal.
pub fn serve(stdout: OwnedFd, stderr: OwnedFd, mut hub: Hub, sink: &mut dyn FnMut(Stream, &[u8])) {
    let _ = hub.listener.set_nonblocking(true);
    if let Some(fd) = &hub.stdin {
        let _ = rustix::fs::fcntl_setfl(fd, rustix::fs::OFlags::NONBLOCK);
    }
    let mut pipes: Vec<(OwnedFd, Stream)> = vec![(stdout, Stream::Stdout), (stderr, Stream::Stderr)];
    let mut clients: Vec<Client> = Vec::new();
    let mut pending_in: Vec<u8> = Vec::new();
    let mut close_stdin = false;
    let mut buf = vec![0u8; 16384];
    while !pipes.is_empty() {
        let holding = hub.hold_until.is_some_and(|t| Instant::now() < t) && clients.is_empty();
        let Some(Ready { ready, stdin_at, clients_at }) = wait(&hub, &pipes, &clients, &pending_in, holding) else {
            return;
        };
        if ready.is_empty() {
            continue;
        }
        if ready[0] {
            accept(&hub, &mut clients);
        }
        if !holding {
            let mut i = 1;
            pipes.retain(|(fd, stream)| {
                let keep = !ready[i] || copy_out(fd, *stream, &mut buf, sink, &mut clients);
                i += 1;
                keep
            });
        }
        if ready.get(stdin_at).copied().unwrap_or(false) && clients_at > stdin_at {
            feed_stdin(&mut hub.stdin, &mut pending_in);
        }
        let mut i = clients_at;
        clients.retain_mut(|c| {
            let r = ready.get(i).copied().unwrap_or(false);
            i += 1;
            !r || serve_client(c, &hub, &mut pending_in, &mut close_stdin, &mut buf)
        });
        if pending_in.is_empty() && hub.stdin.is_some() {
            feed_stdin(&mut hub.stdin, &mut pending_in);
            if close_stdin && hub.stdin_once {
                hub.stdin = None;
            }
        }
    }
    let exit = hub.exit.lock().ok().and_then(|e| *e);
    finish(clients, exit);
}

/// What one poll found: a flag per polled fd (empty after EINTR), and
/// where the stdin pipe and the clients start among them.
struct Ready {
    ready: Vec<bool>,
    stdin_at: usize,
    clients_at: usize,
}

/// Polls the listener, the pipes (unless holding the output), the stdin
/// pipe (with input pending) and the clients; `None` when poll fails.
fn wait(hub: &Hub, pipes: &[(OwnedFd, Stream)], clients: &[Client], pending_in: &[u8], holding: bool) -> Option<Ready> {
    let mut fds = vec![PollFd::new(&hub.listener, PollFlags::IN)];
    if !holding {
        fds.extend(pipes.iter().map(|(fd, _)| PollFd::new(fd, PollFlags::IN)));
    }
    let stdin_at = fds.len();
    if let (Some(fd), false) = (&hub.stdin, pending_in.is_empty()) {
        fds.push(PollFd::new(fd, PollFlags::OUT));
    }
    let clients_at = fds.len();
    for c in clients {
        // With input pending, clients wait: the container reads first.
        let mut want = if pending_in.is_empty() { PollFlags::IN } else { PollFlags::empty() };
        if !c.queue.is_empty() {
            want |= PollFlags::OUT;
        }
        fds.push(PollFd::new(&c.sock, want));
    }
    let timeout = holding.then(|| {
        let left = hub.hold_until.map(|t| t.saturating_duration_since(Instant::now())).unwrap_or_default();
        Timespec { tv_sec: left.as_secs() as i64, tv_nsec: i64::from(left.subsec_nanos()) }
    });
    let ready = match poll(&mut fds, timeout.as_ref()) {
        Err(rustix::io::Errno::INTR) => Vec::new(),
        Err(_) => return None,
        Ok(_) => fds.iter().map(|f| !f.revents().is_empty()).collect(),
    };
    Some(Ready { ready, stdin_at, clients_at })
}

/// Takes every waiting client.
fn accept(hub: &Hub, clients: &mut Vec<Client>) {
    while let Ok((sock, _)) = hub.listener.accept() {
        if sock.set_nonblocking(true).is_ok() {
            clients.push(Client { sock, decoder: Decoder::default(), queue: Vec::new() });
        }
    }
}

/// One read from an output pipe, to the log and the clients; `false` at
/// end-of-file.
fn copy_out(
    fd: &OwnedFd,
    stream: Stream,
    buf: &mut [u8],
    sink: &mut dyn FnMut(Stream, &[u8]),
    clients: &mut Vec<Client>,
) -> bool {
    let n = match rustix::io::read(fd, &mut *buf) {
        Ok(0) => return false,
        Ok(n) => n,
        Err(rustix::io::Errno::INTR | rustix::io::Errno::AGAIN) => return true,
        Err(_) => return false,
    };
    sink(stream, &buf[..n]);
    let frame = match stream {
        Stream::Stdout => Frame::Stdout(buf[..n].to_vec()),
        Stream::Stderr => Frame::Stderr(buf[..n].to_vec()),
    }
    .encode();
    clients.retain_mut(|c| {
        c.queue.extend_from_slice(&frame);
        flush(c) && c.queue.len() <= CLIENT_QUEUE
    });
    true
}

/// Writes what the client can take now; `false` when it is gone.
fn flush(c: &mut Client) -> bool {
    while !c.queue.is_empty() {
        match c.sock.write(&c.queue) {
            Ok(0) => return false,
            Ok(n) => drop(c.queue.drain(..n)),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return true,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => return false,
        }
    }
    true
}

/// Reads and acts on a client's frames, flushes its queue; `false` when
/// it is gone or broke the protocol.
fn serve_client(c: &mut Client, hub: &Hub, pending_in: &mut Vec<u8>, close: &mut bool, buf: &mut [u8]) -> bool {
    if !flush(c) {
        return false;
    }
    if !pending_in.is_empty() {
        return true;
    }
    let n = match c.sock.read(buf) {
        Ok(0) => return false,
        Ok(n) => n,
        Err(e) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted) => return true,
        Err(_) => return false,
    };
    let Ok(frames) = c.decoder.push(&buf[..n]) else { return false };
    for frame in frames {
        match frame {
            Frame::Stdin(bytes) if hub.stdin.is_some() => pending_in.extend_from_slice(&bytes),
            Frame::StdinClose => *close = true,
            Frame::Resize { rows, cols } => resize(&hub.pty, rows, cols),
            _ => {}
        }
    }
    true
}

/// Writes pending input to the container's stdin; drops the pipe when the
/// container closed its end.
fn feed_stdin(stdin: &mut Option<OwnedFd>, pending: &mut Vec<u8>) {
    let Some(fd) = stdin else { return pending.clear() };
    while !pending.is_empty() {
        match rustix::io::write(fd.as_fd(), pending) {
            Ok(n) => drop(pending.drain(..n)),
            Err(rustix::io::Errno::INTR) => {}
            Err(rustix::io::Errno::AGAIN) => return,
            Err(_) => {
                *stdin = None;
                return pending.clear();
            }
        }
    }
}

fn resize(pty: &PtySlot, rows: u16, cols: u16) {
    if let Ok(slot) = pty.lock()
        && let Some(resize) = slot.as_ref()
    {
        resize(rows, cols);
    }
}

/// Gives each client a moment to take the rest of the output, then
/// closes it (the client then reads the exit code from the record).
fn finish(clients: Vec<Client>, exit: Option<i32>) {
    for mut c in clients {
        if let Some(code) = exit {
            c.queue.extend_from_slice(&Frame::Exit(code).encode());
        }
        let _ = c.sock.set_nonblocking(false);
        let _ = c.sock.set_write_timeout(Some(std::time::Duration::from_secs(1)));
        let _ = c.sock.write_all(&c.queue);
    }
}

/// The caller's window size (stdin's terminal, else stdout's).
pub fn window_size() -> Option<(u16, u16)> {
    let size = tcgetwinsize(rustix::stdio::stdin()).or_else(|_| tcgetwinsize(rustix::stdio::stdout())).ok()?;
    Some((size.ws_row, size.ws_col))
}

/// Whether stdin is a terminal.
pub fn stdin_is_terminal() -> bool {
    rustix::termios::isatty(rustix::stdio::stdin())
}

/// What an attach client passes on to the container (Docker's
/// `--sig-proxy`): the signals a user or another process sends, not those
/// about the client's own terminal, children or faults.
const PROXIED: [i32; 13] = [
    libc::SIGHUP,
    libc::SIGINT,
    libc::SIGQUIT,
    libc::SIGUSR1,
    libc::SIGUSR2,
    libc::SIGALRM,
    libc::SIGTERM,
    libc::SIGXCPU,
    libc::SIGXFSZ,
    libc::SIGVTALRM,
    libc::SIGPROF,
    libc::SIGIO,
    libc::SIGPWR,
];

/// Blocks the proxied signals in the calling thread (and so in every
/// thread it starts later: call it before starting any) and starts a
/// thread that hands each one received to `forward`.
pub fn proxy_signals(mut forward: Box<dyn FnMut(i32) + Send>) -> io::Result<()> {
    crate::sys::signal::block(&PROXIED)?;
    let fd = crate::sys::signal::signal_fd(&PROXIED)?;
    std::thread::Builder::new().name("sig-proxy".into()).stack_size(512 * 1024).spawn(move || {
        loop {
            let mut fds = [PollFd::new(&fd, PollFlags::IN)];
            match poll(&mut fds, None) {
                Ok(_) | Err(rustix::io::Errno::INTR) => {}
                Err(_) => return,
            }
            while let Ok(Some(sig)) = crate::sys::signal::read_signal(&fd) {
                forward(sig);
            }
        }
    })?;
    Ok(())
}
