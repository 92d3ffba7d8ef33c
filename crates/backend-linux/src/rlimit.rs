//! `--ulimit` and `--oom-score-adj`: set by cove on the container's first
//! process (`prlimit(2)`, `/proc/PID/oom_score_adj`) after `clone` and
//! before it runs any step of its own, so everything in the container
//! inherits them. From the parent because inside the user namespace
//! nobody may raise a hard limit (that needs `CAP_SYS_RESOURCE` in the
//! initial namespace).
//!
//! [`resource`] maps the OCI config's `RLIMIT_*` names (runtime mode).
//!
//! [`check`] refuses before anything starts what this caller cannot set:
//! without `CAP_SYS_RESOURCE` (rootless callers, and root where it has been
//! dropped, as on the dev host), a hard limit above cove's own or an OOM
//! score below cove's own.

use crate::SpawnError;
use cove_core::plan::limits::ResourceLimits;
use cove_core::plan::rlimits::{Resource, Rlimit, UNLIMITED};
use rustix::process::{Pid, Resource as R};

/// The kernel's resource for a Docker name.
fn kernel(r: Resource) -> R {
    match r {
        Resource::Core => R::Core,
        Resource::Cpu => R::Cpu,
        Resource::Data => R::Data,
        Resource::Fsize => R::Fsize,
        Resource::Locks => R::Locks,
        Resource::Memlock => R::Memlock,
        Resource::Msgqueue => R::Msgqueue,
        Resource::Nice => R::Nice,
        Resource::Nofile => R::Nofile,
        Resource::Nproc => R::Nproc,
        Resource::Rss => R::Rss,
        Resource::Rtprio => R::Rtprio,
        Resource::Rttime => R::Rttime,
        Resource::Sigpending => R::Sigpending,
        Resource::Stack => R::Stack,
        Resource::As => R::As,
    }
}

fn to_kernel(v: u64) -> Option<u64> {
    (v != UNLIMITED).then_some(v)
}

fn show(v: Option<u64>) -> String {
    v.map_or_else(|| "unlimited".to_owned(), |v| v.to_string())
}

/// Whether cove holds `CAP_SYS_RESOURCE` (raising hard limits, lowering
/// the OOM score).
pub fn can_raise() -> bool {
    rustix::thread::capabilities(None).is_ok_and(|c| c.effective.contains(rustix::thread::CapabilitySet::SYS_RESOURCE))
}

/// Refuses, before anything starts, limits this caller cannot set.
pub fn check(limits: &ResourceLimits) -> Result<(), SpawnError> {
    let root = can_raise();
    for r in &limits.rlimits {
        nofile_ceiling(r)?;
        let own = rustix::process::getrlimit(kernel(r.resource)).maximum;
        let asked = to_kernel(r.hard);
        let above = match (asked, own) {
            (_, None) => false,
            (None, Some(_)) => true,
            (Some(a), Some(o)) => a > o,
        };
        if above && !root {
            let why = format!(
                "{}: raising the hard limit to {} above cove's own ({}) needs CAP_SYS_RESOURCE, \
                 which this cove lacks (rootless callers, or root with it dropped): only lowering works",
                r.resource.name(),
                show(asked),
                show(own)
            );
            return Err(SpawnError::Limits { flag: "--ulimit", why });
        }
    }
    if let Some(adj) = limits.oom_score_adj {
        let own: i32 =
            std::fs::read_to_string("/proc/self/oom_score_adj").ok().and_then(|t| t.trim().parse().ok()).unwrap_or(0);
        if adj < own && !root {
            let why = format!(
                "{adj} is below cove's own OOM score adjustment ({own}); lowering it needs CAP_SYS_RESOURCE, which this cove lacks"
            );
            return Err(SpawnError::Limits { flag: "--oom-score-adj", why });
        }
    }
    Ok(())
}

/// The kernel refuses `nofile` above `fs.nr_open`, even for root.
fn nofile_ceiling(r: &Rlimit) -> Result<(), SpawnError> {
    if r.resource != Resource::Nofile {
        return Ok(());
    }
    let nr_open: u64 =
        std::fs::read_to_string("/proc/sys/fs/nr_open").ok().and_then(|t| t.trim().parse().ok()).unwrap_or(1 << 20);
    if r.hard > nr_open {
        let why = format!("nofile: {} is above the kernel's fs.nr_open ({nr_open})", show(to_kernel(r.hard)));
        return Err(SpawnError::Limits { flag: "--ulimit", why });
    }
    Ok(())
}

/// Sets the rlimits and OOM score of the container's first process `pid`.
pub fn apply(pid: i32, limits: &ResourceLimits) -> Result<(), SpawnError> {
    let target = Pid::from_raw(pid);
    for r in &limits.rlimits {
        let new = rustix::process::Rlimit { current: to_kernel(r.soft), maximum: to_kernel(r.hard) };
        rustix::process::prlimit(target, kernel(r.resource), new).map_err(|e| SpawnError::Limits {
            flag: "--ulimit",
            why: format!("prlimit {} on pid {pid}: {}", r.resource.name(), std::io::Error::from(e)),
        })?;
    }
    if let Some(adj) = limits.oom_score_adj {
        let path = format!("/proc/{pid}/oom_score_adj");
        std::fs::write(&path, adj.to_string())
            .map_err(|e| SpawnError::Limits { flag: "--oom-score-adj", why: format!("write {path}: {e}") })?;
    }
    Ok(())
}

/// The resource named `name` as the OCI config spells it (`RLIMIT_NOFILE`, ...).
pub fn resource(name: &str) -> Option<R> {
    Some(match name {
        "RLIMIT_CPU" => R::Cpu,
        "RLIMIT_FSIZE" => R::Fsize,
        "RLIMIT_DATA" => R::Data,
        "RLIMIT_STACK" => R::Stack,
        "RLIMIT_CORE" => R::Core,
        "RLIMIT_RSS" => R::Rss,
        "RLIMIT_NPROC" => R::Nproc,
        "RLIMIT_NOFILE" => R::Nofile,
        "RLIMIT_MEMLOCK" => R::Memlock,
        "RLIMIT_AS" => R::As,
        "RLIMIT_LOCKS" => R::Locks,
        "RLIMIT_SIGPENDING" => R::Sigpending,
        "RLIMIT_MSGQUEUE" => R::Msgqueue,
        "RLIMIT_NICE" => R::Nice,
        "RLIMIT_RTPRIO" => R::Rtprio,
        "RLIMIT_RTTIME" => R::Rttime,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn names() {
        assert_eq!(super::resource("RLIMIT_NOFILE"), Some(rustix::process::Resource::Nofile));
        assert_eq!(super::resource("NOFILE"), None);
    }
}
