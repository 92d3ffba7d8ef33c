//! More of Docker's `inspect` keys for stored containers: `Mounts` (named
//! volumes as `volume`, host paths as `bind`, tmpfs) and the addresses in
//! `NetworkSettings` (`IPAddress`, `Gateway`, `Networks`), which scripts
//! read with `-f '{{.NetworkSettings.IPAddress}}'`.

use cove_core::container::Container;
use cove_core::net::{CONTAINER, GATEWAY, PREFIX};
use cove_core::spec::{MountSpec, NetworkMode};
use serde_json::{Value, json};

/// Docker's `Mounts` array.
pub fn mounts(c: &Container) -> Value {
    let list: Vec<Value> = c
        .spec
        .mounts
        .iter()
        .map(|m| match m {
            MountSpec::Bind { source, destination, read_only } => match crate::volumes::name_of(source) {
                Some(name) => json!({
                    "Type": "volume", "Name": name, "Source": source, "Destination": destination,
                    "Driver": "local", "Mode": if *read_only { "ro" } else { "z" }, "RW": !read_only, "Propagation": "",
                }),
                None => json!({
                    "Type": "bind", "Source": source, "Destination": destination,
                    "Mode": if *read_only { "ro" } else { "" }, "RW": !read_only, "Propagation": "rprivate",
                }),
            },
            MountSpec::Tmpfs { destination, flags, .. } => json!({
                "Type": "tmpfs", "Source": "", "Destination": destination, "Mode": "", "RW": !flags.read_only,
                "Propagation": "",
            }),
        })
        .collect();
    Value::Array(list)
}

/// Adds the address keys to `NetworkSettings` (empty strings without a
/// network of the container's own, as Docker shows `--network none|host`).
pub fn network_settings(c: &Container, settings: &mut Value) {
    let Some(map) = settings.as_object_mut() else { return };
    let (name, ip, gw, prefix) = match &c.spec.network {
        NetworkMode::Bridge(b) => {
            (b.helper.map_or("bridge", |h| h.program()), CONTAINER.to_string(), GATEWAY.to_string(), PREFIX)
        }
        NetworkMode::Host => ("host", String::new(), String::new(), 0),
        NetworkMode::None => ("none", String::new(), String::new(), 0),
    };
    map.insert("IPAddress".into(), json!(ip));
    map.insert("Gateway".into(), json!(gw));
    map.insert("IPPrefixLen".into(), json!(prefix));
    map.insert("MacAddress".into(), json!(""));
    map.insert(
        "Networks".into(),
        json!({ name: { "IPAddress": ip, "Gateway": gw, "IPPrefixLen": prefix, "MacAddress": "" } }),
    );
}
