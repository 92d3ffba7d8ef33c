//! `--network` and its flags (`-p`, `-P`, `--dns`, `--dns-search`,
//! `--add-host`) into a `NetworkMode`. Docker's defaults: an image or `--rootfs` run gets
//! the built-in bridge; the zero-setup sandbox stays offline (`none`).

use crate::cli::{NetArgs, Network};
use crate::{output, platform};
use anyhow::{Context, bail};
use cove_core::net::{BridgeSpec, NetHelper, Protocol, exposed_ports, parse_add_host, parse_port, publish_all};
use cove_core::spec::NetworkMode;

/// The network mode; `with_root` is an image or `--rootfs` run, `exposed`
/// the ports `-P` publishes (see [`exposed`]).
pub fn mode(
    asked: Option<Network>,
    args: &NetArgs,
    with_root: bool,
    exposed: &[(u16, Protocol)],
) -> anyhow::Result<NetworkMode> {
    let implicit = asked.is_none();
    let chosen = asked.unwrap_or(if with_root { Network::Bridge } else { Network::None });
    let has_flags = !(args.publish.is_empty() && args.dns.is_empty() && args.add_host.is_empty());
    match chosen {
        Network::None | Network::Host if has_flags && !implicit => {
            bail!("-p, --dns and --add-host need --network bridge (the network is {chosen:?})")
        }
        Network::None if has_flags => bail!("-p, --dns and --add-host need a network: add --network bridge"),
        Network::Slirp4netns | Network::Pasta => {
            let helper = if chosen == Network::Pasta { NetHelper::Pasta } else { NetHelper::Slirp4netns };
            let mut spec = bridge(args, false)?;
            spec.helper = Some(helper);
            if args.publish_all {
                spec.ports.extend(publish_all(exposed));
            }
            Ok(NetworkMode::Bridge(spec))
        }
        Network::None => Ok(NetworkMode::None),
        Network::Host => Ok(NetworkMode::Host),
        Network::Bridge => {
            let mut spec = bridge(args, implicit)?;
            if args.publish_all {
                // Docker: -P with nothing exposed publishes nothing.
                spec.ports.extend(publish_all(exposed));
            }
            if implicit && !has_flags && !platform::bridge_usable() {
                // Told to people at a terminal; scripts keep a clean stderr
                // (the run is what `--network none` would give).
                output::notice_on_terminal(
                    "no network: /dev/net/tun cannot be opened by this user, so the built-in network \
                     (--network bridge) is off for this run (see `cove info`)",
                );
                return Ok(NetworkMode::None);
            }
            Ok(NetworkMode::Bridge(spec))
        }
    }
}

fn bridge(args: &NetArgs, implicit: bool) -> anyhow::Result<BridgeSpec> {
    let mut spec = BridgeSpec { implicit, dns_search: args.dns_search.clone(), ..BridgeSpec::default() };
    for p in &args.publish {
        spec.ports.push(parse_port(p)?);
    }
    for d in &args.dns {
        spec.dns.push(d.parse().with_context(|| format!("invalid --dns {d:?}: expected an IP address"))?);
    }
    for h in &args.add_host {
        let (entry, gateway) = parse_add_host(h)?;
        spec.host_loopback |= gateway;
        spec.hosts.push(entry);
    }
    Ok(spec)
}

/// The ports `-P` publishes: the image's `ExposedPorts` keys and each
/// `--expose` value (Docker counts both).
pub fn exposed<'a>(image: impl Iterator<Item = &'a String>, expose: &[String]) -> anyhow::Result<Vec<(u16, Protocol)>> {
    let mut out = Vec::new();
    for key in image {
        let ports =
            exposed_ports(key).with_context(|| format!("the image's ExposedPorts has an invalid entry {key:?}"))?;
        out.extend(ports);
    }
    for e in expose {
        let ports =
            exposed_ports(e).with_context(|| format!("invalid --expose {e:?}: expected PORT[-PORT][/tcp|udp|sctp]"))?;
        out.extend(ports);
    }
    Ok(out)
}
