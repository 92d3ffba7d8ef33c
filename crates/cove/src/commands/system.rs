//! `cove system df`.

use crate::cli::{DfArgs, SystemCommand};
use crate::request::image::open_store;
use crate::{output, platform};
use anyhow::Context;
use cove_core::backend::Backend;

/// Runs the `system` subcommand.
pub fn run(command: SystemCommand) -> anyhow::Result<i32> {
    match command {
        SystemCommand::Df(args) => df(args),
        SystemCommand::Prune(args) => super::system_prune::run(args),
    }
}

fn df(args: DfArgs) -> anyhow::Result<i32> {
    let usage = match open_store(platform::backend().host_identity().uid, false)? {
        Some((store, _)) => store.disk_usage().context("measure the image store")?,
        None => Default::default(),
    };
    output::disk_usage(args.format, &usage, containers()?)?;
    Ok(0)
}

/// Stored containers, and how many of them run.
#[cfg(target_os = "linux")]
fn containers() -> anyhow::Result<output::ContainerCount> {
    let (store, _) = crate::containers::open()?;
    let live = crate::containers::HostLiveness::new();
    let all = store.list().context("list containers")?;
    let running = all.iter().filter(|c| !crate::containers::not_running(&live)(c)).count();
    Ok(output::ContainerCount { total: all.len(), running })
}

/// No stored containers off Linux yet.
#[cfg(not(target_os = "linux"))]
fn containers() -> anyhow::Result<output::ContainerCount> {
    Ok(output::ContainerCount::default())
}
