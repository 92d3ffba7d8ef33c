//! What a limit needs from this host beyond a place for its cgroup, checked
//! before anything is created: enough CPUs for `--cpus`, the CPUs and memory
//! nodes `--cpuset-*` name; and the refusal, naming the flag given, when a
//! controller has no place at all.

use super::create::HostAccess;
use super::files;
use super::place::{Hierarchies, Target, Via};
use crate::SpawnError;
use cove_core::plan::cpuset;
use cove_core::plan::limits::ResourceLimits;
use std::path::Path;

/// `--cpus` beyond this host's CPUs is refused (as Docker does).
pub fn cpus(limits: &ResourceLimits) -> Result<(), SpawnError> {
    let Some(q) = limits.cpu else { return Ok(()) };
    let host = std::thread::available_parallelism().map_or(1, |n| n.get() as u64);
    if q.nano_cpus() > host * 1_000_000_000 {
        return Err(SpawnError::Limits { flag: "--cpus", why: format!("only {host} CPUs are available on this host") });
    }
    Ok(())
}

/// `--cpuset-cpus`/`--cpuset-mems` naming CPUs or nodes the cgroup under
/// which the container goes cannot use are refused (as Docker does).
pub fn cpuset(controller: &str, limits: &ResourceLimits, target: &Target) -> Result<(), SpawnError> {
    if controller != "cpuset" {
        return Ok(());
    }
    let pairs = [
        ("--cpuset-cpus", &limits.cpuset_cpus, "CPUs", ["cpuset.effective_cpus", "cpuset.cpus.effective"], CPUS),
        (
            "--cpuset-mems",
            &limits.cpuset_mems,
            "memory nodes",
            ["cpuset.effective_mems", "cpuset.mems.effective"],
            NODES,
        ),
    ];
    for (flag, asked, what, files, fallback) in pairs {
        let Some(asked) = asked else { continue };
        let file = if target.via == Via::V1 { files[0] } else { files[1] };
        let have = available(&target.base.join(file), fallback);
        let wanted = cpuset::parse(asked).unwrap_or_default();
        let missing: Vec<u32> = wanted.iter().copied().filter(|c| !have.contains(c)).collect();
        if !missing.is_empty() {
            let why = format!(
                "{what} {} are not available here (available: {})",
                cpuset::format(&missing.into_iter().collect()),
                cpuset::format(&have)
            );
            return Err(SpawnError::Limits { flag, why });
        }
    }
    Ok(())
}

const CPUS: &str = "/sys/devices/system/cpu/online";
const NODES: &str = "/sys/devices/system/node/online";

/// The list in `file`, else in `fallback`; a host without NUMA has node 0.
fn available(file: &Path, fallback: &str) -> std::collections::BTreeSet<u32> {
    let read = |p: &Path| std::fs::read_to_string(p).ok().filter(|t| !t.trim().is_empty());
    let text = read(file).or_else(|| read(Path::new(fallback))).unwrap_or_else(|| "0".to_owned());
    cpuset::parse(&text).unwrap_or_default()
}

/// Why `controller` cannot be used by this caller.
pub fn refusal(controller: &str, limits: &ResourceLimits, host: &Hierarchies) -> SpawnError {
    let why = if host.root {
        format!("no cgroup hierarchy holding the {controller} controller is mounted read-write")
    } else if host.delegated(&HostAccess) {
        format!("the delegated cgroup v2 subtree does not offer the {controller} controller (cgroup delegation)")
    } else {
        "it needs cgroup delegation: this user has no delegated (writable) cgroup v2 subtree, and v1 \
         hierarchies are writable by root only"
            .to_owned()
    };
    SpawnError::Limits { flag: files::flag(controller, limits), why }
}
