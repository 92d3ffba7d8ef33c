//! `cove test`: an adversarial self-check. Each check starts real
//! containers (the zero-setup sandbox, no image) with the caller's security
//! flags, runs a probe inside that tries one way out, and judges the
//! probe's report against what the protection should have done.
//!
//! The probe is cove itself (`cove __probe NAME`, see `probe.rs`), so the
//! inside half needs no tool from the host. `runner.rs` starts the
//! containers; `verdict.rs` judges; one file per category holds its checks.
//! Every check must be able to fail: flags that turn its protection off
//! make it fail, and `--weaken` (hidden) hands each check a deliberate way
//! out for protections no flag turns off.

mod exe;
mod fds;
mod fs;
mod privilege;
pub mod probe;
mod proc;
mod runner;
mod setuid;
mod tty;
mod verdict;
mod volumes;
pub mod wire;

pub use runner::Flags;

use runner::{Env, ProbeRun};
use serde::Serialize;
use verdict::Outcome;

/// What a check is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Category {
    /// Host files: hidden, unreadable, read-only.
    Fs,
    /// Host processes: invisible, unsignalable.
    Proc,
    /// Privileged operations: ptrace, mount, namespaces, keys, modules, raw sockets, /proc/sys, /sys.
    Privilege,
    /// TIOCSTI injection into the caller's terminal.
    Tty,
    /// Descriptors leaked from cove into the container.
    Fds,
    /// setuid binaries under no_new_privs.
    Setuid,
    /// The runtime's own binary (CVE-2019-5736 class).
    Exe,
    /// Symlinks and `..` in volume destinations.
    Volumes,
}

impl Category {
    /// The lower-case name, as on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Category::Fs => "fs",
            Category::Proc => "proc",
            Category::Privilege => "privilege",
            Category::Tty => "tty",
            Category::Fds => "fds",
            Category::Setuid => "setuid",
            Category::Exe => "exe",
            Category::Volumes => "volumes",
        }
    }
}

/// One check.
pub struct Check {
    /// Short name.
    pub name: &'static str,
    /// Its category.
    pub category: Category,
    /// What a pass proves.
    pub proves: &'static str,
    /// Runs it. An error is cove's own and makes the check fail.
    pub run: fn(&Env) -> anyhow::Result<Outcome>,
}

/// Every check, in category order.
fn all_checks() -> impl Iterator<Item = &'static Check> {
    [
        fs::CHECKS,
        proc::CHECKS,
        privilege::CHECKS,
        tty::CHECKS,
        fds::CHECKS,
        setuid::CHECKS,
        exe::CHECKS,
        volumes::CHECKS,
    ]
    .into_iter()
    .flatten()
}

/// What to run.
pub type Options = crate::selftest_report::Options<Category>;
/// One check's result.
pub type CheckResult = crate::selftest_report::CheckResult<Category>;
/// The whole run.
pub type Summary = crate::selftest_report::Summary<Category>;

/// Runs the selected checks. An error means no container could be started
/// with these flags at all.
pub fn run(opts: Options) -> anyhow::Result<Summary> {
    let env = Env::new(opts.flags, opts.weaken)?;
    preflight(&env)?;
    let checks: Vec<CheckResult> = all_checks()
        .filter(|c| opts.categories.is_empty() || opts.categories.contains(&c.category))
        .map(|c| {
            let outcome = (c.run)(&env).unwrap_or_else(|e| Outcome::fail(format!("cove test error: {e:#}")));
            CheckResult {
                check: c.name,
                category: c.category,
                result: outcome.verdict,
                evidence: outcome.evidence,
                proves: c.proves,
            }
        })
        .collect();
    Ok(Summary::new(env.flags.describe(), env.weaken, checks))
}

/// One container that only says hello: flags cove rejects, or a host where
/// no container starts, end the run here (exit 125) instead of failing
/// every check for the same reason.
fn preflight(env: &Env) -> anyhow::Result<()> {
    let ran = env.run(ProbeRun::new::<&str>("hello", []))?;
    if ran.report.is_none() {
        let code = ran.code.map_or("no exit code".to_owned(), |c| format!("exit {c}"));
        anyhow::bail!("cannot start a container with these flags ({code}): {}", ran.stderr.trim());
    }
    Ok(())
}

/// Runs the probe and judges its report, or fails when it printed none.
fn judged(env: &Env, run: ProbeRun, judge: impl FnOnce(&wire::ProbeReport) -> Outcome) -> anyhow::Result<Outcome> {
    let ran = env.run(run)?;
    Ok(match verdict::report(&ran) {
        Ok(report) => judge(report),
        Err(outcome) => outcome,
    })
}
