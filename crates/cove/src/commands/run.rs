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
    // Checked as for a stored container, although nothing stops this one.
    #[cfg(target_os = "linux")]
    if let Some(s) = &args.stored.stop_signal {
        platform::host_process::parse_signal(s).with_context(|| format!("invalid --stop-signal {s:?}"))?;
    }
    // Docker: a name is unique among all containers, this run included.
    #[cfg(target_os = "linux")]
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
        "--cidfile needs -d (a foreground run is not a stored container with an id yet)\n\
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
