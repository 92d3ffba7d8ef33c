//! TCP through the stack. Outbound: a container's SYN starts a
//! non-blocking host `connect()` and is held until that has an answer; on
//! success a smoltcp socket listening on exactly that destination gets the
//! SYN, on refusal the SYN goes to smoltcp without one, which answers RST
//! (so the container sees the host's answer, not a connection that dies
//! later). Then bytes move between the smoltcp buffers
//! and the host socket with no copy of their own.

use super::device::Tun;
use cove_core::net::TableLimits;
use rustix::net::{AddressFamily, Shutdown, SocketFlags, SocketType};
use smoltcp::iface::{SocketHandle, SocketSet};
use smoltcp::socket::tcp::{self, State};
use smoltcp::wire::IpListenEndpoint;
use std::collections::HashSet;
use std::net::{SocketAddr, SocketAddrV4};
use std::os::fd::OwnedFd;
use std::time::{Duration, Instant};

enum Phase {
    /// The host connect is under way; the container's SYN waits.
    Connecting { syn: Vec<u8> },
    /// A smoltcp socket exists.
    Open { handle: SocketHandle, host_eof: bool, host_shut: bool },
}

struct Conn {
    /// Stable id for the poll results.
    id: u64,
    /// (container end, other end) as the container sees it.
    key: (SocketAddrV4, SocketAddrV4),
    host: OwnedFd,
    phase: Phase,
    since: Instant,
    /// The last write to the host would block: wait for POLLOUT.
    blocked: bool,
    /// The smoltcp send buffer was full after the last round.
    was_full: bool,
}

/// All TCP connections.
pub struct Tcp {
    conns: Vec<Conn>,
    limits: TableLimits,
    next_id: u64,
}

/// What the loop does with a SYN.
pub enum Syn {
    /// Give it to smoltcp now (it answers RST when no socket takes it).
    Pass(Vec<u8>),
    /// Held or dropped here.
    Taken,
}

impl Tcp {
    /// An empty table.
    pub fn new(limits: TableLimits) -> Tcp {
        Tcp { conns: Vec::new(), limits, next_id: 0 }
    }

    /// A SYN from `src` to `dst`, which leads to `target` on the host (or
    /// nowhere).
    pub fn on_syn(&mut self, src: SocketAddrV4, dst: SocketAddrV4, target: Option<SocketAddr>, syn: Vec<u8>) -> Syn {
        if let Some(c) = self.conns.iter().find(|c| c.key == (src, dst)) {
            return match c.phase {
                Phase::Connecting { .. } => Syn::Taken,
                Phase::Open { .. } => Syn::Pass(syn),
            };
        }
        let Some(target) = target.filter(|_| self.conns.len() < self.limits.tcp_connections) else {
            return Syn::Pass(syn);
        };
        let family = if target.is_ipv4() { AddressFamily::INET } else { AddressFamily::INET6 };
        let Ok(host) =
            rustix::net::socket_with(family, SocketType::STREAM, SocketFlags::NONBLOCK | SocketFlags::CLOEXEC, None)
        else {
            return Syn::Pass(syn);
        };
        match rustix::net::connect(&host, &target) {
            Ok(()) | Err(rustix::io::Errno::INPROGRESS) => {
                let phase = Phase::Connecting { syn };
                let id = self.id();
                self.conns.push(Conn {
                    id,
                    key: (src, dst),
                    host,
                    phase,
                    since: Instant::now(),
                    blocked: false,
                    was_full: false,
                });
                Syn::Taken
            }
            Err(_) => Syn::Pass(syn),
        }
    }

    fn id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    fn socket(&self) -> tcp::Socket<'static> {
        let buf = || tcp::SocketBuffer::new(vec![0u8; self.limits.tcp_buffer]);
        let mut sock = tcp::Socket::new(buf(), buf());
        sock.set_nagle_enabled(false);
        sock.set_ack_delay(None);
        sock
    }

    /// Host descriptors to poll and for what: (id, fd, read, write).
    pub fn interest(&self, sockets: &SocketSet<'static>) -> Vec<(u64, &OwnedFd, bool, bool)> {
        let mut out = Vec::new();
        for c in &self.conns {
            let i = c.id;
            match &c.phase {
                Phase::Connecting { .. } => out.push((i, &c.host, false, true)),
                Phase::Open { handle, host_eof, .. } => {
                    let s = sockets.get::<tcp::Socket>(*handle);
                    let read = !host_eof && s.may_send() && s.send_capacity() > s.send_queue();
                    if read || c.blocked {
                        out.push((i, &c.host, read, c.blocked));
                    }
                }
            }
        }
        out
    }

    /// Connection `id`'s descriptor became writable (or failed).
    pub fn writable(&mut self, id: u64) {
        if let Some(c) = self.conns.iter_mut().find(|c| c.id == id) {
            c.blocked = false;
        }
    }

    /// Finishes host connects that have an answer (or took too long).
    pub fn settle_connects(&mut self, ready: &HashSet<u64>, dev: &mut Tun, sockets: &mut SocketSet<'static>) {
        if !self.conns.iter().any(|c| matches!(c.phase, Phase::Connecting { .. })) {
            return;
        }
        let timeout = Duration::from_secs(self.limits.connect_timeout_secs);
        let mut keep = Vec::with_capacity(self.conns.len());
        for mut c in std::mem::take(&mut self.conns) {
            let is_ready = ready.contains(&c.id);
            let Phase::Connecting { syn } = &mut c.phase else {
                keep.push(c);
                continue;
            };
            if !is_ready {
                if c.since.elapsed() < timeout {
                    keep.push(c);
                }
                continue;
            }
            let syn = std::mem::take(syn);
            if !matches!(rustix::net::sockopt::socket_error(&c.host), Ok(Ok(()))) {
                dev.queue(syn);
                continue;
            }
            let mut sock = self.socket();
            let (_, dst) = c.key;
            if sock.listen(IpListenEndpoint { addr: Some((*dst.ip()).into()), port: dst.port() }).is_ok() {
                c.phase = Phase::Open { handle: sockets.add(sock), host_eof: false, host_shut: false };
                c.since = Instant::now();
                keep.push(c);
            }
            dev.queue(syn);
        }
        self.conns = keep;
    }

    /// Moves bytes both ways; `readable` lists connections whose host side
    /// has data. Drops finished connections.
    pub fn pump(&mut self, readable: &HashSet<u64>, sockets: &mut SocketSet<'static>) {
        self.conns.retain_mut(|c| {
            // A buffer that was full last round was not polled for: try it.
            let is_readable = readable.contains(&c.id) || c.was_full;
            let Phase::Open { handle, host_eof, host_shut } = &mut c.phase else { return true };
            let s = sockets.get_mut::<tcp::Socket>(*handle);
            let alive = relay(s, &c.host, is_readable, host_eof, host_shut, &mut c.blocked);
            c.was_full = !s.can_send();
            let stale = s.state() == State::Listen && c.since.elapsed() > Duration::from_secs(30);
            if alive && !stale {
                return true;
            }
            sockets.remove(*handle);
            false
        });
    }
}

/// One connection's relay step; false once it is over.
fn relay(
    s: &mut tcp::Socket,
    host: &OwnedFd,
    readable: bool,
    host_eof: &mut bool,
    host_shut: &mut bool,
    blocked: &mut bool,
) -> bool {
    // container → host
    while s.can_recv() && !*blocked {
        let r = s.recv(|buf| match rustix::io::write(host, buf) {
            Ok(n) => (n, Ok(n)),
            Err(e) => (0, Err(e)),
        });
        match r {
            Ok(Ok(_)) => {}
            Ok(Err(rustix::io::Errno::AGAIN)) => *blocked = true,
            Ok(Err(_)) | Err(_) => {
                s.abort();
                return false;
            }
        }
    }
    // host → container
    if readable && !*host_eof {
        while s.can_send() {
            let r = s.send(|buf| match rustix::io::read(host, buf) {
                Ok(n) => (n, Ok(n)),
                Err(e) => (0, Err(e)),
            });
            match r {
                Ok(Ok(0)) => {
                    *host_eof = true;
                    s.close();
                    break;
                }
                Ok(Ok(_)) => {}
                Ok(Err(rustix::io::Errno::AGAIN)) => break,
                Ok(Err(_)) | Err(_) => {
                    s.abort();
                    return false;
                }
            }
        }
    }
    // the container closed its side: pass the FIN on
    if !s.may_recv()
        && !s.can_recv()
        && !*host_shut
        && s.state() != State::Listen
        && s.state() != State::SynReceived
        && s.state() != State::SynSent
    {
        *host_shut = true;
        let _ = rustix::net::shutdown(host, Shutdown::Write);
    }
    !matches!(s.state(), State::Closed | State::TimeWait)
}
