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

#[cfg(test)]
mod tests {
    use super::*;

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
}
