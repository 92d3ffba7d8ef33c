//! `exe`: the runtime's own binary is out of reach (CVE-2019-5736, where a
//! container reopened `/proc/PID/exe` of runc and overwrote it). With
//! `--init`, the container's pid 1 is cove itself, running the host's cove
//! binary. Protection: the command holds fewer capabilities than that init,
//! so it may not ptrace-access it, and `/proc/1/exe` stays closed to it.
//! `--cap-add SYS_PTRACE` (or `ALL`) turns that off; `--weaken` points the
//! probe at this `cove test` process from the host.

use super::runner::{Env, ProbeRun};
use super::verdict::{Outcome, describe};
use super::{Category, Check, judged};
use anyhow::Context;
use std::hash::Hasher;

/// The `exe` checks.
pub const CHECKS: &[Check] = &[Check {
    name: "runtime-exe",
    category: Category::Exe,
    proves: "with --init, the command gets no handle on cove's binary through /proc/1/exe (not even O_PATH), and the binary is unchanged",
    run: runtime_exe,
}];

/// A fingerprint of a file's contents (not cryptographic: it detects change).
fn fingerprint(path: &std::path::Path) -> anyhow::Result<(u64, u64)> {
    let bytes = std::fs::read(path).with_context(|| format!("read {}", path.display()))?;
    let mut h = std::collections::hash_map::DefaultHasher::new();
    h.write(&bytes);
    Ok((bytes.len() as u64, h.finish()))
}

fn runtime_exe(env: &Env) -> anyhow::Result<Outcome> {
    let before = fingerprint(&env.cove)?;
    let run = match env.weaken {
        true => ProbeRun::new("exe", [std::process::id()]).on_host(true),
        false => ProbeRun::new("exe", [1]).flags(["--init"]),
    };
    let out = judged(env, run, |r| {
        let evidence = r.attempts.iter().map(describe).collect::<Vec<_>>().join("; ");
        // Any handle at all is a fail: an O_PATH one can be reopened for
        // writing once nothing executes the binary any more.
        if r.attempts.is_empty() || r.attempts.iter().any(|a| a.succeeded()) {
            Outcome::fail(evidence)
        } else {
            Outcome::pass(evidence)
        }
    })?;
    let after = fingerprint(&env.cove)?;
    Ok(if before == after {
        Outcome { evidence: format!("{}; {} unchanged", out.evidence, env.cove.display()), ..out }
    } else {
        Outcome::fail(format!("{}; {} CHANGED", out.evidence, env.cove.display()))
    })
}
