//! The TUN descriptor as a smoltcp device. Frames are read by the loop
//! first (so TCP SYNs and UDP can be looked at before the stack), queued
//! here, and handed to smoltcp from the queue; smoltcp's output is written
//! straight to the descriptor.

use smoltcp::phy::{self, DeviceCapabilities, Medium};
use smoltcp::time::Instant;
use std::collections::VecDeque;
use std::os::fd::OwnedFd;

/// Packets waiting for smoltcp at most; more are dropped (TCP resends).
const RX_QUEUE: usize = 512;

/// The device.
pub struct Tun {
    fd: OwnedFd,
    rx: VecDeque<Vec<u8>>,
    mtu: usize,
}

impl Tun {
    /// Wraps a non-blocking TUN descriptor.
    pub fn new(fd: OwnedFd, mtu: usize) -> Tun {
        Tun { fd, rx: VecDeque::new(), mtu }
    }

    /// The descriptor, for polling and reading.
    pub fn fd(&self) -> &OwnedFd {
        &self.fd
    }

    /// Reads one packet into `buf`; `None` when nothing is waiting.
    pub fn read(&self, buf: &mut [u8]) -> Option<usize> {
        match rustix::io::read(&self.fd, buf) {
            Ok(n) if n > 0 => Some(n),
            _ => None,
        }
    }

    /// Writes one packet (a full TUN queue drops it, like a wire would).
    pub fn write(&self, packet: &[u8]) {
        let _ = rustix::io::write(&self.fd, packet);
    }

    /// Queues a packet for smoltcp.
    pub fn queue(&mut self, packet: Vec<u8>) {
        if self.rx.len() < RX_QUEUE {
            self.rx.push_back(packet);
        }
    }

    /// Whether packets wait for smoltcp.
    pub fn has_queued(&self) -> bool {
        !self.rx.is_empty()
    }
}

/// One queued packet.
pub struct RxToken(Vec<u8>);

/// Writes one packet.
pub struct TxToken<'a>(&'a OwnedFd);

impl phy::RxToken for RxToken {
    fn consume<R, F: FnOnce(&[u8]) -> R>(self, f: F) -> R {
        f(&self.0)
    }
}

impl phy::TxToken for TxToken<'_> {
    fn consume<R, F: FnOnce(&mut [u8]) -> R>(self, len: usize, f: F) -> R {
        let mut buf = vec![0u8; len];
        let r = f(&mut buf);
        let _ = rustix::io::write(self.0, &buf);
        r
    }
}

impl phy::Device for Tun {
    type RxToken<'a> = RxToken;
    type TxToken<'a> = TxToken<'a>;

    fn receive(&mut self, _: Instant) -> Option<(RxToken, TxToken<'_>)> {
        let p = self.rx.pop_front()?;
        Some((RxToken(p), TxToken(&self.fd)))
    }

    fn transmit(&mut self, _: Instant) -> Option<TxToken<'_>> {
        Some(TxToken(&self.fd))
    }

    fn capabilities(&self) -> DeviceCapabilities {
        let mut caps = DeviceCapabilities::default();
        caps.medium = Medium::Ip;
        caps.max_transmission_unit = self.mtu;
        caps
    }
}
