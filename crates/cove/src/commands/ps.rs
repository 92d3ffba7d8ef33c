//! `cove ps`: the stored containers with their observed status.

use crate::cli::PsArgs;
use crate::containers::{self, HostLiveness};
use crate::output::{self, containers::Row};
use anyhow::bail;
use cove_core::container::{Container, Status};

/// Lists containers (running ones unless `-a`), newest first.
pub fn run(args: PsArgs) -> anyhow::Result<i32> {
    let filters = args.filter.iter().map(|f| parse_filter(f)).collect::<anyhow::Result<Vec<_>>>()?;
    let (store, _) = containers::open()?;
    let live = HostLiveness::new();
    let mut all = store.list()?;
    all.reverse();
    let rows: Vec<Row> = all
        .iter()
        .map(|c| Row { c, status: c.observed(&live), lost: c.monitor_lost(&live) })
        .filter(|r| args.all || r.status == Status::Running || filters.iter().any(|(k, _)| k == "status"))
        .filter(|r| filters.iter().all(|(k, v)| matches(r.c, r.status, k, v)))
        .collect();
    output::containers::ps(&rows, &args.format, args.quiet, args.no_trunc)?;
    Ok(0)
}

fn parse_filter(f: &str) -> anyhow::Result<(String, String)> {
    let Some((k, v)) = f.split_once('=') else { bail!("invalid --filter {f:?}: use KEY=VALUE") };
    if !matches!(k, "status" | "name" | "id") {
        bail!("invalid --filter {f:?}: cove filters on status, name and id");
    }
    Ok((k.to_owned(), v.to_owned()))
}

fn matches(c: &Container, status: Status, key: &str, value: &str) -> bool {
    match key {
        "status" => status.name() == value,
        "name" => c.name.contains(value),
        _ => c.id.as_str().starts_with(value),
    }
}
