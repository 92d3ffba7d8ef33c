//! `proc`: host processes are out of sight and out of reach. Protection:
//! the container's own pid namespace and a fresh `/proc` for it. No flag
//! turns that off; `--weaken` runs the probe on the host.

use super::runner::{Env, ProbeRun};
use super::verdict::{Outcome, all_denied, report};
use super::{Category, Check};
use cove_backend_linux::selftest::{EPERM, ESRCH};

/// The `proc` checks.
pub const CHECKS: &[Check] = &[
    Check {
        name: "host-pids",
        category: Category::Proc,
        proves: "no host process (cove test, the cove run that started the container, a sleeper) is listed in /proc inside",
        run: host_pids,
    },
    Check {
        name: "kill-host",
        category: Category::Proc,
        proves: "a host process cannot be signalled by its pid from inside (kill(2) of a live host sleeper fails and it lives on)",
        run: kill_host,
    },
];

fn host_pids(env: &Env) -> anyhow::Result<Outcome> {
    let sleeper = env.sleeper()?;
    let ran = env.run(ProbeRun::new::<&str>("pids", []).on_host(env.weaken))?;
    let listing = match report(&ran).map(|r| r.get("list /proc").cloned()) {
        Ok(Some(a)) if a.succeeded() => a.found,
        Ok(a) => return Ok(Outcome::fail(format!("could not list /proc inside: {a:?}"))),
        Err(outcome) => return Ok(outcome),
    };
    let host = [(std::process::id(), "cove test"), (ran.pid, "cove run"), (sleeper.pid(), "the sleeper")];
    let seen: Vec<String> =
        host.iter().filter(|(pid, _)| listing.contains(&pid.to_string())).map(|(p, n)| format!("{p} ({n})")).collect();
    let shown = if listing.len() > 8 { format!("{} pids", listing.len()) } else { listing.join(" ") };
    let host_list = host.iter().map(|(p, n)| format!("{p} ({n})")).collect::<Vec<_>>().join(", ");
    Ok(if seen.is_empty() {
        Outcome::pass(format!("/proc inside lists: {shown}; host pids {host_list} absent"))
    } else {
        Outcome::fail(format!("/proc inside lists host pids {}", seen.join(", ")))
    })
}

fn kill_host(env: &Env) -> anyhow::Result<Outcome> {
    let mut sleeper = env.sleeper()?;
    let ran = env.run(ProbeRun::new("kill", [sleeper.pid()]).on_host(env.weaken))?;
    let judged = match report(&ran) {
        Ok(r) => all_denied(&r.attempts, &[ESRCH, EPERM]),
        Err(outcome) => return Ok(outcome),
    };
    // Give a delivered SIGKILL time to land before looking.
    std::thread::sleep(std::time::Duration::from_millis(20));
    Ok(if sleeper.alive() {
        Outcome { evidence: format!("{}; host sleeper {} still running", judged.evidence, sleeper.pid()), ..judged }
    } else {
        Outcome::fail(format!("{}; host sleeper {} was killed", judged.evidence, sleeper.pid()))
    })
}
