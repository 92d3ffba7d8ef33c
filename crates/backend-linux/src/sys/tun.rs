//! The container's network device: a TUN interface made and configured in
//! the container's network namespace (`TUNSETIFF`, netdevice(7) address,
//! netmask, MTU and flag ioctls, a default route through `SIOCADDRT`).

use std::io;
use std::net::Ipv4Addr;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

/// The clone device.
pub const CLONE_DEVICE: &str = "/dev/net/tun";

/// Opens the clone device (read-write, close-on-exec).
pub fn open_clone_device() -> io::Result<OwnedFd> {
    use rustix::fs::{Mode, OFlags, open};
    Ok(open(CLONE_DEVICE, OFlags::RDWR | OFlags::CLOEXEC, Mode::empty())?)
}

fn ifreq(name: &str) -> libc::ifreq {
    // SAFETY: ifreq is plain old data; all-zero is a valid value.
    let mut req: libc::ifreq = unsafe { std::mem::zeroed() };
    for (dst, src) in req.ifr_name.iter_mut().take(libc::IFNAMSIZ - 1).zip(name.bytes()) {
        *dst = src as libc::c_char;
    }
    req
}

fn check(ret: libc::c_int) -> io::Result<()> {
    if ret < 0 { Err(io::Error::last_os_error()) } else { Ok(()) }
}

fn sockaddr(ip: Ipv4Addr) -> libc::sockaddr {
    let sin = libc::sockaddr_in {
        sin_family: libc::AF_INET as libc::sa_family_t,
        sin_port: 0,
        sin_addr: libc::in_addr { s_addr: u32::from(ip).to_be() },
        sin_zero: [0; 8],
    };
    // SAFETY: sockaddr_in and sockaddr have the same size (16 bytes) and
    // the kernel reads the generic one by its family.
    unsafe { std::mem::transmute::<libc::sockaddr_in, libc::sockaddr>(sin) }
}

/// Attaches `tun` to a new TUN interface `name` (IP packets, no extra header).
pub fn attach(tun: &OwnedFd, name: &str) -> io::Result<()> {
    let mut req = ifreq(name);
    req.ifr_ifru.ifru_flags = (libc::IFF_TUN | libc::IFF_NO_PI) as libc::c_short;
    // SAFETY: TUNSETIFF reads and writes only this ifreq.
    check(unsafe { libc::ioctl(tun.as_raw_fd(), libc::TUNSETIFF as _, &mut req) })
}

/// Marks the interface `tun` is attached to persistent (`TUNSETPERSIST`):
/// closing the last descriptor then leaves it in place instead of
/// unregistering it on the spot. The interface lives in the container's
/// network namespace, so it goes away with that namespace, whose teardown
/// the kernel always runs in its own worker (`cleanup_net`).
pub fn persist(tun: &OwnedFd) -> io::Result<()> {
    // SAFETY: TUNSETPERSIST takes its argument by value and touches no memory.
    check(unsafe { libc::ioctl(tun.as_raw_fd(), libc::TUNSETPERSIST as _, 1 as libc::c_ulong) })
}

/// Addresses, MTU, link up and a default route for interface `name`.
pub fn configure(name: &str, addr: Ipv4Addr, prefix: u8, mtu: usize, gateway: Ipv4Addr) -> io::Result<()> {
    // SAFETY: socket takes plain integers.
    let raw = unsafe { libc::socket(libc::AF_INET, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0) };
    check(raw)?;
    // SAFETY: socket just returned this descriptor, owned by nobody else.
    let sock = unsafe { OwnedFd::from_raw_fd(raw) };
    let fd = sock.as_raw_fd();
    let mask = Ipv4Addr::from(u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0));
    let mut req = ifreq(name);
    req.ifr_ifru.ifru_addr = sockaddr(addr);
    // SAFETY: each ioctl reads (and SIOCGIFFLAGS writes) only `req`.
    check(unsafe { libc::ioctl(fd, libc::SIOCSIFADDR, &req) })?;
    req.ifr_ifru.ifru_netmask = sockaddr(mask);
    // SAFETY: as above.
    check(unsafe { libc::ioctl(fd, libc::SIOCSIFNETMASK, &req) })?;
    req.ifr_ifru.ifru_mtu = mtu as libc::c_int;
    // SAFETY: as above.
    check(unsafe { libc::ioctl(fd, libc::SIOCSIFMTU, &req) })?;
    // SAFETY: as above.
    check(unsafe { libc::ioctl(fd, libc::SIOCGIFFLAGS, &mut req) })?;
    // SAFETY: SIOCGIFFLAGS filled in the flags member.
    unsafe { req.ifr_ifru.ifru_flags |= (libc::IFF_UP | libc::IFF_RUNNING) as libc::c_short };
    // SAFETY: as above.
    check(unsafe { libc::ioctl(fd, libc::SIOCSIFFLAGS, &req) })?;
    default_route(fd, name, gateway)
}

fn default_route(fd: libc::c_int, name: &str, gateway: Ipv4Addr) -> io::Result<()> {
    let mut dev: Vec<libc::c_char> = name.bytes().map(|b| b as libc::c_char).collect();
    dev.push(0);
    // SAFETY: rtentry is plain old data; all-zero is a valid value.
    let mut rt: libc::rtentry = unsafe { std::mem::zeroed() };
    rt.rt_dst = sockaddr(Ipv4Addr::UNSPECIFIED);
    rt.rt_genmask = sockaddr(Ipv4Addr::UNSPECIFIED);
    rt.rt_gateway = sockaddr(gateway);
    rt.rt_flags = libc::RTF_UP | libc::RTF_GATEWAY;
    rt.rt_dev = dev.as_mut_ptr();
    // SAFETY: SIOCADDRT reads `rt` and the NUL-terminated name it points
    // to, both alive for the call.
    check(unsafe { libc::ioctl(fd, libc::SIOCADDRT, &rt) })
}
