//! `cove info`: what this host can enforce, feature by feature.
//!
//! The table format prints the host facts above the table and the fixes for
//! features that are not enforced below it; `--format json` prints the whole
//! `Capabilities` value (facts, features, details and fixes) instead.

use crate::cli::{Format, InfoArgs};
use crate::{output, platform};
use cove_core::backend::{Backend, Capabilities, Support};

/// Probes the host and prints the report.
pub fn run(args: InfoArgs) -> anyhow::Result<i32> {
    let caps = platform::backend().capabilities();
    let rows: Vec<Vec<String>> = caps
        .features
        .iter()
        .map(|f| vec![f.key.to_owned(), status_name(f.status).to_owned(), f.detail.clone()])
        .collect();
    if args.format == Format::Table {
        print_facts(&caps);
    }
    output::table_or_json(args.format, &["FEATURE", "STATUS", "DETAIL"], &rows, &caps)?;
    if args.format == Format::Table {
        print_fixes(&caps);
    }
    Ok(0)
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
// TODO(output): move to a generic helper in output.rs; printed here for now.
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
