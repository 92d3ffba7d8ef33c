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
    }
}

fn df(args: DfArgs) -> anyhow::Result<i32> {
    let usage = match open_store(platform::backend().host_identity().uid, false)? {
        Some((store, _)) => store.disk_usage().context("measure the image store")?,
        None => Default::default(),
    };
    output::disk_usage(args.format, &usage)?;
    Ok(0)
}
