//! The built-in user-mode network of `--network bridge`: a smoltcp
//! interface on the container's TUN device, run by a thread of cove's own
//! process, that ends TCP and UDP there and carries them on over ordinary
//! host sockets (so it needs no privilege and no helper). Published TCP
//! ports are host listeners whose connections are forwarded by a second
//! thread over sockets made in the container's network namespace
//! (`factory.rs`, `publish.rs`), not through the stack; published UDP goes
//! through the stack. The address plan and bounds are `cove_core::net`'s.
//!
//! `Network::prepare` runs before `clone` (published ports bound, the TUN
//! clone device checked, so failures end the run before anything starts);
//! `Network::enter` starts the socket factory right after `clone`, while
//! cove is single-threaded; `Network::start` takes the device from the
//! container; dropping the returned `Running` stops the threads.

mod device;
mod factory;
mod helper;
mod icmp;
mod publish;
mod stack;
mod tcp;
mod udp;
mod watchdog;

use crate::SpawnError;
use cove_core::net::{BridgeSpec, DNS, GATEWAY, LIMITS, PortSpec, Protocol, SUBNET};
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4, TcpListener, UdpSocket};
use std::os::fd::OwnedFd;

/// Whether this caller can open the TUN clone device (needed by `bridge`).
pub fn tun_usable() -> bool {
    crate::sys::tun::open_clone_device().is_ok()
}

/// What the stack needs before the device exists.
pub struct Network {
    tcp_listeners: Vec<(TcpListener, u16)>,
    udp_listeners: Vec<(UdpSocket, u16)>,
    host_loopback: bool,
    dns_upstream: Option<SocketAddr>,
    bound: Vec<PortSpec>,
    /// Published TCP ports' socket factory, once the container exists.
    factory: Option<factory::Factory>,
    /// `--network slirp4netns|pasta`: which, and the running one.
    helper_kind: Option<cove_core::net::NetHelper>,
    helper: Option<helper::Helper>,
}

/// The running stack (and forwarder); dropping it stops the threads.
pub struct Running {
    stop: Option<OwnedFd>,
    threads: Vec<std::thread::JoinHandle<()>>,
}

impl Network {
    /// Checks the device and binds the published ports.
    pub fn prepare(spec: &BridgeSpec) -> Result<Network, SpawnError> {
        if let Some(h) = spec.helper {
            helper::check(h)?;
        } else if let Err(e) = crate::sys::tun::open_clone_device() {
            return Err(SpawnError::Network {
                what: format!("--network bridge: open {}", crate::sys::tun::CLONE_DEVICE),
                hint: format!(
                    "\nhint: the built-in network needs {} readable and writable by this user \
                     (most distributions ship it 0666; as root: chmod 0666 {0}), or use --network none|host",
                    crate::sys::tun::CLONE_DEVICE
                ),
                source: e,
            });
        }
        let mut net = Network {
            tcp_listeners: Vec::new(),
            udp_listeners: Vec::new(),
            host_loopback: spec.host_loopback,
            dns_upstream: host_resolver(),
            bound: Vec::new(),
            factory: None,
            helper_kind: spec.helper,
            helper: None,
        };
        for p in &spec.ports {
            let addr = SocketAddrV4::new(p.host_ip, p.host_port);
            let failed = |source: std::io::Error| {
                let hint = if source.kind() == std::io::ErrorKind::PermissionDenied && p.host_port < 1024 {
                    "\nhint: ports below 1024 need root (or a lower net.ipv4.ip_unprivileged_port_start)".into()
                } else {
                    String::new()
                };
                SpawnError::Network { what: format!("publish {addr}/{}", p.protocol), hint, source }
            };
            let local = match p.protocol {
                Protocol::Tcp => {
                    let l = TcpListener::bind(addr).map_err(failed)?;
                    l.set_nonblocking(true).map_err(failed)?;
                    let local = l.local_addr().map_err(failed)?;
                    net.tcp_listeners.push((l, p.container_port));
                    local
                }
                Protocol::Udp => {
                    let s = UdpSocket::bind(addr).map_err(failed)?;
                    s.set_nonblocking(true).map_err(failed)?;
                    let local = s.local_addr().map_err(failed)?;
                    net.udp_listeners.push((s, p.container_port));
                    local
                }
            };
            net.bound.push(PortSpec { host_port: local.port(), ..*p });
        }
        if spec.helper.is_some() {
            // The helper binds them itself: they were bound here only to
            // show them free (and to choose a port for 0), and must not be
            // inherited by the container's first process.
            net.tcp_listeners.clear();
            net.udp_listeners.clear();
        }
        Ok(net)
    }

    /// The published ports as bound: a host port of 0 replaced by the
    /// one the kernel chose.
    pub fn bound(&self) -> &[PortSpec] {
        &self.bound
    }

    /// Starts the socket factory of the published TCP ports in the
    /// namespaces of `pid`, the container's first process (fails closed:
    /// without it the run stops). The caller must be single-threaded.
    pub fn enter(&mut self, pid: i32) -> Result<(), SpawnError> {
        if let Some(kind) = self.helper_kind {
            self.helper = Some(helper::Helper::start(kind, pid, self.host_loopback, &self.bound)?);
            return Ok(());
        }
        if !self.tcp_listeners.is_empty() {
            self.factory = Some(factory::Factory::start(pid)?);
        }
        Ok(())
    }

    /// Starts the stack on the container's device, and the forwarder of
    /// the published TCP ports.
    pub fn start(mut self, tun: OwnedFd) -> Result<Running, SpawnError> {
        let (stop_rx, stop_tx) = rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC)
            .map_err(|e| SpawnError::parent("create network stop pipe")(e.into()))?;
        rustix::io::ioctl_fionbio(&tun, true)
            .map_err(|e| SpawnError::parent("set network device non-blocking")(e.into()))?;
        raise_fd_limit();
        let mut running = Running { stop: Some(stop_tx), threads: Vec::new() };
        let listeners = std::mem::take(&mut self.tcp_listeners);
        if let Some(factory) = self.factory.take() {
            let stop = stop_rx.try_clone().map_err(SpawnError::parent("duplicate network stop pipe"))?;
            let forward = publish::Publish::new(listeners, factory);
            let t = std::thread::Builder::new()
                .name("cove-publish".into())
                .spawn(move || forward.run(stop))
                .map_err(SpawnError::parent("start published-port thread"))?;
            running.threads.push(t);
        }
        let thread = std::thread::Builder::new()
            .name("cove-net".into())
            .spawn(move || stack::run(self, tun, stop_rx))
            .map_err(SpawnError::parent("start network thread"))?;
        running.threads.push(thread);
        Ok(running)
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        // Closing the write end wakes the threads' polls.
        drop(self.stop.take());
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

/// Room for a host socket per connection and flow (the table bounds, not
/// the usual soft limit of 1024, decide); the container, already cloned,
/// keeps its own limit.
fn raise_fd_limit() {
    use rustix::process::{Resource, getrlimit, setrlimit};
    let mut lim = getrlimit(Resource::Nofile);
    let want = (LIMITS.tcp_connections + LIMITS.udp_flows + 2 * publish::MAX_CONNS + 256) as u64;
    if lim.current.is_some_and(|c| c < want) {
        lim.current = Some(lim.maximum.map_or(want, |m| m.min(want)));
        let _ = setrlimit(Resource::Nofile, lim);
    }
}

/// The first nameserver of the host's resolv.conf, asked from the host
/// side (so a 127.0.0.53 stub works too).
fn host_resolver() -> Option<SocketAddr> {
    let text = std::fs::read_to_string("/etc/resolv.conf").ok()?;
    text.lines().find_map(|l| {
        let mut w = l.split_whitespace();
        (w.next() == Some("nameserver")).then(|| w.next()?.parse().ok().map(|ip| SocketAddr::new(ip, 53)))?
    })
}

/// Where traffic the container sends to `dst` goes on the host, if anywhere.
fn tcp_target(dst: SocketAddrV4, host_loopback: bool) -> Option<SocketAddrV4> {
    let ip = *dst.ip();
    if ip == GATEWAY {
        return host_loopback.then(|| SocketAddrV4::new(Ipv4Addr::LOCALHOST, dst.port()));
    }
    let in_subnet = u32::from(ip) >> 8 == u32::from(SUBNET) >> 8;
    let special = ip.is_loopback() || ip.is_unspecified() || ip.is_multicast() || ip.is_broadcast();
    (!in_subnet && !special && dst.port() != 0).then_some(dst)
}

impl Network {
    /// Where the container's UDP or TCP to `dst` goes on the host: the DNS
    /// forwarder's port 53 leads to the host's resolver over the same
    /// protocol (so a resolver retrying over TCP after a truncated answer
    /// gets the whole answer), the rest as [`tcp_target`] says.
    fn target(&self, dst: SocketAddrV4) -> Option<SocketAddr> {
        if *dst.ip() == DNS {
            return if dst.port() == 53 { self.dns_upstream } else { None };
        }
        tcp_target(dst, self.host_loopback).map(SocketAddr::V4)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_never_reach_host_loopback_without_opt_in() {
        let t = |ip: [u8; 4], lo| tcp_target(SocketAddrV4::new(ip.into(), 80), lo);
        assert_eq!(t([10, 0, 2, 2], false), None);
        assert_eq!(t([10, 0, 2, 2], true), Some(SocketAddrV4::new(Ipv4Addr::LOCALHOST, 80)));
        assert_eq!(t([127, 0, 0, 1], true), None);
        assert_eq!(t([10, 0, 2, 7], true), None);
        assert_eq!(t([224, 0, 0, 1], false), None);
        assert_eq!(t([192, 0, 2, 1], false), Some(SocketAddrV4::new([192, 0, 2, 1].into(), 80)));
    }
}
