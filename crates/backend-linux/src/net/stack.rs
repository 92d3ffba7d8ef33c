//! The network thread's loop: poll the device, the host sockets and the
//! stop pipe; sort the container's packets (UDP and TCP SYNs are decided
//! here, the rest goes to smoltcp); let smoltcp run; move bytes.

use super::device::Tun;
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
use std::os::fd::{AsFd, OwnedFd};
use std::time::Duration;

/// Packets read from the device per round at most (then the stack runs).
const BATCH: usize = 256;
/// Egress passes per round at most.
const EGRESS_PASSES: usize = 16;
/// Longest sleep, so idle flows are expired.
const MAX_WAIT: Duration = Duration::from_millis(500);

#[derive(Clone, Copy)]
enum Slot {
    Stop,
    Device,
    Listener(usize),
    Conn(u64),
    Udp(Which),
}

/// Runs until `stop`'s other end is closed.
pub fn run(mut net: Network, tun: OwnedFd, stop: OwnedFd) {
    let mut dev = Tun::new(tun, MTU);
    let mut iface = Interface::new(Config::new(HardwareAddress::Ip), &mut dev, Instant::now());
    iface.update_ip_addrs(|a| {
        let _ = a.push(IpCidr::new(GATEWAY.into(), PREFIX));
    });
    // Every destination is ours: sockets listen on exactly the address the
    // container asked for.
    iface.set_any_ip(true);
    let _ = iface.routes_mut().add_default_ipv4_route(GATEWAY);
    let mut sockets = SocketSet::new(Vec::new());
    let mut tcp = Tcp::new(LIMITS);
    let mut udp = Udp::new(LIMITS, std::mem::take(&mut net.udp_listeners));
    let listeners = std::mem::take(&mut net.tcp_listeners);
    let mut buf = vec![0u8; MTU + 64];
    loop {
        let now = Instant::now();
        let wait = if dev.has_queued() {
            Duration::ZERO
        } else {
            iface.poll_delay(now, &sockets).map_or(MAX_WAIT, |d| Duration::from(d).min(MAX_WAIT))
        };
        let mut slots =
            vec![(Slot::Stop, stop.as_fd(), PollFlags::IN), (Slot::Device, dev.fd().as_fd(), PollFlags::IN)];
        for (i, (l, _)) in listeners.iter().enumerate() {
            slots.push((Slot::Listener(i), l.as_fd(), PollFlags::IN));
        }
        for (id, fd, read, write) in tcp.interest(&sockets) {
            let mut f = PollFlags::empty();
            f.set(PollFlags::IN, read);
            f.set(PollFlags::OUT, write);
            slots.push((Slot::Conn(id), fd.as_fd(), f));
        }
        for (w, s) in udp.sockets() {
            slots.push((Slot::Udp(w), s.as_fd(), PollFlags::IN));
        }
        let mut fds: Vec<PollFd> = slots.iter().map(|(_, fd, f)| PollFd::from_borrowed_fd(*fd, *f)).collect();
        let ts = Timespec { tv_sec: wait.as_secs() as i64, tv_nsec: wait.subsec_nanos() as i64 };
        if let Err(e) = poll(&mut fds, Some(&ts))
            && e != rustix::io::Errno::INTR
        {
            return;
        }
        let events: Vec<(Slot, PollFlags)> = slots
            .iter()
            .zip(&fds)
            .filter(|(_, f)| !f.revents().is_empty())
            .map(|((s, _, _), f)| (*s, f.revents()))
            .collect();
        drop(fds);
        drop(slots);
        let (mut readable, mut writable) = (HashSet::new(), HashSet::new());
        let mut device_gone = false;
        for (slot, ev) in events {
            match slot {
                Slot::Stop => return,
                Slot::Device => device_gone |= ev.intersects(PollFlags::ERR | PollFlags::HUP | PollFlags::NVAL),
                Slot::Listener(i) => accept_all(&listeners[i], &mut tcp, &mut iface, &mut sockets),
                Slot::Conn(id) => {
                    if ev.intersects(PollFlags::IN | PollFlags::HUP | PollFlags::ERR) {
                        readable.insert(id);
                    }
                    if ev.intersects(PollFlags::OUT | PollFlags::HUP | PollFlags::ERR) {
                        writable.insert(id);
                    }
                }
                Slot::Udp(w) => udp.inbound(w, &dev),
            }
        }
        if device_gone {
            return;
        }
        for id in &writable {
            tcp.writable(*id);
        }
        tcp.settle_connects(&writable, &mut dev, &mut sockets);
        for _ in 0..BATCH {
            let Some(n) = dev.read(&mut buf) else { break };
            sort(&buf[..n], &net, &mut tcp, &mut udp, &mut dev);
        }
        let now = Instant::now();
        iface.poll(now, &mut dev, &mut sockets);
        tcp.pump(&readable, &mut sockets);
        // Each egress pass sends at most one segment per socket.
        for _ in 0..EGRESS_PASSES {
            if iface.poll_egress(now, &mut dev, &mut sockets) == PollResult::None {
                break;
            }
        }
        udp.expire();
    }
}

fn accept_all(
    l: &(std::net::TcpListener, u16),
    tcp: &mut Tcp,
    iface: &mut Interface,
    sockets: &mut SocketSet<'static>,
) {
    while let Ok((stream, _)) = l.0.accept() {
        if stream.set_nonblocking(true).is_ok() {
            tcp.on_accept(OwnedFd::from(stream), l.1, iface.context(), sockets);
        }
    }
}

/// Decides what happens to one packet from the container.
fn sort(pkt: &[u8], net: &Network, tcp: &mut Tcp, udp: &mut Udp, dev: &mut Tun) {
    let Ok(ip) = Ipv4Packet::new_checked(pkt) else { return };
    // Fragments are not reassembled (the MTU is large); other sources are spoofed.
    if ip.src_addr() != CONTAINER || ip.more_frags() || ip.frag_offset() != 0 || !ip.verify_checksum() {
        return;
    }
    match ip.next_header() {
        IpProtocol::Udp => {
            let Ok(u) = UdpPacket::new_checked(ip.payload()) else { return };
            let dst = SocketAddrV4::new(ip.dst_addr(), u.dst_port());
            udp.outbound(u.src_port(), dst, net.udp_target(dst), u.payload());
        }
        IpProtocol::Tcp => {
            let Ok(t) = TcpPacket::new_checked(ip.payload()) else { return };
            if t.syn() && !t.ack() {
                let src = SocketAddrV4::new(ip.src_addr(), t.src_port());
                let dst = SocketAddrV4::new(ip.dst_addr(), t.dst_port());
                if let Syn::Pass(p) = tcp.on_syn(src, dst, tcp_target(dst, net.host_loopback), pkt.to_vec()) {
                    dev.queue(p);
                }
            } else {
                dev.queue(pkt.to_vec());
            }
        }
        _ => {}
    }
}
