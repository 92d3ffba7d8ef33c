//! What a Windows host can enforce, as `Capabilities`: the evidence is
//! gathered by `sys/` (on Windows only) into [`HostFacts`], and judged here
//! by a pure function that is tested on any OS.

use cove_core::backend::{Capabilities, Feature, Support};

/// The features every run needs (flag, key), checked before spawning.
pub const ALWAYS: [(&str, &str); 2] = [("cove run", "appcontainer"), ("cove run", "job_objects")];

/// Evidence about the host.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostFacts {
    /// Windows version, as reported.
    pub os_version: String,
    /// Wine's version when running under Wine.
    pub wine: Option<String>,
    /// Logical processors.
    pub cpus: u32,
    /// `DeriveAppContainerSidFromAppContainerName` worked (`Err`: why not).
    /// Never called under Wine, whose stub aborts the process.
    pub appcontainer: Result<(), String>,
    /// A job with kill-on-close could be made (`Err`: why not).
    pub job: Result<(), String>,
}

fn feature(key: &'static str, status: Support, detail: impl Into<String>, fix: Option<&str>) -> Feature {
    Feature { key, status, detail: detail.into(), fix: fix.map(str::to_owned) }
}

/// Judges the evidence.
pub fn capabilities(f: &HostFacts) -> Capabilities {
    use Support::{Degraded, Enforced, Unavailable};
    let mut facts = vec![("os".to_owned(), f.os_version.clone()), ("cpus".to_owned(), f.cpus.to_string())];
    if let Some(w) = &f.wine {
        facts.push(("wine".to_owned(), w.clone()));
    }
    let real_windows = Some("needs a real Windows 10/11 machine (Wine does not implement it)");
    let mut features = Vec::new();
    features.push(match (&f.wine, &f.appcontainer) {
        (Some(w), _) => feature(
            "appcontainer",
            Unavailable,
            format!("Wine {w} implements AppContainer profiles as stubs"),
            real_windows,
        ),
        (None, Ok(())) => {
            feature("appcontainer", Enforced, "AppContainer SIDs can be derived (Windows 8 or later)", None)
        }
        (None, Err(e)) => feature("appcontainer", Unavailable, e.clone(), Some("Windows 8 or later is needed")),
    });
    features.push(match &f.job {
        Ok(()) => feature("job_objects", Enforced, "Job Objects with kill-on-close", None),
        Err(e) => feature("job_objects", Unavailable, e.clone(), None),
    });
    let (limit_status, limit_detail) = match &f.wine {
        Some(w) => (Unavailable, format!("Wine {w} accepts Job Object limits but does not enforce them")),
        None if f.job.is_ok() => (Enforced, String::new()),
        None => (Unavailable, "no Job Objects".to_owned()),
    };
    let limit = |key, what: &str| {
        let detail = if limit_detail.is_empty() { what.to_owned() } else { limit_detail.clone() };
        let fix = if limit_status == Unavailable { real_windows } else { None };
        feature(key, limit_status, detail, fix)
    };
    features.push(limit("memory_limit", "JOB_OBJECT_LIMIT_JOB_MEMORY (committed memory of the whole job)"));
    features.push(limit("cpu_limit", "CPU rate control with a hard cap (share of the whole machine)"));
    let mut pids = limit("pids_limit", "");
    if pids.status == Enforced {
        pids.status = Degraded;
        pids.detail = "JOB_OBJECT_LIMIT_ACTIVE_PROCESS counts processes, not threads (Docker counts both)".into();
    }
    features.push(pids);
    let net = if features[0].status == Enforced { Enforced } else { Unavailable };
    features.push(feature("network_isolation", net, "--network none: a token without network capability SIDs", None));
    for (key, detail) in [
        ("hostname", "no UTS namespace: --hostname only sets COMPUTERNAME in the environment"),
        ("rootfs", "no unprivileged way to give a process its own root directory (--rootfs, images)"),
        ("tty", "ConPTY is not wired yet (-t)"),
    ] {
        features.push(feature(key, Unavailable, detail, None));
    }
    Capabilities { backend: "windows".to_owned(), facts, features }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn windows() -> HostFacts {
        HostFacts { os_version: "10.0.22631".into(), wine: None, cpus: 8, appcontainer: Ok(()), job: Ok(()) }
    }

    #[test]
    fn real_windows_enforces_the_sandbox_and_limits() {
        let c = capabilities(&windows());
        for key in ["appcontainer", "job_objects", "memory_limit", "cpu_limit", "network_isolation"] {
            assert_eq!(c.status(key), Support::Enforced, "{key}");
        }
        assert_eq!(c.status("pids_limit"), Support::Degraded);
        assert_eq!(c.status("rootfs"), Support::Unavailable);
    }

    #[test]
    fn wine_is_reported_as_it_is() {
        let c =
            capabilities(&HostFacts { wine: Some("8.0".into()), appcontainer: Err("not probed".into()), ..windows() });
        for key in ["appcontainer", "memory_limit", "cpu_limit", "pids_limit", "network_isolation"] {
            assert_eq!(c.status(key), Support::Unavailable, "{key}");
        }
        assert_eq!(c.status("job_objects"), Support::Enforced, "kill-on-close works under Wine");
        let mem = c.features.iter().find(|f| f.key == "memory_limit").unwrap();
        assert!(mem.detail.contains("does not enforce") && mem.fix.as_deref().unwrap().contains("real Windows"));
        assert!(c.facts.contains(&("wine".to_owned(), "8.0".to_owned())));
    }
}
