//! `cove stats`: live resource usage of containers in Docker's columns
//! (CONTAINER ID, NAME, CPU %, MEM USAGE / LIMIT, MEM %, NET I/O, BLOCK I/O,
//! PIDS), read every second, or once with `--no-stream`. CPU % is over the
//! last interval, so even `--no-stream` takes two readings a second apart.

use crate::cli::{Format, StatsArgs};
use crate::containers::{self, HostLiveness};
use crate::output;
use cove_core::container::{Container, ContainerStore, Status};
use cove_core::stats::{Row, Sample};
use std::collections::HashMap;
use std::io::IsTerminal;
use std::time::Duration;

/// Between two readings (Docker's).
const INTERVAL: Duration = Duration::from_secs(1);

/// Prints the usage of the named containers (default: the running ones,
/// every one with `-a`) until interrupted, or once with `--no-stream`.
pub fn run(args: StatsArgs) -> anyhow::Result<i32> {
    let (store, _) = containers::open()?;
    let live = HostLiveness::new();
    let named = args.containers.iter().map(|q| containers::find(&store, q)).collect::<anyhow::Result<Vec<_>>>()?;
    let redraw = !args.no_stream && std::io::stdout().is_terminal();
    let template = match args.format.as_str() {
        "table" | "" | "json" => None,
        t => Some(output::template::Template::parse(t)?),
    };
    let format = if args.format == "json" { Format::Json } else { Format::Table };
    let mut prev = readings(&listed(&store, &named, args.all, &live)?, &live);
    loop {
        std::thread::sleep(INTERVAL);
        let list = listed(&store, &named, args.all, &live)?;
        let cur = readings(&list, &live);
        let rows: Vec<Row> = list
            .iter()
            .map(|c| {
                let id = c.id.as_str();
                let now = cur.get(id).copied().unwrap_or_default();
                Row::new(c.id.short(), &c.name, prev.get(id), &now)
            })
            .collect();
        match &template {
            Some(t) => t.print_all(&rows.iter().map(serde_json::to_value).collect::<Result<Vec<_>, _>>()?),
            None => output::stats::round(&rows, format, redraw)?,
        }
        if args.no_stream {
            return Ok(0);
        }
        prev = cur;
    }
}

/// The containers to show this round, in the store's order.
fn listed(
    store: &ContainerStore,
    named: &[Container],
    all: bool,
    live: &HostLiveness,
) -> anyhow::Result<Vec<Container>> {
    if named.is_empty() {
        let list = store.list()?;
        return Ok(list.into_iter().filter(|c| all || c.observed(live) == Status::Running).collect());
    }
    Ok(named.iter().map(|c| store.get(&c.id).ok().flatten().unwrap_or_else(|| c.clone())).collect())
}

/// A reading of every running container, by id.
fn readings(list: &[Container], live: &HostLiveness) -> HashMap<String, Sample> {
    list.iter()
        .filter_map(|c| {
            let init = c.running_init(live)?;
            Some((c.id.as_str().to_owned(), crate::platform::sample_container(c, init.pid).ok()?))
        })
        .collect()
}
