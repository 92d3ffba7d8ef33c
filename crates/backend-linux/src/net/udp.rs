//! UDP through the stack, without smoltcp sockets: each (container port,
//! destination) pair is a flow with its own connected host socket; replies
//! are written back to the device as IPv4/UDP packets from the destination
//! the container used. The DNS forwarder is such a flow whose destination
//! is the host's resolver. Published UDP ports give each outside peer a
//! port on the gateway, so the container's replies find their way back.

use super::device::Tun;
use cove_core::net::{CONTAINER, GATEWAY, MTU, TableLimits};
use smoltcp::phy::ChecksumCapabilities;
use smoltcp::wire::{IpProtocol, Ipv4Packet, Ipv4Repr, UdpPacket, UdpRepr};
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4, UdpSocket};
use std::time::{Duration, Instant};

/// Largest payload that fits one packet of the device.
const MAX_PAYLOAD: usize = MTU - 28;

struct Flow {
    cport: u16,
    dst: SocketAddrV4,
    sock: UdpSocket,
    last: Instant,
}

struct Published {
    sock: UdpSocket,
    cport: u16,
    /// (outside peer, its port on the gateway, last use).
    peers: Vec<(SocketAddr, u16, Instant)>,
}

/// All UDP state.
pub struct Udp {
    flows: Vec<Flow>,
    published: Vec<Published>,
    limits: TableLimits,
    next_port: u16,
}

/// Which socket is readable.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub enum Which {
    /// An outbound flow.
    Flow(usize),
    /// A published port.
    Published(usize),
}

impl Udp {
    /// Empty tables; `published` are bound host sockets with their container port.
    pub fn new(limits: TableLimits, published: Vec<(UdpSocket, u16)>) -> Udp {
        let published = published.into_iter().map(|(sock, cport)| Published { sock, cport, peers: Vec::new() });
        Udp { flows: Vec::new(), published: published.collect(), limits, next_port: 20000 }
    }

    /// Sockets to poll.
    pub fn sockets(&self) -> Vec<(Which, &UdpSocket)> {
        let flows = self.flows.iter().enumerate().map(|(i, f)| (Which::Flow(i), &f.sock));
        flows.chain(self.published.iter().enumerate().map(|(i, p)| (Which::Published(i), &p.sock))).collect()
    }

    /// A datagram from the container's `src` port to `dst`, which leads to
    /// `target` on the host (or nowhere).
    pub fn outbound(&mut self, cport: u16, dst: SocketAddrV4, target: Option<SocketAddr>, payload: &[u8]) {
        if *dst.ip() == GATEWAY
            && let Some(p) = self.published.iter_mut().find(|p| p.cport == cport)
            && let Some(peer) = p.peers.iter_mut().find(|(_, gw, _)| *gw == dst.port())
        {
            peer.2 = Instant::now();
            let _ = p.sock.send_to(payload, peer.0);
            return;
        }
        let Some(target) = target else { return };
        let now = Instant::now();
        if let Some(f) = self.flows.iter_mut().find(|f| f.cport == cport && f.dst == dst) {
            f.last = now;
            let _ = f.sock.send(payload);
            return;
        }
        if self.flows.len() >= self.limits.udp_flows
            && let Some(oldest) = (0..self.flows.len()).min_by_key(|&i| self.flows[i].last)
        {
            self.flows.swap_remove(oldest);
        }
        let bind: SocketAddr = if target.is_ipv4() { "0.0.0.0:0" } else { "[::]:0" }.parse().expect("literal");
        let Ok(sock) = UdpSocket::bind(bind) else { return };
        if sock.set_nonblocking(true).is_err() || sock.connect(target).is_err() {
            return;
        }
        let _ = sock.send(payload);
        self.flows.push(Flow { cport, dst, sock, last: now });
    }

    /// Reads what a readable socket has and writes it to the container.
    pub fn inbound(&mut self, which: Which, dev: &Tun) {
        let mut buf = vec![0u8; 65536];
        match which {
            Which::Flow(i) => {
                let Some(f) = self.flows.get_mut(i) else { return };
                while let Ok(n) = f.sock.recv(&mut buf) {
                    f.last = Instant::now();
                    write_packet(dev, f.dst, SocketAddrV4::new(CONTAINER, f.cport), &buf[..n]);
                }
            }
            Which::Published(i) => {
                let Some(p) = self.published.get_mut(i) else { return };
                while let Ok((n, peer)) = p.sock.recv_from(&mut buf) {
                    let gw = match p.peers.iter_mut().find(|(a, _, _)| *a == peer) {
                        Some(e) => {
                            e.2 = Instant::now();
                            e.1
                        }
                        None => {
                            let gw = self.next_port;
                            self.next_port = if gw >= 30000 { 20000 } else { gw + 1 };
                            if p.peers.len() >= self.limits.udp_flows {
                                p.peers.remove(0);
                            }
                            p.peers.push((peer, gw, Instant::now()));
                            gw
                        }
                    };
                    write_packet(dev, SocketAddrV4::new(GATEWAY, gw), SocketAddrV4::new(CONTAINER, p.cport), &buf[..n]);
                }
            }
        }
    }

    /// Drops flows idle for longer than the limit.
    pub fn expire(&mut self) {
        let idle = Duration::from_secs(self.limits.udp_idle_secs);
        self.flows.retain(|f| f.last.elapsed() < idle);
        for p in &mut self.published {
            p.peers.retain(|(_, _, last)| last.elapsed() < idle);
        }
    }
}

/// Writes one IPv4/UDP packet to the device.
fn write_packet(dev: &Tun, src: SocketAddrV4, dst: SocketAddrV4, payload: &[u8]) {
    if payload.len() > MAX_PAYLOAD {
        return;
    }
    let (s, d): (Ipv4Addr, Ipv4Addr) = (*src.ip(), *dst.ip());
    let udp = UdpRepr { src_port: src.port(), dst_port: dst.port() };
    let ip = Ipv4Repr {
        src_addr: s,
        dst_addr: d,
        next_header: IpProtocol::Udp,
        payload_len: udp.header_len() + payload.len(),
        hop_limit: 64,
    };
    let mut buf = vec![0u8; ip.buffer_len() + ip.payload_len];
    let caps = ChecksumCapabilities::default();
    let mut packet = Ipv4Packet::new_unchecked(&mut buf[..]);
    ip.emit(&mut packet, &caps);
    let mut dgram = UdpPacket::new_unchecked(packet.payload_mut());
    udp.emit(&mut dgram, &s.into(), &d.into(), payload.len(), |b| b.copy_from_slice(payload), &caps);
    dev.write(&buf);
}
