//! Host probe for `cove info`: what this host can enforce, with reasons and fixes.

use cove_core::backend::Capabilities;

/// Probes the host.
pub fn probe() -> Capabilities {
    Capabilities { backend: "linux".into(), ..Capabilities::default() }
}
