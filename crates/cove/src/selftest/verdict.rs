//! Judging probe reports: pass, fail or skip, always with the evidence.

use super::runner::Ran;
use super::wire::{Attempt, ProbeReport};
use cove_backend_linux::selftest::errno_name;

/// How a check came out (the same verdicts as the Windows and macOS checks).
pub use cove_core::hostcheck::CheckVerdict as Verdict;

/// A verdict and why.
#[derive(Debug)]
pub struct Outcome {
    /// The verdict.
    pub verdict: Verdict,
    /// What was observed.
    pub evidence: String,
}

impl Outcome {
    /// The protection held.
    pub fn pass(evidence: impl Into<String>) -> Outcome {
        Outcome { verdict: Verdict::Pass, evidence: evidence.into() }
    }

    /// The protection did not hold, or could not be shown to.
    pub fn fail(evidence: impl Into<String>) -> Outcome {
        Outcome { verdict: Verdict::Fail, evidence: evidence.into() }
    }

    /// The check cannot run here.
    pub fn skip(evidence: impl Into<String>) -> Outcome {
        Outcome { verdict: Verdict::Skip, evidence: evidence.into() }
    }
}

/// The probe's report, or a failing outcome saying why there is none. A
/// probe that did not report proves nothing, so it is never a pass.
pub fn report(ran: &Ran) -> Result<&ProbeReport, Outcome> {
    ran.report.as_ref().ok_or_else(|| {
        let code = ran.code.map_or("no exit code".to_owned(), |c| format!("exit {c}"));
        Outcome::fail(format!("the probe printed no report ({code}): {}", ran.first_error()))
    })
}

/// `what: EPERM`, or `what: succeeded (found…)`.
pub fn describe(a: &Attempt) -> String {
    match a.errno {
        Some(-1) => format!("{}: {}", a.what, a.found.join(" ")),
        Some(e) => format!("{}: {}", a.what, errno_name(e)),
        None if a.found.is_empty() => format!("{}: succeeded", a.what),
        None => format!("{}: succeeded ({})", a.what, a.found.join(", ")),
    }
}

/// Pass when every attempt failed with one of `denied`; a success, or a
/// failure past the permission check (another errno), is a fail.
pub fn all_denied<'a>(attempts: impl IntoIterator<Item = &'a Attempt>, denied: &[i32]) -> Outcome {
    let attempts: Vec<&Attempt> = attempts.into_iter().collect();
    let evidence = attempts.iter().map(|a| describe(a)).collect::<Vec<_>>().join("; ");
    let held = !attempts.is_empty() && attempts.iter().all(|a| a.errno.is_some_and(|e| denied.contains(&e)));
    if held { Outcome::pass(evidence) } else { Outcome::fail(evidence) }
}

/// The value of `Field:` among the `/proc/self/status` lines a probe found.
pub fn status_field<'a>(a: &'a Attempt, field: &str) -> Option<&'a str> {
    a.found.iter().find_map(|l| l.strip_prefix(field)?.strip_prefix(':')).map(str::trim)
}

/// " (no seccomp filter)" when the probe saw `Seccomp: 0`: the hint for a
/// failure that the default seccomp profile is meant to stop.
pub fn seccomp_hint(report: &ProbeReport) -> &'static str {
    let mode = report.get("read /proc/self/status").and_then(|a| status_field(a, "Seccomp"));
    if mode == Some("0") { " (no seccomp filter was loaded: Seccomp 0)" } else { "" }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn denied(what: &str, errno: i32) -> Attempt {
        Attempt { what: what.into(), errno: Some(errno), found: vec![] }
    }

    #[test]
    fn judging() {
        let eperm = cove_backend_linux::selftest::EPERM;
        let einval = cove_backend_linux::selftest::EINVAL;
        assert_eq!(all_denied(&[denied("a", eperm)], &[eperm]).verdict, Verdict::Pass);
        assert_eq!(all_denied(&[denied("a", eperm), denied("b", einval)], &[eperm]).verdict, Verdict::Fail);
        assert_eq!(all_denied(&[Attempt::found("a", vec![])], &[eperm]).verdict, Verdict::Fail);
        assert_eq!(all_denied(&[], &[eperm]).verdict, Verdict::Fail, "no attempt proves nothing");
        let o = all_denied(&[denied("unshare", eperm), Attempt::found("x", vec!["3 bytes".into()])], &[eperm]);
        assert_eq!(o.evidence, "unshare: EPERM; x: succeeded (3 bytes)");
        let status = Attempt::found("read /proc/self/status", vec!["Seccomp: 0".into(), "Uid: 0 0 0 0".into()]);
        assert_eq!(status_field(&status, "Uid"), Some("0 0 0 0"));
        assert_eq!(status_field(&status, "CapEff"), None);
    }
}
