//! `setuid`: a setuid-root binary gives a non-root user nothing. Protection:
//! `no_new_privs`, set before the command starts (`--security-opt
//! no-new-privileges=false` turns it off).
//!
//! The container starts as root so that the probe can make a setuid-root
//! copy of itself on a `suid,exec` tmpfs; it then switches to the user
//! (`-u` when numeric and not 0, else 1000) and executes the copy, which
//! reports the ids and capabilities it got.

use super::runner::{Env, ProbeRun};
use super::verdict::{Outcome, status_field};
use super::{Category, Check, judged};
use anyhow::Context;
use std::os::unix::fs::DirBuilderExt;

/// The `setuid` checks.
pub const CHECKS: &[Check] = &[Check {
    name: "setuid-root",
    category: Category::Setuid,
    proves: "a non-root user who executes a setuid-root binary keeps its uid and gains no capability (no_new_privs)",
    run: setuid_root,
}];

/// Where the container's `suid` tmpfs is mounted.
const SUID_DIR: &str = "/.cove-suid";

/// The user the check switches to: the caller's numeric, non-root `-u`, or 1000.
fn target_user(env: &Env) -> (u32, u32) {
    let spec = env.flags.user.as_deref().unwrap_or("");
    let (u, g) = spec.split_once(':').unwrap_or((spec, spec));
    match (u.parse::<u32>(), g.parse::<u32>()) {
        (Ok(u), Ok(g)) if u != 0 => (u, g),
        (Ok(u), _) if u != 0 => (u, u),
        _ => (1000, 1000),
    }
}

fn setuid_root(env: &Env) -> anyhow::Result<Outcome> {
    let (uid, gid) = target_user(env);
    let ids = [uid.to_string(), gid.to_string()];
    let run = if env.weaken {
        // Weakened: on the host, where nothing sets no_new_privs. The
        // directory stays private to the caller (the probe executes the
        // copy through a descriptor), so no other user can reach it.
        let dir = env.scratch.join("suid");
        std::fs::DirBuilder::new().mode(0o700).create(&dir).with_context(|| format!("create {}", dir.display()))?;
        ProbeRun::new("setuid-prepare", [dir.display().to_string()].iter().chain(&ids)).on_host(true)
    } else {
        let tmpfs = format!("{SUID_DIR}:exec,suid,mode=755");
        ProbeRun::new("setuid-prepare", [SUID_DIR.to_owned()].iter().chain(&ids)).user("0").flags(["--tmpfs", &tmpfs])
    };
    judged(env, run, |r| {
        if let Some(failed) = r.attempts.iter().find(|a| a.what.starts_with("prepare") && !a.succeeded()) {
            return Outcome::skip(format!("could not set the check up: {}", super::verdict::describe(failed)));
        }
        let (Some(prep), Some(status)) = (r.get("prepare"), r.get("read /proc/self/status")) else {
            return Outcome::fail("the setuid copy reported no ids");
        };
        let field = |f| status_field(status, f).unwrap_or("?");
        let (uids, caps, nnp) = (field("Uid"), field("CapEff"), field("NoNewPrivs"));
        let euid = uids.split_whitespace().nth(1).and_then(|e| e.parse::<u32>().ok());
        let evidence = format!("{}; after exec: Uid {uids}, CapEff {caps}, NoNewPrivs {nnp}", prep.found.join("; "));
        let no_caps = caps.chars().all(|c| c == '0');
        if euid == Some(uid) && no_caps { Outcome::pass(evidence) } else { Outcome::fail(evidence) }
    })
}
