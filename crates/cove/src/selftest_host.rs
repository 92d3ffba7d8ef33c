//! `cove test` on Windows and macOS, standing in for the Linux `selftest/`
//! (same types, so `cli.rs`, `commands/test.rs` and `output.rs` need no
//! `cfg`): the backend exercises its own isolation primitives
//! (`platform::host_checks`) and each result becomes one row. The Linux
//! escape attempts (`cove __probe NAME`) do not exist here; the one probe is
//! `sleep`, the process `cove test` on Windows kills by closing its job.

use crate::platform;
use anyhow::bail;
use cove_core::hostcheck::CheckVerdict;
use serde::Serialize;

/// What a check is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Category {
    /// The backend's isolation primitives (AppContainer and jobs, or Seatbelt).
    Sandbox,
}

impl Category {
    /// The lower-case name, as on the command line.
    pub fn name(self) -> &'static str {
        "sandbox"
    }
}

/// The caller's security flags (Linux-only: refused here).
#[derive(Clone, Debug, Default)]
pub struct Flags {
    /// `--cap-add`.
    pub cap_add: Vec<String>,
    /// `--cap-drop`.
    pub cap_drop: Vec<String>,
    /// `--security-opt`.
    pub security_opt: Vec<String>,
    /// `-u`.
    pub user: Option<String>,
}

/// What to run.
pub struct Options {
    /// Categories (empty: all).
    pub categories: Vec<Category>,
    /// The caller's security flags.
    pub flags: Flags,
    /// `--weaken` (Linux-only: refused here).
    pub weaken: bool,
}

/// One check's result.
#[derive(Debug, Serialize)]
pub struct CheckResult {
    /// The check's name.
    pub check: &'static str,
    /// Its category.
    pub category: Category,
    /// pass, fail or skip.
    pub result: CheckVerdict,
    /// What was observed.
    pub evidence: String,
    /// What a pass proves.
    pub proves: &'static str,
}

/// The whole run.
#[derive(Debug, Serialize)]
pub struct Summary {
    /// The flags (always none here).
    pub flags: Vec<String>,
    /// Whether `--weaken` was given (never here).
    pub weakened: bool,
    /// Every check, in order.
    pub checks: Vec<CheckResult>,
    /// How many passed.
    pub passed: usize,
    /// How many failed.
    pub failed: usize,
    /// How many were skipped.
    pub skipped: usize,
}

/// Runs the backend's checks.
pub fn run(opts: Options) -> anyhow::Result<Summary> {
    let f = &opts.flags;
    if !f.cap_add.is_empty() || !f.cap_drop.is_empty() || !f.security_opt.is_empty() || f.user.is_some() || opts.weaken
    {
        bail!(
            "cove test on {}: --cap-add, --cap-drop, --security-opt, -u and --weaken are Linux-only",
            std::env::consts::OS
        );
    }
    let wanted = opts.categories.is_empty() || opts.categories.contains(&Category::Sandbox);
    let checks: Vec<CheckResult> = platform::host_checks()?
        .into_iter()
        .filter(|_| wanted)
        .map(|c| CheckResult {
            check: c.name,
            category: Category::Sandbox,
            result: c.verdict,
            evidence: c.evidence,
            proves: c.proves,
        })
        .collect();
    let count = |v: CheckVerdict| checks.iter().filter(|c| c.result == v).count();
    Ok(Summary {
        flags: Vec::new(),
        weakened: false,
        passed: count(CheckVerdict::Pass),
        failed: count(CheckVerdict::Fail),
        skipped: count(CheckVerdict::Skip),
        checks,
    })
}

/// The probe's report.
pub mod wire {
    use serde::Serialize;

    /// What the probe did.
    #[derive(Debug, Serialize)]
    pub struct ProbeReport {
        /// The probe's name.
        pub probe: String,
    }
}

/// `cove __probe NAME`.
pub mod probe {
    use super::wire::ProbeReport;

    /// Runs the probe: only `sleep` (30 s) exists on this OS.
    pub fn run(name: &str, _args: &[String]) -> anyhow::Result<ProbeReport> {
        match name {
            "sleep" => std::thread::sleep(std::time::Duration::from_secs(30)),
            _ => anyhow::bail!(
                "cove __probe {name}: not supported on {} (the escape probes are Linux-only)",
                std::env::consts::OS
            ),
        }
        Ok(ProbeReport { probe: name.to_owned() })
    }
}
