//! `cove run`: resolve the flags into a spec, plan it, run it in the foreground.

use crate::cli::RunArgs;
use crate::{output, platform, request};
use anyhow::Context;
use cove_core::backend::Backend;
use cove_core::plan::Plan;

/// Runs a container in the foreground; returns its exit code.
pub fn run(args: RunArgs) -> anyhow::Result<i32> {
    if args.stored.detach {
        return super::create::run_detached(args);
    }
    // Fail closed: a foreground run is not stored, so nothing could restart it.
    anyhow::ensure!(
        args.stored.restart == "no",
        "--restart {} needs -d (foreground runs are not stored containers yet)",
        args.stored.restart
    );
    let backend = platform::backend();
    let host = backend.host_identity();
    // The hold marks the image in use until the container has exited.
    let (spec, _hold) = request::run_spec(args, host.uid)?;
    let plan = Plan::build(&spec, host).context("invalid run request")?;
    let outcome = backend.run(&plan)?;
    Ok(output::run_outcome(&outcome))
}
