//! `cove ps`: the stored containers with their observed status.

use crate::cli::PsArgs;
use crate::containers::{self, HostLiveness};
use crate::output::{self, containers::Row};
use anyhow::bail;
use cove_core::container::{Container, Status};

/// Lists containers (running ones unless `-a`, `-n` or `-l`), newest first.
pub fn run(args: PsArgs) -> anyhow::Result<i32> {
    if args.size {
        bail!(
            "ps --size is not supported: a container's writable layer is a tmpfs that ends with it, not files on disk\n\
             hint: cove stats --no-stream shows each container's memory use, which includes it"
        );
    }
    let filters = args.filter.iter().map(|f| parse_filter(f)).collect::<anyhow::Result<Vec<_>>>()?;
    let (store, _) = containers::open()?;
    let live = HostLiveness::new();
    let mut all = store.list()?;
    all.reverse();
    let last = if args.latest { Some(1) } else { args.last.filter(|n| *n > 0) };
    // Docker: -n/-l and a status or exited filter show stopped ones too.
    let any_state = args.all || last.is_some() || filters.iter().any(|(k, _)| k == "status" || k == "exited");
    let rows: Vec<Row> = all
        .iter()
        .map(|c| Row { c, status: c.observed(&live), lost: c.monitor_lost(&live) })
        .filter(|r| any_state || r.status == Status::Running)
        .filter(|r| keep(&filters, r))
        .take(last.unwrap_or(usize::MAX))
        .collect();
    output::containers::ps(&rows, &args.format, args.quiet, args.no_trunc)?;
    Ok(0)
}

const KEYS: &[&str] = &["status", "name", "id", "label", "ancestor", "exited", "health"];

fn parse_filter(f: &str) -> anyhow::Result<(String, String)> {
    let Some((k, v)) = f.split_once('=') else { bail!("invalid --filter {f:?}: use KEY=VALUE") };
    if !KEYS.contains(&k) {
        bail!("invalid --filter {f:?}: cove filters on {}", KEYS.join(", "));
    }
    if k == "exited" && v.parse::<i32>().is_err() {
        bail!("invalid --filter {f:?}: exited= takes an exit code");
    }
    const STATES: &[&str] = &["created", "restarting", "running", "removing", "paused", "exited", "dead"];
    if k == "status" && !STATES.contains(&v) {
        bail!("invalid --filter {f:?}: status is one of {}", STATES.join(", "));
    }
    if k == "health" && !["starting", "healthy", "unhealthy", "none"].contains(&v) {
        bail!("invalid --filter {f:?}: health is one of starting, healthy, unhealthy, none");
    }
    Ok((k.to_owned(), v.to_owned()))
}

/// Docker's rule: values of one key are alternatives, different keys all apply.
fn keep(filters: &[(String, String)], r: &Row) -> bool {
    KEYS.iter().all(|key| {
        let mut values = filters.iter().filter(|(k, _)| k == key).map(|(_, v)| v.as_str()).peekable();
        values.peek().is_none() || values.any(|v| matches(r.c, r.status, r.lost, key, v))
    })
}

fn matches(c: &Container, status: Status, lost: bool, key: &str, value: &str) -> bool {
    match key {
        "status" => status.name() == value,
        "name" => c.name.contains(value.trim_start_matches('/')),
        "label" => match value.split_once('=') {
            Some((k, v)) => c.labels.get(k).is_some_and(|have| have == v),
            None => c.labels.contains_key(value),
        },
        "ancestor" => ancestor(c, value),
        "health" => crate::output::containers::health_name(c) == value,
        "exited" => {
            status == Status::Exited && !lost && c.state.exit_code.map(|e| e.to_string()).as_deref() == Some(value)
        }
        _ => c.id.as_str().starts_with(value),
    }
}

/// `ancestor=`: the image as named (`busybox` is `busybox:latest`), or its id.
fn ancestor(c: &Container, value: &str) -> bool {
    let norm = |s: &str| {
        let s = s.strip_prefix("docker.io/").unwrap_or(s);
        let s = s.strip_prefix("library/").unwrap_or(s);
        let tagged = s.rsplit_once(':').is_some_and(|(_, t)| !t.contains('/')) || s.contains('@');
        if tagged { s.to_owned() } else { format!("{s}:latest") }
    };
    let id = c.image_id.strip_prefix("sha256:").unwrap_or(&c.image_id);
    let want = value.strip_prefix("sha256:").unwrap_or(value);
    (!c.image.is_empty() && norm(&c.image) == norm(value))
        || (!id.is_empty() && want.len() >= 4 && id.starts_with(want))
}
