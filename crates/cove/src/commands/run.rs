//! `cove run`: `-d` stores and starts the container (`create.rs`); without
//! it the container is stored and run in the foreground (`foreground.rs`).

use crate::cli::RunArgs;
#[cfg(not(target_os = "linux"))]
use crate::{output, platform, request};
#[cfg(not(target_os = "linux"))]
use anyhow::Context;
#[cfg(not(target_os = "linux"))]
use cove_core::backend::Backend;
#[cfg(not(target_os = "linux"))]
use cove_core::plan::Plan;

/// Runs a container in the foreground; returns its exit code.
pub fn run(args: RunArgs) -> anyhow::Result<i32> {
    if args.stored.detach {
        return super::create::run_detached(args);
    }
    // Fail closed: the run ends with its command, nothing could restart it.
    anyhow::ensure!(
        args.stored.restart == "no",
        "--restart {} needs -d (a foreground run ends with its command)",
        args.stored.restart
    );
    // Docker's way: the container is stored, this CLI is its monitor.
    #[cfg(target_os = "linux")]
    return super::foreground::run(args);
    #[cfg(not(target_os = "linux"))]
    unstored(args)
}

/// Windows and macOS (issue 8): a foreground run is not stored yet.
#[cfg(not(target_os = "linux"))]
fn unstored(args: RunArgs) -> anyhow::Result<i32> {
    if let Some(name) = &args.name
        && let Some(c) = crate::containers::open()?.0.list()?.into_iter().find(|c| &c.name == name)
    {
        anyhow::bail!(
            "the container name \"{name}\" is already in use by container {}; remove (cove rm) or rename it",
            c.id
        );
    }
    anyhow::ensure!(
        args.compat.cidfile.is_none(),
        "--cidfile needs -d here (a foreground run is not a stored container with an id yet)\n\
         hint: cove run -d --cidfile FILE ..., then cove wait and cove logs"
    );
    let backend = platform::backend();
    let host = backend.host_identity();
    // The hold marks the image in use until the container has exited.
    let (spec, _hold) = request::run_spec(args, host.uid)?;
    let plan = Plan::build(&spec, host).context("invalid run request")?;
    #[cfg(target_os = "linux")]
    if plan.process.stdin && !plan.process.terminal {
        crate::stdin_relay::pipe_file_stdin()?;
    }
    let outcome = backend.run(&plan)?;
    Ok(output::run_outcome(&outcome))
}
