//! Host probe for `cove info`: what this host can enforce, feature by
//! feature, with the evidence used and, when something is missing, the fix.
//!
//! Each submodule covers one area. It gathers evidence (files under `/proc`,
//! `/sys` and `/etc`, a harmless syscall, at most one `unshare(1)` run) and a
//! pure function turns that evidence into a [`Feature`]; the pure halves are
//! unit-tested on sample text. Nothing here needs `unsafe` or changes the host.
#![cfg(target_os = "linux")]

mod cgroup_verdict;
mod cgroups;
mod host;
mod idranges;
mod kernel;
mod limits;
mod overlay;
mod seccomp;
mod tun;
mod userns;

use cove_core::backend::{Capabilities, Feature, Support};
use host::Host;
pub use idranges::caller_subids;

/// Probes the host: facts first (kernel, architecture, caller, cgroup
/// layout), then every feature under its stable key.
pub fn probe() -> Capabilities {
    let host = Host::detect();
    let cgroups = cgroups::probe(&host);
    let mut facts = host.facts();
    facts.extend(cgroups.facts);
    let features = vec![
        userns::probe(&host),
        idranges::probe(&host),
        cgroups.feature,
        cgroups.limits,
        overlay::probe(&host),
        kernel::new_mount_api(&host),
        kernel::clone3(&host),
        kernel::pidfd(&host),
        seccomp::probe(),
        kernel::no_new_privs(&host),
        kernel::capabilities(&host),
        tun::probe(&host),
    ];
    Capabilities { backend: "linux".into(), facts, features }
}

/// Whether overlayfs can be mounted inside a user namespace here: the
/// `overlay_userns` feature alone, cheap enough to ask on every run
/// (`cove run IMAGE` copies the image per container where it cannot).
pub fn overlay_userns() -> bool {
    overlay::probe(&Host::detect()).status != Support::Unavailable
}

/// A feature that works fully.
fn enforced(key: &'static str, detail: impl Into<String>) -> Feature {
    Feature { key, status: Support::Enforced, detail: detail.into(), fix: None }
}

/// A feature that works with a limitation, and how to lift it.
fn degraded(key: &'static str, detail: impl Into<String>, fix: impl Into<String>) -> Feature {
    Feature { key, status: Support::Degraded, detail: detail.into(), fix: Some(fix.into()) }
}

/// A feature that is missing, and how to enable it when that is known.
fn unavailable(key: &'static str, detail: impl Into<String>, fix: Option<String>) -> Feature {
    Feature { key, status: Support::Unavailable, detail: detail.into(), fix }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probe_reports_every_key_once() {
        let caps = probe();
        let keys: Vec<&str> = caps.features.iter().map(|f| f.key).collect();
        for key in [
            "user_namespaces",
            "id_ranges",
            "cgroups",
            "limits",
            "overlay_userns",
            "new_mount_api",
            "clone3",
            "pidfd",
            "seccomp",
            "no_new_privs",
            "capabilities",
            "tun",
        ] {
            assert_eq!(keys.iter().filter(|k| **k == key).count(), 1, "{key}");
        }
        assert!(caps.facts.iter().any(|(k, _)| k == "kernel"));
        let enforced_with_fix = caps.features.iter().any(|f| f.status == Support::Enforced && f.fix.is_some());
        assert!(!enforced_with_fix);
    }
}
