//! Published TCP ports: a thread of cove's that accepts on the host
//! listeners, connects a socket made in the container's network namespace
//! (by the [`Factory`]) to the container's address and port, and copies
//! bytes both ways. The user-mode stack is not involved.
//!
//! Bounds: at most [`MAX_CONNS`] forwarded connections (past that the
//! listeners are not polled, so further clients wait in the kernel's
//! backlog), a connect into the container gets [`CONNECT_WITHIN`], and
//! each direction buffers at most [`BUF`] bytes. A factory that fails
//! closes the listeners (clients are refused) and says so once on stderr.

use super::factory::{BATCH, Factory};
use cove_core::net::CONTAINER;
use rustix::event::{PollFd, PollFlags, Timespec, poll};
use rustix::io::Errno;
use rustix::net::{Shutdown, SocketAddrV4, connect, shutdown, sockopt};
use std::net::TcpListener;
use std::os::fd::{AsFd, OwnedFd};
use std::time::{Duration, Instant};

/// Forwarded connections at once.
pub const MAX_CONNS: usize = 512;
/// Bytes buffered per direction per connection.
const BUF: usize = 64 << 10;
/// How long a connect into the container may take.
const CONNECT_WITHIN: Duration = Duration::from_secs(10);

/// One direction: bytes read from one side, not yet written to the other.
struct Half {
    buf: Box<[u8]>,
    start: usize,
    end: usize,
    eof: bool,
    shut: bool,
}

struct Conn {
    host: OwnedFd,
    inner: OwnedFd,
    /// `Some(deadline)` while the connect into the container is under way.
    connecting: Option<Instant>,
    up: Half,
    down: Half,
}

/// The thread's state.
pub struct Publish {
    listeners: Vec<(TcpListener, u16)>,
    /// `None` once it failed (and was killed).
    factory: Option<Factory>,
    pool: Vec<OwnedFd>,
    asked: bool,
    conns: Vec<Conn>,
}

impl Publish {
    pub fn new(listeners: Vec<(TcpListener, u16)>, factory: Factory) -> Publish {
        Publish { listeners, factory: Some(factory), pool: Vec::new(), asked: false, conns: Vec::new() }
    }

    /// Runs until `stop`'s other end closes.
    pub fn run(mut self, stop: OwnedFd) {
        self.refill();
        loop {
            let (stop_ready, factory_ready, listeners, conns) = match self.wait(&stop) {
                Some(r) => r,
                None => return,
            };
            if stop_ready {
                return;
            }
            if factory_ready {
                self.on_factory();
            }
            for i in listeners {
                self.accept(i);
            }
            for i in conns.into_iter().rev() {
                if !self.conns[i].step() {
                    self.conns.swap_remove(i);
                }
            }
            self.expire();
            self.refill();
        }
    }

    /// One poll: (stop, factory, ready listeners, ready connections).
    #[allow(clippy::type_complexity)]
    fn wait(&self, stop: &OwnedFd) -> Option<(bool, bool, Vec<usize>, Vec<usize>)> {
        let factory = self.factory.as_ref().map_or(stop.as_fd(), Factory::fd);
        let mut fds = vec![PollFd::new(stop, PollFlags::IN), PollFd::from_borrowed_fd(factory, PollFlags::IN)];
        let accepting = !self.pool.is_empty() && self.conns.len() < MAX_CONNS;
        let n_listen = if accepting { self.listeners.len() } else { 0 };
        fds.extend(self.listeners[..n_listen].iter().map(|(l, _)| PollFd::new(l, PollFlags::IN)));
        for c in &self.conns {
            let (host, inner) = c.interest();
            fds.push(PollFd::new(&c.host, host));
            fds.push(PollFd::new(&c.inner, inner));
        }
        // Pending connects are checked against their deadline often enough.
        let connecting = self.conns.iter().any(|c| c.connecting.is_some());
        let ts =
            if connecting { Timespec { tv_sec: 0, tv_nsec: 200_000_000 } } else { Timespec { tv_sec: 1, tv_nsec: 0 } };
        match poll(&mut fds, Some(&ts)) {
            Ok(_) | Err(Errno::INTR) => {}
            Err(_) => return None,
        }
        let ready = |f: &PollFd| !f.revents().is_empty();
        let listeners = (0..n_listen).filter(|i| ready(&fds[2 + i])).collect();
        let base = 2 + n_listen;
        let conns =
            (0..self.conns.len()).filter(|i| ready(&fds[base + 2 * i]) || ready(&fds[base + 2 * i + 1])).collect();
        Some((ready(&fds[0]), self.factory.is_some() && ready(&fds[1]), listeners, conns))
    }

    fn refill(&mut self) {
        if !self.asked && self.pool.len() < BATCH / 2 && !self.listeners.is_empty() {
            let Some(factory) = &self.factory else { return };
            match factory.request() {
                Ok(()) => self.asked = true,
                Err(e) => self.fail("ask the socket factory", e),
            }
        }
    }

    fn on_factory(&mut self) {
        self.asked = false;
        let Some(factory) = &self.factory else { return };
        if let Err((step, e)) = factory.recv(&mut self.pool) {
            self.fail(step, e);
        }
    }

    /// Fail closed: no more published connections (the listeners close,
    /// so clients are refused rather than left waiting).
    fn fail(&mut self, step: &str, e: std::io::Error) {
        if !self.listeners.is_empty() {
            eprintln!("cove: published ports closed: {step}: {e}");
        }
        self.listeners.clear();
        self.pool.clear();
        self.factory = None;
    }

    fn accept(&mut self, i: usize) {
        while self.conns.len() < MAX_CONNS && !self.pool.is_empty() {
            let Some((listener, port)) = self.listeners.get(i) else { return };
            let Ok((stream, _)) = listener.accept() else { return };
            let inner = self.pool.pop().expect("checked");
            if stream.set_nonblocking(true).is_err() {
                continue;
            }
            let connecting = match connect(&inner, &SocketAddrV4::new(CONTAINER, *port)) {
                Ok(()) => None,
                Err(Errno::INPROGRESS) | Err(Errno::INTR) => Some(Instant::now() + CONNECT_WITHIN),
                Err(_) => {
                    reset(&OwnedFd::from(stream));
                    continue;
                }
            };
            let _ = sockopt::set_tcp_nodelay(&inner, true);
            let _ = sockopt::set_tcp_nodelay(&stream, true);
            self.conns.push(Conn { host: stream.into(), inner, connecting, up: Half::new(), down: Half::new() });
        }
    }

    /// Connects into the container past their deadline are given up.
    fn expire(&mut self) {
        let now = Instant::now();
        self.conns.retain(|c| {
            let late = c.connecting.is_some_and(|d| d <= now);
            if late {
                reset(&c.host);
            }
            !late
        });
    }
}

impl Conn {
    /// What to poll for on (host, inner).
    fn interest(&self) -> (PollFlags, PollFlags) {
        if self.connecting.is_some() {
            return (PollFlags::empty(), PollFlags::OUT);
        }
        let (mut host, mut inner) = (PollFlags::empty(), PollFlags::empty());
        host.set(PollFlags::IN, self.up.room());
        inner.set(PollFlags::OUT, self.up.pending());
        inner.set(PollFlags::IN, self.down.room());
        host.set(PollFlags::OUT, self.down.pending());
        (host, inner)
    }

    /// Moves what can move without blocking; false when the connection is done.
    fn step(&mut self) -> bool {
        if self.connecting.is_some() {
            match sockopt::socket_error(&self.inner) {
                Ok(Ok(())) => self.connecting = None,
                Ok(Err(Errno::INPROGRESS)) => return true,
                _ => {
                    reset(&self.host);
                    return false;
                }
            }
        }
        let up = self.up.pump(&self.host, &self.inner);
        let down = self.down.pump(&self.inner, &self.host);
        match (up, down) {
            (Ok(()), Ok(())) => !(self.up.shut && self.down.shut),
            // One side failed: the other hears a reset, not a clean end.
            (Err(_), _) => {
                reset(&self.inner);
                false
            }
            (_, Err(_)) => {
                reset(&self.host);
                false
            }
        }
    }
}

impl Half {
    fn new() -> Half {
        Half { buf: vec![0u8; BUF].into_boxed_slice(), start: 0, end: 0, eof: false, shut: false }
    }

    fn room(&self) -> bool {
        !self.eof && self.end < self.buf.len()
    }

    fn pending(&self) -> bool {
        self.start < self.end
    }

    /// Reads from `from` and writes to `to` until either would block; at
    /// the end of `from` with everything written, shuts `to` for writing.
    fn pump(&mut self, from: &OwnedFd, to: &OwnedFd) -> Result<(), Errno> {
        loop {
            let mut moved = false;
            if self.room() {
                match rustix::io::read(from, &mut self.buf[self.end..]) {
                    Ok(0) => self.eof = true,
                    Ok(n) => (self.end, moved) = (self.end + n, true),
                    Err(Errno::AGAIN | Errno::INTR) => {}
                    Err(e) => return Err(e),
                }
            }
            if self.pending() {
                match rustix::net::send(to, &self.buf[self.start..self.end], rustix::net::SendFlags::NOSIGNAL) {
                    Ok(n) => (self.start, moved) = (self.start + n, moved || n > 0),
                    Err(Errno::AGAIN | Errno::INTR) => {}
                    Err(e) => return Err(e),
                }
                if self.start == self.end {
                    (self.start, self.end) = (0, 0);
                }
            }
            if self.eof && !self.pending() && !self.shut {
                self.shut = true;
                let _ = shutdown(to, Shutdown::Write);
            }
            if !moved {
                return Ok(());
            }
        }
    }
}

/// Closing with SO_LINGER 0 sends RST, so the peer sees a failure, not an end.
fn reset(fd: &OwnedFd) {
    let _ = sockopt::set_socket_linger(fd.as_fd(), Some(Duration::ZERO));
}
