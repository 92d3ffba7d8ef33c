//! `cove inspect`: stored containers as a JSON array with Docker's keys,
//! or one template line per container (`-f '{{.State.Pid}}'`).

use crate::cli::InspectArgs;
use crate::containers::{self, HostLiveness};
use crate::output::{containers::inspect, template::Template};

/// Prints the containers found; exit 1 when one is unknown.
pub fn run(args: InspectArgs) -> anyhow::Result<i32> {
    let template = args.format.as_deref().map(Template::parse).transpose()?;
    let live = HostLiveness::new();
    let mut values = Vec::new();
    let code = containers::each(&args.containers, |store, _, c, _| {
        let log = store.log_path(&c.id).display().to_string();
        values.push(inspect(c, c.observed(&live), c.monitor_lost(&live), &live, &log));
        Ok(())
    })?;
    match template {
        Some(t) => values.iter().for_each(|v| println!("{}", t.render(v))),
        None => println!("{}", serde_json::to_string_pretty(&values)?),
    }
    Ok(code)
}
