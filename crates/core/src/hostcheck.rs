//! Results of `cove test` on backends whose checks exercise the host's
//! isolation primitives directly (Windows, macOS): one verdict per check,
//! always with the evidence. The Linux self-test has its own, richer form.

use serde::Serialize;

/// How a check came out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CheckVerdict {
    /// The protection held.
    Pass,
    /// It did not (or the check could not show that it did).
    Fail,
    /// The check cannot run on this host, for a reason outside cove (said in the evidence).
    Skip,
}

impl CheckVerdict {
    /// The lower-case word, as in the JSON output.
    pub fn word(self) -> &'static str {
        match self {
            CheckVerdict::Pass => "pass",
            CheckVerdict::Fail => "fail",
            CheckVerdict::Skip => "skip",
        }
    }
}

/// One check's result.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct HostCheck {
    /// Short name.
    pub name: &'static str,
    /// What a pass proves.
    pub proves: &'static str,
    /// The verdict.
    pub verdict: CheckVerdict,
    /// What was observed.
    pub evidence: String,
}

impl HostCheck {
    /// A check whose outcome is `Ok(evidence)` (pass) or `Err(evidence)` (fail).
    pub fn judged(name: &'static str, proves: &'static str, outcome: Result<String, String>) -> HostCheck {
        let (verdict, evidence) = match outcome {
            Ok(e) => (CheckVerdict::Pass, e),
            Err(e) => (CheckVerdict::Fail, e),
        };
        HostCheck { name, proves, verdict, evidence }
    }

    /// A check that cannot run here, and why.
    pub fn skipped(name: &'static str, proves: &'static str, why: impl Into<String>) -> HostCheck {
        HostCheck { name, proves, verdict: CheckVerdict::Skip, evidence: why.into() }
    }
}
