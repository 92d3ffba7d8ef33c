//! The name files of a `--network bridge` container: `/etc/resolv.conf`
//! and `/etc/hosts` generated from the bridge spec, and `/etc/hostname`.

use super::MountStep;
use crate::net::{self, BridgeSpec};
use crate::spec::{RootSpec, RootWrites, RunSpec};

/// Replaces (zero-setup root) or adds (image layers, or a `--rootfs` root
/// with writes thrown away) `/etc/resolv.conf` and `/etc/hosts`. A `--rootfs-rw`
/// directory is left as it is: cove never writes into it on its own.
pub(super) fn name_files(mounts: &mut Vec<MountStep>, spec: &RunSpec, bridge: &BridgeSpec) {
    let resolv = net::resolv_conf(bridge);
    let hosts = net::hosts(bridge, &spec.hostname);
    let file = |path: &str, contents: String| MountStep::File { path: path.into(), contents, mode: 0o644 };
    match &spec.root {
        RootSpec::HostSystem => {
            for step in mounts.iter_mut() {
                match step {
                    // The host's resolv.conf would point at resolvers the
                    // container cannot reach (127.0.0.53).
                    MountStep::Bind { dest, .. } if dest == "/etc/resolv.conf" => {
                        *step = file("/etc/resolv.conf", resolv.clone())
                    }
                    MountStep::File { path, contents, .. } if path == "/etc/hosts" => *contents = hosts.clone(),
                    _ => {}
                }
            }
        }
        RootSpec::Directory { writes: RootWrites::Throwaway, .. } | RootSpec::Layers { .. } => {
            mounts.push(MountStep::Dir { path: "/etc".into(), mode: 0o755, owner: None });
            mounts.push(file("/etc/resolv.conf", resolv));
            mounts.push(file("/etc/hosts", hosts));
            // Docker writes the container's own name there too.
            mounts.push(file("/etc/hostname", format!("{}\n", spec.hostname)));
        }
        RootSpec::Directory { writes: RootWrites::InPlace, .. } => {}
    }
}
