//! What a macOS host can enforce, as `Capabilities`: evidence gathered by
//! `spawn.rs` (whether `sandbox-exec` accepts a deny-default profile) and
//! judged here by a pure function tested on any OS.

use cove_core::backend::{Capabilities, Feature, Support};

/// The features every run needs (flag, key), checked before spawning.
pub const ALWAYS: [(&str, &str); 1] = [("cove run", "sandbox")];

/// Evidence about the host.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostFacts {
    /// macOS version, as reported (`kern.osproductversion`), or the OS name.
    pub os_version: String,
    /// `sandbox-exec` ran `true` under a deny-default profile (`Ok`: its
    /// path), or why not.
    pub sandbox_exec: Result<String, String>,
}

fn feature(key: &'static str, status: Support, detail: &str, fix: Option<&str>) -> Feature {
    Feature { key, status, detail: detail.to_owned(), fix: fix.map(str::to_owned) }
}

/// Judges the evidence.
pub fn capabilities(f: &HostFacts) -> Capabilities {
    use Support::{Enforced, Unavailable};
    let facts = vec![("os".to_owned(), f.os_version.clone())];
    let mut features = vec![match &f.sandbox_exec {
        Ok(path) => Feature {
            key: "sandbox",
            status: Enforced,
            detail: format!("{path} applies a deny-default Seatbelt profile"),
            fix: None,
        },
        Err(e) => Feature {
            key: "sandbox",
            status: Unavailable,
            detail: e.clone(),
            fix: Some("cove needs /usr/bin/sandbox-exec (part of macOS)".to_owned()),
        },
    }];
    let net = features[0].status;
    features.push(feature("network_isolation", net, "--network none: no network rule in the profile", None));
    features.push(feature(
        "memory_limit",
        Unavailable,
        "macOS enforces neither RLIMIT_AS nor RLIMIT_RSS, and has no per-group memory limit for unprivileged users",
        None,
    ));
    features.push(feature(
        "cpu_limit",
        Unavailable,
        "no CPU rate limit (RLIMIT_CPU caps total seconds, not a rate)",
        None,
    ));
    features.push(feature(
        "pids_limit",
        Unavailable,
        "RLIMIT_NPROC counts every process of the user, not of one container",
        None,
    ));
    for (key, detail) in [
        ("hostname", "no UTS namespace: --hostname only sets HOSTNAME in the environment"),
        ("rootfs", "chroot needs root: --rootfs and images are not available"),
        ("tty", "pseudo-terminals are not wired yet (-t)"),
    ] {
        features.push(feature(key, Unavailable, detail, None));
    }
    Capabilities { backend: "macos".to_owned(), facts, features }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sandbox_exec_decides_the_sandbox_and_limits_are_refused() {
        let ok =
            capabilities(&HostFacts { os_version: "14.5".into(), sandbox_exec: Ok("/usr/bin/sandbox-exec".into()) });
        assert_eq!(ok.status("sandbox"), Support::Enforced);
        assert_eq!(ok.status("network_isolation"), Support::Enforced);
        for key in ["memory_limit", "cpu_limit", "pids_limit", "rootfs", "tty", "hostname"] {
            assert_eq!(ok.status(key), Support::Unavailable, "{key}");
        }
        let missing = capabilities(&HostFacts { os_version: "x".into(), sandbox_exec: Err("not found".into()) });
        assert_eq!(missing.status("sandbox"), Support::Unavailable);
        assert_eq!(missing.status("network_isolation"), Support::Unavailable);
    }
}
