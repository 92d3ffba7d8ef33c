//! `-p [IP:][HOSTPORT:]CONTAINERPORT[/tcp|udp]`, as Docker reads it.

use serde::{Deserialize, Serialize};
use std::net::Ipv4Addr;

/// A transport protocol of a published port.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Protocol {
    /// TCP.
    Tcp,
    /// UDP.
    Udp,
}

impl std::fmt::Display for Protocol {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Protocol::Tcp => "tcp",
            Protocol::Udp => "udp",
        })
    }
}

/// One published port.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PortSpec {
    /// Host address to listen on (Docker's default: every address).
    pub host_ip: Ipv4Addr,
    /// Host port; 0 lets the kernel choose.
    pub host_port: u16,
    /// Port inside the container.
    pub container_port: u16,
    /// Protocol.
    pub protocol: Protocol,
}

/// A network value that cannot be used.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PortError {
    /// A bad `-p` value.
    #[error(
        "invalid -p {0:?}: expected [IP:][HOSTPORT:]CONTAINERPORT[/tcp|udp], e.g. 8080:80 or 127.0.0.1:5353:53/udp"
    )]
    Publish(String),
    /// A bad `--add-host` value.
    #[error("invalid --add-host {0:?}: expected NAME:IP or NAME:host-gateway")]
    AddHost(String),
}

/// Parses one `-p` value.
pub fn parse_port(value: &str) -> Result<PortSpec, PortError> {
    let bad = || PortError::Publish(value.to_owned());
    let (rest, protocol) = match value.rsplit_once('/') {
        Some((r, "tcp")) => (r, Protocol::Tcp),
        Some((r, "udp")) => (r, Protocol::Udp),
        Some(_) => return Err(bad()),
        None => (value, Protocol::Tcp),
    };
    let parts: Vec<&str> = rest.split(':').collect();
    let port = |s: &str, zero_ok: bool| -> Result<u16, PortError> {
        let p: u16 = s.parse().map_err(|_| bad())?;
        if p == 0 && !zero_ok { Err(bad()) } else { Ok(p) }
    };
    let any = Ipv4Addr::UNSPECIFIED;
    let (host_ip, host_port, container_port) = match parts.as_slice() {
        [c] => (any, 0, port(c, false)?),
        [h, c] => (any, port(h, false)?, port(c, false)?),
        [ip, h, c] => {
            let ip = if ip.is_empty() { any } else { ip.parse().map_err(|_| bad())? };
            let h = if h.is_empty() { 0 } else { port(h, false)? };
            (ip, h, port(c, false)?)
        }
        _ => return Err(bad()),
    };
    Ok(PortSpec { host_ip, host_port, container_port, protocol })
}

/// The container ports of one `ExposedPorts` key or `--expose` value
/// (`80`, `80/udp`, `8000-8010/tcp`) that `-P` publishes; `None` when it
/// is malformed. SCTP, which the built-in network does not carry, gives
/// no ports.
pub fn exposed_ports(value: &str) -> Option<Vec<(u16, Protocol)>> {
    let (ports, proto) = value.split_once('/').unwrap_or((value, "tcp"));
    let port = |s: &str| s.parse::<u16>().ok().filter(|p| *p > 0);
    let (first, last) = match ports.split_once('-') {
        Some((a, b)) => (port(a)?, port(b)?),
        None => (port(ports)?, port(ports)?),
    };
    let protocol = match proto {
        "tcp" => Protocol::Tcp,
        "udp" => Protocol::Udp,
        "sctp" => return Some(Vec::new()),
        _ => return None,
    };
    (first <= last).then(|| (first..=last).map(|p| (p, protocol)).collect())
}

/// `-P`: every exposed port on a port the kernel chooses, on every address.
pub fn publish_all(exposed: &[(u16, Protocol)]) -> Vec<PortSpec> {
    let mut out: Vec<PortSpec> = Vec::new();
    for &(container_port, protocol) in exposed {
        let spec = PortSpec { host_ip: Ipv4Addr::UNSPECIFIED, host_port: 0, container_port, protocol };
        if !out.contains(&spec) {
            out.push(spec);
        }
    }
    out
}

/// Published ports as `docker ps` shows them: `0.0.0.0:8080->80/tcp`,
/// joined by `, `. Ports published on the same number inside and out
/// with consecutive numbers are one range (`0.0.0.0:8000-8002->8000-8002/tcp`),
/// listed before the others; each list is sorted.
pub fn display(ports: &[PortSpec]) -> String {
    let mut same: Vec<PortSpec> = ports.iter().filter(|p| p.host_port == p.container_port).copied().collect();
    let mut other: Vec<PortSpec> = ports.iter().filter(|p| p.host_port != p.container_port).copied().collect();
    let key = |p: &PortSpec| (p.host_ip, p.protocol.to_string(), p.container_port, p.host_port);
    same.sort_by_key(key);
    same.dedup();
    other.sort_by_key(key);
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    while i < same.len() {
        let first = same[i];
        let mut last = first.container_port;
        while let Some(n) = same.get(i + 1)
            && (n.host_ip, n.protocol) == (first.host_ip, first.protocol)
            && last.checked_add(1) == Some(n.container_port)
        {
            last = n.container_port;
            i += 1;
        }
        let range =
            if last == first.container_port { last.to_string() } else { format!("{}-{last}", first.container_port) };
        out.push(format!("{}:{range}->{range}/{}", first.host_ip, first.protocol));
        i += 1;
    }
    out.extend(other.iter().map(|p| format!("{}:{}->{}/{}", p.host_ip, p.host_port, p.container_port, p.protocol)));
    out.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exposed_values_expand() {
        assert_eq!(exposed_ports("80/tcp"), Some(vec![(80, Protocol::Tcp)]));
        assert_eq!(exposed_ports("53/udp"), Some(vec![(53, Protocol::Udp)]));
        assert_eq!(exposed_ports("8000-8002").map(|v| v.len()), Some(3));
        assert_eq!(exposed_ports("9/sctp"), Some(vec![]));
        for bad in ["", "x/tcp", "0", "9-8", "80/icmp"] {
            assert_eq!(exposed_ports(bad), None, "{bad}");
        }
        let all = publish_all(&[(80, Protocol::Tcp), (80, Protocol::Tcp), (80, Protocol::Udp)]);
        assert_eq!(all.len(), 2);
        assert!(all.iter().all(|p| p.host_port == 0 && p.host_ip == Ipv4Addr::UNSPECIFIED));
    }

    #[test]
    fn docker_forms_parse() {
        let p = parse_port("8080:80").unwrap();
        assert_eq!(
            (p.host_ip, p.host_port, p.container_port, p.protocol),
            (Ipv4Addr::UNSPECIFIED, 8080, 80, Protocol::Tcp)
        );
        let p = parse_port("127.0.0.1:5353:53/udp").unwrap();
        assert_eq!(
            (p.host_ip, p.host_port, p.container_port, p.protocol),
            (Ipv4Addr::LOCALHOST, 5353, 53, Protocol::Udp)
        );
        assert_eq!(parse_port("80").unwrap().host_port, 0);
        assert_eq!(parse_port("127.0.0.1::80").unwrap().host_port, 0);
    }

    #[test]
    fn bad_forms_are_refused() {
        for bad in ["", "x", "0", "80:0", "70000:80", "1:2:3:4", "80/sctp", "host:80:80", "8080:80/"] {
            assert_eq!(parse_port(bad), Err(PortError::Publish(bad.into())), "{bad}");
        }
    }

    #[test]
    fn display_is_dockers_ports_column() {
        let p = |v: &str| parse_port(v).unwrap();
        assert_eq!(display(&[]), "");
        assert_eq!(display(&[p("8080:80")]), "0.0.0.0:8080->80/tcp");
        let ports = [p("127.0.0.1:5353:53/udp"), p("8001:8001"), p("8000:8000"), p("8002:8002"), p("9000:9000/udp")];
        assert_eq!(display(&ports), "0.0.0.0:8000-8002->8000-8002/tcp, 0.0.0.0:9000->9000/udp, 127.0.0.1:5353->53/udp");
    }
}
