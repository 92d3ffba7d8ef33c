//! The report of `cove test`, shared by the Linux self-check (`selftest/`)
//! and the Windows/macOS one (`selftest_host.rs`): what is asked for, one
//! row per check, and the totals. Each side supplies its own categories;
//! the security flags are the same (only Linux honours them).

use cove_core::hostcheck::CheckVerdict;
use serde::Serialize;

/// The caller's security flags, given to every check's container (Linux
/// only: refused elsewhere).
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
pub struct Options<C> {
    /// Categories (empty: all).
    pub categories: Vec<C>,
    /// The caller's security flags.
    pub flags: Flags,
    /// Give every check a deliberate way out (Linux only).
    pub weaken: bool,
}

/// One check's result.
#[derive(Debug, Serialize)]
pub struct CheckResult<C> {
    /// The check's name.
    pub check: &'static str,
    /// Its category.
    pub category: C,
    /// pass, fail or skip.
    pub result: CheckVerdict,
    /// What was observed.
    pub evidence: String,
    /// What a pass proves.
    pub proves: &'static str,
}

/// The whole run.
#[derive(Debug, Serialize)]
pub struct Summary<C> {
    /// The flags every container got.
    pub flags: Vec<String>,
    /// Whether `--weaken` was given.
    pub weakened: bool,
    /// Every check, in order.
    pub checks: Vec<CheckResult<C>>,
    /// How many passed.
    pub passed: usize,
    /// How many failed.
    pub failed: usize,
    /// How many were skipped.
    pub skipped: usize,
}

impl<C> Summary<C> {
    /// The summary of `checks`, with the totals counted.
    pub fn new(flags: Vec<String>, weakened: bool, checks: Vec<CheckResult<C>>) -> Self {
        let count = |v: CheckVerdict| checks.iter().filter(|c| c.result == v).count();
        let (passed, failed, skipped) =
            (count(CheckVerdict::Pass), count(CheckVerdict::Fail), count(CheckVerdict::Skip));
        Summary { flags, weakened, checks, passed, failed, skipped }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn totals_count_each_verdict() {
        let row = |result| CheckResult { check: "c", category: (), result, evidence: String::new(), proves: "" };
        let s = Summary::new(
            vec![],
            false,
            vec![row(CheckVerdict::Pass), row(CheckVerdict::Skip), row(CheckVerdict::Pass)],
        );
        assert_eq!((s.passed, s.failed, s.skipped), (2, 0, 1));
    }
}
