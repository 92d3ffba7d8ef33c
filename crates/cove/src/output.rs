//! The one place that prints: data on stdout (a table or `--format json`),
//! diagnostics on stderr, and the mapping from errors to exit codes.
// The printers of stored containers and the OCI runtime have no verb to
// call them on other OSes yet (issue 8).
#![cfg_attr(not(target_os = "linux"), allow(dead_code))]

pub mod stats;

use crate::cli::Format;
use cove_core::backend::{Capabilities, ExecFailure, RunOutcome, Support};
use cove_core::exit::COVE_ERROR;
use serde::Serialize;
use std::io::Write;

mod pull;
pub use pull::*;

mod images;
pub use images::*;

pub mod containers;
mod inspect_extra;
mod pipe;
pub use pipe::end_quietly_on_closed_output;
pub mod template;
pub mod volumes;

/// An error that ends cove with a given exit code (Docker's: 1 for an
/// unknown container, 125 for a name in use, 127 for a missing command).
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct Exit {
    /// The exit code.
    pub code: i32,
    /// The one line printed.
    pub message: String,
}

/// Prints cove's own error (the whole cause chain on one line) and returns
/// its exit code: an [`Exit`]'s own, else 125.
pub fn error(err: &anyhow::Error) -> i32 {
    if pipe::is_closed_output(err) {
        return pipe::CLOSED_STDOUT;
    }
    eprintln!("cove: {err:#}");
    err.downcast_ref::<Exit>().map_or(COVE_ERROR, |e| e.code)
}

/// The container's full id on its own line (`create`, `run -d`).
pub fn container_id(c: &cove_core::container::Container) {
    println!("{}", c.id);
}

/// Prints a one-line notice about how the request was carried out, when
/// stderr is a terminal.
pub fn notice_on_terminal(text: &str) {
    if std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        eprintln!("cove: {text}");
    }
}

/// Prints a command-line error; help and version go to stdout with code 0.
pub fn usage_error(err: clap::Error) -> i32 {
    let code = if err.use_stderr() { COVE_ERROR } else { 0 };
    let _ = err.print();
    code
}

/// Reports how a foreground run ended and returns the exit code.
pub fn run_outcome(outcome: &RunOutcome) -> i32 {
    if outcome.oom_killed() {
        eprintln!("cove: the container was OOM-killed: it ran out of memory under its --memory limit");
    }
    if let RunOutcome::ExecFailed { program, reason } = outcome {
        eprintln!("cove: {}", exec_failure(program, reason));
    }
    outcome.exit_code()
}

/// Why a command could not be executed, as one line.
pub fn exec_failure(program: &str, reason: &ExecFailure) -> String {
    match reason {
        ExecFailure::NotFound if program.contains('/') => format!("exec {program:?}: no such file or directory"),
        ExecFailure::NotFound => format!("exec {program:?}: executable file not found in $PATH"),
        ExecFailure::NotExecutable(why) => format!("exec {program:?}: {why}"),
    }
}

/// Prints `rows` as an aligned table under `header`, or `value` as JSON.
pub fn table_or_json<T: Serialize>(
    format: Format,
    header: &[&str],
    rows: &[Vec<String>],
    value: &T,
) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    match format {
        Format::Json => {
            serde_json::to_writer_pretty(&mut out, value)?;
            writeln!(out)?;
        }
        Format::Table => {
            let mut widths: Vec<usize> = header.iter().map(|h| h.len()).collect();
            for row in rows {
                for (w, cell) in widths.iter_mut().zip(row) {
                    *w = (*w).max(cell.chars().count());
                }
            }
            let line = |cells: Vec<&str>| {
                let last = cells.len().saturating_sub(1);
                let mut s = String::new();
                for (i, (cell, w)) in cells.iter().zip(&widths).enumerate() {
                    if i == last {
                        s.push_str(cell);
                    } else {
                        s.push_str(&format!("{cell:<w$}   "));
                    }
                }
                s
            };
            writeln!(out, "{}", line(header.to_vec()))?;
            for row in rows {
                writeln!(out, "{}", line(row.iter().map(String::as_str).collect()))?;
            }
        }
    }
    Ok(())
}

/// `cove info`: host facts, the feature table, then fixes for what is not
/// enforced; `--format json` prints the whole report instead.
pub fn capabilities(format: Format, caps: &Capabilities) -> anyhow::Result<()> {
    let rows: Vec<Vec<String>> = caps
        .features
        .iter()
        .map(|f| vec![f.key.to_owned(), status_name(f.status).to_owned(), f.detail.clone()])
        .collect();
    if format == Format::Table {
        print_facts(caps);
    }
    table_or_json(format, &["FEATURE", "STATUS", "DETAIL"], &rows, caps)?;
    if format == Format::Table {
        print_fixes(caps);
    }
    Ok(())
}

/// The lower-case status word, as in the JSON output.
fn status_name(status: Support) -> &'static str {
    match status {
        Support::Enforced => "enforced",
        Support::Degraded => "degraded",
        Support::Unavailable => "unavailable",
    }
}

/// `key: value` lines, aligned, then a blank line.
fn print_facts(caps: &Capabilities) {
    let width = caps.facts.iter().map(|(k, _)| k.chars().count() + 1).fold("backend:".len(), usize::max);
    println!("{:<width$} {}", "backend:", caps.backend);
    for (key, value) in &caps.facts {
        println!("{:<width$} {value}", format!("{key}:"));
    }
    println!();
}

/// A `Fixes:` list for the features that are not enforced and have a fix.
fn print_fixes(caps: &Capabilities) {
    let fixes: Vec<(&str, &str)> = caps
        .features
        .iter()
        .filter(|f| f.status != Support::Enforced)
        .filter_map(|f| f.fix.as_deref().map(|fix| (f.key, fix)))
        .collect();
    if fixes.is_empty() {
        return;
    }
    println!();
    println!("Fixes:");
    for (key, fix) in fixes {
        println!("  {key}: {fix}");
    }
}

/// `cove test`: one row per check (CHECK, CATEGORY, RESULT, EVIDENCE), then
/// `N passed, N failed[, N skipped]`, on stdout; with `--format json`, the
/// whole summary as JSON and the count line on stderr.
pub fn selftest(format: Format, summary: &crate::selftest::Summary) -> anyhow::Result<()> {
    let rows: Vec<Vec<String>> = summary
        .checks
        .iter()
        .map(|c| vec![c.check.to_owned(), c.category.name().to_owned(), c.result.word().to_owned(), c.evidence.clone()])
        .collect();
    table_or_json(format, &["CHECK", "CATEGORY", "RESULT", "EVIDENCE"], &rows, summary)?;
    let mut counts = format!("{} passed, {} failed", summary.passed, summary.failed);
    if summary.skipped > 0 {
        counts.push_str(&format!(", {} skipped", summary.skipped));
    }
    match format {
        Format::Table => println!("{counts}"),
        Format::Json => eprintln!("{counts}"),
    }
    Ok(())
}

/// `cove test --weaken`: says that failures are the point.
pub fn selftest_weakened() {
    eprintln!("cove test: --weaken gives every check a deliberate way out; its failures show that the check can fail");
}

/// `cove __probe`: the report as one JSON line.
pub fn probe_report(report: &crate::selftest::wire::ProbeReport) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    serde_json::to_writer(&mut out, report)?;
    writeln!(out)?;
    Ok(())
}

/// Sizes as Docker prints them: decimal units, three significant digits.
pub(crate) fn human_size(bytes: u64) -> String {
    let units = ["B", "kB", "MB", "GB", "TB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1000.0 && unit + 1 < units.len() {
        value /= 1000.0;
        unit += 1;
    }
    let digits = if value >= 100.0 || unit == 0 {
        0
    } else if value >= 10.0 {
        1
    } else {
        2
    };
    let text = format!("{value:.digits$}");
    let text = if text.contains('.') { text.trim_end_matches('0').trim_end_matches('.') } else { &text };
    format!("{text}{}", units[unit])
}

/// `cove port`: Docker's `80/tcp -> 0.0.0.0:8080` lines (without the
/// protocol when one port was asked for).
pub fn ports(lines: &[(String, String)], with_key: bool) {
    for (key, host) in lines {
        if with_key {
            println!("{key} -> {host}");
        } else {
            println!("{host}");
        }
    }
}

/// Prints runtime-spec JSON (`cove oci state`, `features`, `ps`).
pub fn oci_json(value: &serde_json::Value) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

/// An OCI runtime error: printed once on stderr and appended to `--log`
/// (engines such as conmon read the last error there); exit 1, as runc.
pub fn oci_error(err: &anyhow::Error, log: Option<&std::path::Path>, format: crate::cli::oci::LogFormat) -> i32 {
    use std::io::Write;
    let msg = format!("{err:#}");
    eprintln!("cove: {msg}");
    if let Some(path) = log {
        let line = match format {
            crate::cli::oci::LogFormat::Json => serde_json::json!({"level": "error", "msg": msg}).to_string(),
            crate::cli::oci::LogFormat::Text => format!("level=error msg={}", serde_json::Value::String(msg)),
        };
        if let Ok(mut f) = std::fs::OpenOptions::new().create(true).append(true).open(path) {
            let _ = writeln!(f, "{line}");
        }
    }
    1
}

/// A failed poststart/poststop hook: the spec says warn and go on.
pub fn oci_warning(err: &anyhow::Error) {
    eprintln!("cove: warning: {err:#}");
}

/// Prints plain lines (`cove oci ps` as a table).
pub fn oci_text(text: &str) {
    println!("{text}");
}

#[cfg(test)]
mod tests {
    use super::human_size;

    #[test]
    fn sizes_read_like_docker() {
        assert_eq!(human_size(0), "0B");
        assert_eq!(human_size(999), "999B");
        assert_eq!(human_size(1_234_567), "1.23MB");
        assert_eq!(human_size(12_300_000), "12.3MB");
        assert_eq!(human_size(7_000_000), "7MB");
    }
}
