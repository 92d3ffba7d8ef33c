//! `cove port`: a stored container's published ports as bound at its last
//! start (a port the kernel chose, `-p 80` or `-P`, shows as chosen), while
//! it runs: the same ports as `ps`'s PORTS column.

use crate::cli::PortArgs;
use crate::containers;
use crate::output::{self, Exit};

/// Prints `CTRPORT/PROTO -> HOSTIP:HOSTPORT` per published port.
pub fn run(args: PortArgs) -> anyhow::Result<i32> {
    let (store, _) = containers::open()?;
    let c = containers::find(&store, &args.container)?;
    let ports = c.live_ports(c.observed(&containers::HostLiveness::new()));
    let want = args.port.as_deref().map(|p| if p.contains('/') { p.to_owned() } else { format!("{p}/tcp") });
    let lines: Vec<(String, String)> = ports
        .iter()
        .map(|p| (format!("{}/{}", p.container_port, p.protocol), format!("{}:{}", p.host_ip, p.host_port)))
        .filter(|(key, _)| want.as_ref().is_none_or(|w| w == key))
        .collect();
    if let (Some(w), true) = (&want, lines.is_empty()) {
        let message = format!("no public port '{w}' published for {}", args.container);
        return Err(Exit { code: 1, message }.into());
    }
    output::ports(&lines, want.is_none());
    Ok(0)
}
