//! `limits`: flag by flag, which resource limits `cove run` enforces for
//! this caller, from the same placement decision as the run (`cgroups`),
//! plus swap accounting, and what rootless callers may do with `--ulimit`
//! and `--oom-score-adj` (lower only).

use super::{degraded, enforced};
use crate::cgroup::place::Via;
use cove_core::backend::Feature;

const KEY: &str = "limits";

/// Everything the verdict depends on.
#[derive(Clone, Debug)]
pub struct Evidence {
    /// cove holds `CAP_SYS_RESOURCE` (raising hard rlimits, lowering the OOM score).
    pub sys_resource: bool,
    /// How each controller is usable, if at all (`memory`, `cpu`, `cpuset`, `pids`).
    pub usable: Vec<(&'static str, Option<Via>)>,
    /// The kernel accounts swap where the memory controller is used.
    pub swap_accounted: bool,
    /// The cgroups feature's fix, for what is not usable.
    pub cgroup_fix: Option<String>,
}

/// The flags each controller enforces.
const FLAGS: [(&str, &[&str]); 4] = [
    ("memory", &["--memory", "--memory-swap", "--memory-reservation"]),
    ("cpu", &["--cpus", "--cpu-shares"]),
    ("cpuset", &["--cpuset-cpus", "--cpuset-mems"]),
    ("pids", &["--pids-limit"]),
];

/// The verdict.
pub fn assess(ev: &Evidence) -> Feature {
    let mut parts = Vec::new();
    let mut all = true;
    for (controller, flags) in FLAGS {
        let via = ev.usable.iter().find(|(c, _)| *c == controller).and_then(|(_, v)| *v);
        for flag in flags {
            parts.push(match via {
                Some(v) if *flag == "--memory-swap" && !ev.swap_accounted => {
                    all = false;
                    format!("{flag}: -1 only (no swap accounting in this kernel; {})", name(v))
                }
                Some(v) => format!("{flag}: yes ({})", name(v)),
                None => {
                    all = false;
                    format!("{flag}: no (needs cgroup delegation)")
                }
            });
        }
    }
    if ev.sys_resource {
        parts.push("--ulimit: yes".into());
        parts.push("--oom-score-adj: yes".into());
    } else {
        all = false;
        parts.push("--ulimit: lower only (raising a hard limit needs CAP_SYS_RESOURCE)".into());
        parts.push("--oom-score-adj: raise only (lowering needs CAP_SYS_RESOURCE)".into());
    }
    let detail = parts.join("; ");
    if all {
        return enforced(KEY, detail);
    }
    let fix = ev.cgroup_fix.clone().unwrap_or_else(|| {
        "run cove as root with CAP_SYS_RESOURCE to raise --ulimit or lower --oom-score-adj beyond cove's own".into()
    });
    degraded(KEY, detail, fix)
}

fn name(via: Via) -> &'static str {
    match via {
        Via::V1 => "cgroup v1",
        Via::V2 => "cgroup v2",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cove_core::backend::Support;

    fn ev(sys_resource: bool, via: Option<Via>, swap: bool) -> Evidence {
        let usable = vec![("memory", via), ("cpu", via), ("cpuset", via), ("pids", via)];
        Evidence { sys_resource, usable, swap_accounted: swap, cgroup_fix: Some("delegate".into()) }
    }

    #[test]
    fn root_with_v1_enforces_everything() {
        let f = assess(&ev(true, Some(Via::V1), true));
        assert_eq!(f.status, Support::Enforced, "{}", f.detail);
        assert!(f.detail.contains("--cpu-shares: yes (cgroup v1)") && f.detail.contains("--ulimit: yes"));
    }

    #[test]
    fn rootless_without_delegation_names_each_flag() {
        let f = assess(&ev(false, None, true));
        assert_eq!(f.status, Support::Degraded);
        for flag in ["--memory", "--memory-swap", "--cpus", "--cpuset-mems", "--pids-limit"] {
            assert!(f.detail.contains(&format!("{flag}: no (needs cgroup delegation)")), "{flag}: {}", f.detail);
        }
        assert!(f.detail.contains("--ulimit: lower only"));
        assert_eq!(f.fix.as_deref(), Some("delegate"));
        let f = assess(&ev(true, Some(Via::V2), false));
        assert!(f.detail.contains("--memory-swap: -1 only"));
        assert_eq!(f.status, Support::Degraded);
    }
}
