//! `cove test` on Windows and macOS, standing in for the Linux `selftest/`
//! (the same report types, `selftest_report.rs`, so `cli.rs`, `commands/test.rs` and `output.rs` need no
//! `cfg`): the backend exercises its own isolation primitives
//! (`platform::host_checks`) and each result becomes one row. The Linux
//! escape attempts (`cove __probe NAME`) do not exist here; the one probe is
//! `sleep`, the process `cove test` on Windows kills by closing its job.

use crate::platform;
use anyhow::bail;
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

pub use crate::selftest_report::Flags;

/// What to run.
pub type Options = crate::selftest_report::Options<Category>;
/// One check's result.
pub type CheckResult = crate::selftest_report::CheckResult<Category>;
/// The whole run.
pub type Summary = crate::selftest_report::Summary<Category>;

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
    Ok(Summary::new(Vec::new(), false, checks))
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
