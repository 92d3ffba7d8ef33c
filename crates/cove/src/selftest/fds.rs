//! `fds`: no descriptor of cove's reaches the command (the CVE-2024-21626
//! class, where a leaked directory descriptor let a container walk the
//! host's tree). Protection: every descriptor above 2 is made close-on-exec
//! just before `execve`. No flag turns that off; `--weaken` runs the probe
//! on the host, where it inherits the descriptor.

use super::runner::{Env, ProbeRun};
use super::verdict::{Outcome, report};
use super::{Category, Check};
use anyhow::Context;
use cove_backend_linux::selftest as sys;
use std::os::fd::{AsFd, AsRawFd};

/// The `fds` checks.
pub const CHECKS: &[Check] = &[Check {
    name: "inherited-fds",
    category: Category::Fds,
    proves: "a descriptor cove inherits (here: the host's / directory) is not open in the container: only 0, 1 and 2 are",
    run: inherited_fds,
}];

fn inherited_fds(env: &Env) -> anyhow::Result<Outcome> {
    let root = std::fs::File::open("/").context("open the host's /")?;
    let leak = sys::inheritable_dup(root.as_fd()).context("duplicate it for cove")?;
    let given = format!("cove was given fd {} -> / (the host's root directory)", leak.as_raw_fd());
    let ran = env.run(ProbeRun::new::<&str>("fds", []).inherit(leak).on_host(env.weaken))?;
    let listing = match report(&ran).map(|r| r.get("list /proc/self/fd").cloned()) {
        Ok(Some(a)) if a.succeeded() => a.found,
        Ok(a) => return Ok(Outcome::fail(format!("{given}; could not list /proc/self/fd inside: {a:?}"))),
        Err(outcome) => return Ok(outcome),
    };
    let extra: Vec<&String> = listing
        .iter()
        .filter(|l| l.split(' ').next().and_then(|n| n.parse::<u32>().ok()).is_none_or(|n| n > 2))
        .collect();
    let inside = listing.iter().map(|l| l.split(' ').next().unwrap_or("")).collect::<Vec<_>>().join(" ");
    Ok(if extra.is_empty() {
        Outcome::pass(format!("{given}; open inside: {inside}"))
    } else {
        Outcome::fail(format!(
            "{given}; also open inside: {}",
            extra.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
        ))
    })
}
