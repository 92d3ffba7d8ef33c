//! `cove exec` on Windows: the command runs inside the running container's
//! named job with its AppContainer token (the backend opens both by the
//! container's id), its environment and working directory; `-e`, `-w` and
//! `-i` as on Linux. `-u`, `-t` and `-d` are refused, naming the flag.

use crate::cli::ContainerExecArgs;
use crate::containers::{self, HostLiveness};
use crate::output::{self, Exit};
use crate::platform;
use anyhow::{Context, bail};
use cove_core::backend::Backend;
use cove_core::plan::Plan;

/// `cove exec [FLAGS] CONTAINER COMMAND...`.
pub fn run(args: ContainerExecArgs) -> anyhow::Result<i32> {
    let flags = &args.exec;
    for (given, flag) in [(flags.user.is_some(), "-u"), (flags.tty, "-t"), (flags.detach, "-d")] {
        if given {
            bail!("cove exec {flag} is not supported by the windows backend yet");
        }
    }
    let (store, _) = containers::open()?;
    let record = containers::find(&store, &args.container)?;
    if record.running_init(&HostLiveness::new()).is_none() {
        return Err(Exit { code: 1, message: format!("container {} is not running", args.container) }.into());
    }
    let mut spec = record.spec.clone();
    spec.process.args = args.args;
    spec.process.stdin = flags.interactive;
    spec.process.terminal = false;
    for e in &flags.env {
        let (k, v) = match e.split_once('=') {
            Some((k, v)) => (k.to_owned(), v.to_owned()),
            None => (e.clone(), std::env::var(e).unwrap_or_default()),
        };
        spec.process.env.retain(|(name, _)| !name.eq_ignore_ascii_case(&k));
        spec.process.env.push((k, v));
    }
    if let Some(w) = &flags.workdir {
        spec.process.cwd = w.clone();
    }
    let backend = platform::backend();
    let plan = Plan::build(&spec, backend.host_identity())
        .with_context(|| format!("plan of exec in container {}", args.container))?;
    let outcome = backend.exec(&plan, &record.id)?;
    Ok(output::run_outcome(&outcome))
}
