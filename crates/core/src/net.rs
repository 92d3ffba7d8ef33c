//! The built-in user-mode network (`--network bridge`), portable parts: the
//! address plan, `-p` port specs, `--add-host`/`--dns` values, the bounds of
//! the host-side tables, and the generated `/etc/resolv.conf` and
//! `/etc/hosts`. The stack itself is OS-specific (the Linux backend's
//! `net/`); nothing here does I/O.

use serde::{Deserialize, Serialize};
use std::net::Ipv4Addr;

mod ports;

pub use ports::{PortError, PortSpec, Protocol, display as display_ports, exposed_ports, parse_port, publish_all};

/// The container's subnet (the same plan as slirp4netns and Podman's
/// rootless default, so users recognise it).
pub const SUBNET: Ipv4Addr = Ipv4Addr::new(10, 0, 2, 0);
/// Prefix length of [`SUBNET`].
pub const PREFIX: u8 = 24;
/// The gateway: cove's side of the link. With a `host-gateway` opt-in,
/// TCP/UDP to it reaches the host's own loopback.
pub const GATEWAY: Ipv4Addr = Ipv4Addr::new(10, 0, 2, 2);
/// The DNS forwarder's address (answers from the host's resolvers).
pub const DNS: Ipv4Addr = Ipv4Addr::new(10, 0, 2, 3);
/// The container's own address.
pub const CONTAINER: Ipv4Addr = Ipv4Addr::new(10, 0, 2, 100);
/// MTU of the container's device: large frames mean fewer packets through
/// the user-mode stack (slirp4netns uses the same).
pub const MTU: usize = 65520;
/// Name of the device inside the container.
pub const DEVICE: &str = "eth0";

/// Bounds of the host side, so a container cannot make cove use unbounded
/// memory or descriptors however many connections or frames it sends.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableLimits {
    /// TCP connections (outbound plus published) at once; more SYNs are refused.
    pub tcp_connections: usize,
    /// Bytes buffered per direction per TCP connection.
    pub tcp_buffer: usize,
    /// UDP flows (container port, destination) at once; the oldest idle one is dropped.
    pub udp_flows: usize,
    /// Seconds a UDP flow lives without traffic.
    pub udp_idle_secs: u64,
    /// Seconds a host-side connect may take before the SYN is dropped.
    pub connect_timeout_secs: u64,
}

/// The defaults. Throughput through the user-mode stack is bound by buffer
/// size over the round trip through the device, so buffers are large; their
/// pages are touched only as data waits in them, so the worst case (512 ×
/// 2 × 512 KiB = 512 MiB) needs every connection stalled and full.
pub const LIMITS: TableLimits = TableLimits {
    tcp_connections: 512,
    tcp_buffer: 512 << 10,
    udp_flows: 512,
    udp_idle_secs: 60,
    connect_timeout_secs: 20,
};

/// `--add-host NAME:IP`; `host-gateway` as the IP means [`GATEWAY`] and opts
/// in to reaching the host's loopback through it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostEntry {
    /// The name.
    pub name: String,
    /// Its address.
    pub ip: std::net::IpAddr,
}

/// What `--network bridge` asks for, after validation.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BridgeSpec {
    /// `-p`/`-P`.
    pub ports: Vec<PortSpec>,
    /// `--dns`: nameservers written to the container's resolv.conf instead
    /// of the built-in forwarder.
    pub dns: Vec<std::net::IpAddr>,
    /// `--dns-search`.
    pub dns_search: Vec<String>,
    /// `--add-host`.
    pub hosts: Vec<HostEntry>,
    /// Whether the gateway leads to the host's loopback (an `--add-host
    /// NAME:host-gateway` was given).
    pub host_loopback: bool,
    /// The mode was not asked for (an image's default): when this host
    /// cannot provide it, the run falls back to `none` with a notice.
    pub implicit: bool,
    /// `--network slirp4netns|pasta`: that helper serves the container's
    /// netns (same address plan) instead of cove's built-in stack.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub helper: Option<NetHelper>,
}

/// An external user-mode network helper (`--network slirp4netns|pasta`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NetHelper {
    /// slirp4netns(1).
    Slirp4netns,
    /// pasta(1), from passt.
    Pasta,
}

impl NetHelper {
    /// The helper's program name (and the `--network` value).
    pub fn program(self) -> &'static str {
        match self {
            NetHelper::Slirp4netns => "slirp4netns",
            NetHelper::Pasta => "pasta",
        }
    }
}

/// An `--add-host` value: `NAME:IP` or `NAME:host-gateway`.
pub fn parse_add_host(value: &str) -> Result<(HostEntry, bool), PortError> {
    let bad = || PortError::AddHost(value.to_owned());
    let (name, ip) = value.split_once(':').ok_or_else(bad)?;
    let name_ok = !name.is_empty()
        && name.len() <= 253
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.' || b == b'_');
    if !name_ok {
        return Err(bad());
    }
    if ip == "host-gateway" {
        return Ok((HostEntry { name: name.to_owned(), ip: GATEWAY.into() }, true));
    }
    let ip = ip.trim_start_matches('[').trim_end_matches(']').parse().map_err(|_| bad())?;
    Ok((HostEntry { name: name.to_owned(), ip }, false))
}

/// The container's `/etc/resolv.conf`: the `--dns` servers, else the
/// built-in forwarder (never a copy of the host's, whose 127.0.0.53 stub
/// cannot work inside).
pub fn resolv_conf(spec: &BridgeSpec) -> String {
    let mut out = String::from("# generated by cove\n");
    if spec.dns.is_empty() {
        out.push_str(&format!("nameserver {DNS}\n"));
    }
    for ip in &spec.dns {
        out.push_str(&format!("nameserver {ip}\n"));
    }
    if !spec.dns_search.is_empty() {
        out.push_str(&format!("search {}\n", spec.dns_search.join(" ")));
    }
    out
}

/// The container's `/etc/hosts`: loopback, its own name on its address,
/// then each `--add-host`.
pub fn hosts(spec: &BridgeSpec, hostname: &str) -> String {
    let mut out = String::from("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n");
    out.push_str(&format!("{CONTAINER}\t{hostname}\n"));
    for h in &spec.hosts {
        out.push_str(&format!("{}\t{}\n", h.ip, h.name));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn add_host_accepts_ip_and_host_gateway() {
        let (e, gw) = parse_add_host("db:192.0.2.7").unwrap();
        assert_eq!((e.name.as_str(), e.ip.to_string(), gw), ("db", "192.0.2.7".into(), false));
        let (e, gw) = parse_add_host("host.containers.internal:host-gateway").unwrap();
        assert_eq!((e.ip, gw), (std::net::IpAddr::V4(GATEWAY), true));
        assert!(parse_add_host("v6:[::1]").is_ok());
        for bad in ["nocolon", ":1.2.3.4", "a b:1.2.3.4", "x:notanip"] {
            assert!(parse_add_host(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn resolv_conf_uses_forwarder_unless_dns_given() {
        let mut s = BridgeSpec::default();
        assert!(resolv_conf(&s).contains("nameserver 10.0.2.3\n"));
        s.dns = vec!["192.0.2.53".parse().unwrap()];
        s.dns_search = vec!["example.test".into()];
        let r = resolv_conf(&s);
        assert!(!r.contains("10.0.2.3") && r.contains("nameserver 192.0.2.53\nsearch example.test\n"), "{r}");
    }

    #[test]
    fn hosts_names_the_container_and_extra_hosts() {
        let mut s = BridgeSpec::default();
        s.hosts.push(parse_add_host("h.test:host-gateway").unwrap().0);
        let h = hosts(&s, "box");
        assert!(h.contains("10.0.2.100\tbox\n") && h.contains("10.0.2.2\th.test\n"), "{h}");
    }
}
