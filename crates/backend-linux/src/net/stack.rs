//! The network thread's loop: poll the device, the host sockets and the
//! stop pipe; sort the container's packets (UDP, ICMP and TCP SYNs are
//! decided here, the rest goes to smoltcp); let smoltcp run; move bytes.

use super::device::Tun;
use super::icmp::Icmp;
use super::tcp::{Syn, Tcp};
use super::udp::{Udp, Which};
use super::{Network, tcp_target};
use cove_core::net::{CONTAINER, GATEWAY, LIMITS, MTU, PREFIX};
use rustix::event::{PollFd, PollFlags, Timespec, poll};
use smoltcp::iface::{Config, Interface, PollResult, SocketSet};
use smoltcp::time::Instant;
use smoltcp::wire::{HardwareAddress, IpCidr, IpProtocol, Ipv4Packet, TcpPacket, UdpPacket};
use std::collections::HashSet;
use std::net::SocketAddrV4;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::time::Duration;

/// Packets read from the device per round at most (then the stack runs).
const BATCH: usize = 256;
/// Egress passes per round at most (each sends one segment per socket).
const EGRESS_PASSES: usize = 16;
/// Longest sleep, so idle flows are expired.
const MAX_WAIT: Duration = Duration::from_millis(500);

#[derive(Clone, Copy)]
enum Slot {
    Stop,
    Device,
    Conn(u64),
    Udp(Which),
    Icmp(usize),
}

/// Everything the thread owns.
struct Stack {
    net: Network,
    dev: Tun,
    iface: Interface,
    sockets: SocketSet<'static>,
    tcp: Tcp,
    udp: Udp,
    icmp: Icmp,
}

/// Runs until `stop`'s other end is closed (or the device goes away).
pub fn run(mut net: Network, tun: OwnedFd, stop: OwnedFd) {
    let mut dev = Tun::new(tun, MTU);
    let mut iface = Interface::new(Config::new(HardwareAddress::Ip), &mut dev, Instant::now());
    iface.update_ip_addrs(|a| {
        let _ = a.push(IpCidr::new(GATEWAY.into(), PREFIX));
    });
    // Every destination is ours: with a default route through our own
    // address, any_ip accepts them all, and sockets listen on exactly the
    // address the container asked for.
    iface.set_any_ip(true);
    let _ = iface.routes_mut().add_default_ipv4_route(GATEWAY);
    let udp = Udp::new(LIMITS, std::mem::take(&mut net.udp_listeners));
    let sockets = SocketSet::new(Vec::new());
    let mut s = Stack { net, dev, iface, sockets, tcp: Tcp::new(LIMITS), udp, icmp: Icmp::default() };
    let mut buf = vec![0u8; MTU + 64];
    while let Some(events) = s.wait(&stop) {
        if !s.handle(events, &mut buf) {
            return;
        }
    }
}

impl Stack {
    /// Polls everything; `None` when the thread should stop.
    fn wait(&mut self, stop: &OwnedFd) -> Option<Vec<(Slot, PollFlags)>> {
        let now = Instant::now();
        let wait = if self.dev.has_queued() {
            Duration::ZERO
        } else {
            self.iface.poll_delay(now, &self.sockets).map_or(MAX_WAIT, |d| Duration::from(d).min(MAX_WAIT))
        };
        let mut slots: Vec<(Slot, BorrowedFd, PollFlags)> =
            vec![(Slot::Stop, stop.as_fd(), PollFlags::IN), (Slot::Device, self.dev.fd().as_fd(), PollFlags::IN)];
        for (id, fd, read, write) in self.tcp.interest(&self.sockets) {
            let mut f = PollFlags::empty();
            f.set(PollFlags::IN, read);
            f.set(PollFlags::OUT, write);
            slots.push((Slot::Conn(id), fd.as_fd(), f));
        }
        for (w, s) in self.udp.sockets() {
            slots.push((Slot::Udp(w), s.as_fd(), PollFlags::IN));
        }
        for (i, s) in self.icmp.sockets() {
            slots.push((Slot::Icmp(i), s.as_fd(), PollFlags::IN));
        }
        let mut fds: Vec<PollFd> = slots.iter().map(|(_, fd, f)| PollFd::from_borrowed_fd(*fd, *f)).collect();
        let ts = Timespec { tv_sec: wait.as_secs() as i64, tv_nsec: wait.subsec_nanos() as i64 };
        match poll(&mut fds, Some(&ts)) {
            Ok(_) | Err(rustix::io::Errno::INTR) => {}
            Err(_) => return None,
        }
        let ready = slots.iter().zip(&fds).filter(|(_, f)| !f.revents().is_empty());
        Some(ready.map(|((s, _, _), f)| (*s, f.revents())).collect())
    }

    /// One round on the poll results; false when the thread should stop.
    fn handle(&mut self, events: Vec<(Slot, PollFlags)>, buf: &mut [u8]) -> bool {
        let (mut readable, mut writable) = (HashSet::new(), HashSet::new());
        let mut device_ready = false;
        for (slot, ev) in events {
            match slot {
                Slot::Stop => return false,
                Slot::Device if ev.intersects(PollFlags::ERR | PollFlags::HUP | PollFlags::NVAL) => return false,
                Slot::Device => device_ready = true,
                Slot::Conn(id) => {
                    if ev.intersects(PollFlags::IN | PollFlags::HUP | PollFlags::ERR) {
                        readable.insert(id);
                    }
                    if ev.intersects(PollFlags::OUT | PollFlags::HUP | PollFlags::ERR) {
                        writable.insert(id);
                    }
                }
                // Replies first: the container's packets below may change these tables.
                Slot::Udp(w) => self.udp.inbound(w, &self.dev),
                Slot::Icmp(i) => self.icmp.inbound(i, &self.dev),
            }
        }
        for id in &writable {
            self.tcp.writable(*id);
        }
        self.tcp.settle_connects(&writable, &mut self.dev, &mut self.sockets);
        // Only when poll said so: a read that finds nothing is a wasted
        // syscall on every round (poll is level-triggered, so what a full
        // batch leaves is seen next round).
        for _ in 0..if device_ready { BATCH } else { 0 } {
            let Some(n) = self.dev.read(buf) else { break };
            self.sort(&buf[..n]);
        }
        let now = Instant::now();
        self.iface.poll(now, &mut self.dev, &mut self.sockets);
        self.tcp.pump(&readable, &mut self.sockets);
        for _ in 0..EGRESS_PASSES {
            if self.iface.poll_egress(now, &mut self.dev, &mut self.sockets) == PollResult::None {
                break;
            }
        }
        self.udp.expire();
        self.icmp.expire();
        true
    }

    /// Decides what happens to one packet from the container.
    fn sort(&mut self, pkt: &[u8]) {
        let Ok(ip) = Ipv4Packet::new_checked(pkt) else { return };
        // Fragments are not reassembled (the MTU is large); other sources are spoofed.
        if ip.src_addr() != CONTAINER || ip.more_frags() || ip.frag_offset() != 0 || !ip.verify_checksum() {
            return;
        }
        match ip.next_header() {
            IpProtocol::Udp => {
                let Ok(u) = UdpPacket::new_checked(ip.payload()) else { return };
                let dst = SocketAddrV4::new(ip.dst_addr(), u.dst_port());
                self.udp.outbound(u.src_port(), dst, self.net.target(dst), u.payload());
            }
            IpProtocol::Icmp => {
                // Echo goes to the address itself; the gateway is not a way to the host here.
                let allowed = tcp_target(SocketAddrV4::new(ip.dst_addr(), 1), false).is_some();
                self.icmp.outbound(ip.dst_addr(), allowed, ip.payload());
            }
            IpProtocol::Tcp => {
                let Ok(t) = TcpPacket::new_checked(ip.payload()) else { return };
                if !t.syn() || t.ack() {
                    return self.dev.queue(pkt.to_vec());
                }
                let src = SocketAddrV4::new(ip.src_addr(), t.src_port());
                let dst = SocketAddrV4::new(ip.dst_addr(), t.dst_port());
                if let Syn::Pass(p) = self.tcp.on_syn(src, dst, self.net.target(dst), pkt.to_vec()) {
                    self.dev.queue(p);
                }
            }
            _ => {}
        }
    }
}
