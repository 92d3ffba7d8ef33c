//! ICMP echo (ping) through unprivileged ping sockets (`socket(AF_INET,
//! SOCK_DGRAM, IPPROTO_ICMP)`, icmp(7)), which the kernel allows when the
//! caller's group is in `net.ipv4.ping_group_range`; otherwise echo requests
//! are dropped, as a network that filters ICMP would. The kernel picks the
//! echo identifier of each socket; replies get the container's back.

use super::device::Tun;
use cove_core::net::CONTAINER;
use rustix::net::{AddressFamily, SocketFlags, SocketType, ipproto};
use smoltcp::wire::{Icmpv4Message, Icmpv4Packet, IpProtocol, Ipv4Packet, Ipv4Repr};
use std::net::{Ipv4Addr, SocketAddrV4};
use std::os::fd::OwnedFd;
use std::time::{Duration, Instant};

/// Echo flows at most (the oldest is dropped).
const MAX_FLOWS: usize = 64;
/// Seconds an echo flow lives without traffic.
const IDLE: Duration = Duration::from_secs(30);

struct Echo {
    ident: u16,
    dst: Ipv4Addr,
    sock: OwnedFd,
    last: Instant,
}

/// The echo flows.
#[derive(Default)]
pub struct Icmp {
    flows: Vec<Echo>,
}

impl Icmp {
    /// An ICMP message from the container to `dst` (forwarded only when
    /// `allowed` and an echo request).
    pub fn outbound(&mut self, dst: Ipv4Addr, allowed: bool, msg: &[u8]) {
        let Ok(p) = Icmpv4Packet::new_checked(msg) else { return };
        if !allowed || p.msg_type() != Icmpv4Message::EchoRequest || !p.verify_checksum() {
            return;
        }
        let ident = p.echo_ident();
        if let Some(f) = self.flows.iter_mut().find(|f| f.ident == ident && f.dst == dst) {
            f.last = Instant::now();
            let _ = rustix::net::send(&f.sock, msg, rustix::net::SendFlags::empty());
            return;
        }
        let flags = SocketFlags::NONBLOCK | SocketFlags::CLOEXEC;
        let Ok(sock) = rustix::net::socket_with(AddressFamily::INET, SocketType::DGRAM, flags, Some(ipproto::ICMP))
        else {
            return;
        };
        if rustix::net::connect(&sock, &SocketAddrV4::new(dst, 0)).is_err() {
            return;
        }
        let _ = rustix::net::send(&sock, msg, rustix::net::SendFlags::empty());
        if self.flows.len() >= MAX_FLOWS {
            self.flows.remove(0);
        }
        self.flows.push(Echo { ident, dst, sock, last: Instant::now() });
    }

    /// Sockets to poll.
    pub fn sockets(&self) -> impl Iterator<Item = (usize, &OwnedFd)> {
        self.flows.iter().enumerate().map(|(i, f)| (i, &f.sock))
    }

    /// Reads replies of flow `i` and writes them to the container.
    pub fn inbound(&mut self, i: usize, dev: &Tun) {
        let Some(f) = self.flows.get_mut(i) else { return };
        let mut buf = vec![0u8; 65536];
        while let Ok((n, _)) = rustix::net::recv(&f.sock, &mut buf, rustix::net::RecvFlags::empty()) {
            let Ok(mut p) = Icmpv4Packet::new_checked(&mut buf[..n]) else { continue };
            if p.msg_type() != Icmpv4Message::EchoReply {
                continue;
            }
            f.last = Instant::now();
            p.set_echo_ident(f.ident);
            p.fill_checksum();
            write_packet(dev, f.dst, &buf[..n]);
        }
    }

    /// Drops idle flows.
    pub fn expire(&mut self) {
        self.flows.retain(|f| f.last.elapsed() < IDLE);
    }
}

fn write_packet(dev: &Tun, src: Ipv4Addr, msg: &[u8]) {
    let ip = Ipv4Repr {
        src_addr: src,
        dst_addr: CONTAINER,
        next_header: IpProtocol::Icmp,
        payload_len: msg.len(),
        hop_limit: 64,
    };
    let mut buf = vec![0u8; ip.buffer_len() + msg.len()];
    let mut packet = Ipv4Packet::new_unchecked(&mut buf[..]);
    ip.emit(&mut packet, &smoltcp::phy::ChecksumCapabilities::default());
    packet.payload_mut().copy_from_slice(msg);
    dev.write(&buf);
}
