//! `cove start [-a]`: starts created or exited containers through a new
//! monitor; `-a` then follows the output and ends with the exit code.
//! `cove attach` follows a running container's output the same way.

use crate::cli::{AttachArgs, StartArgs};
use crate::containers::{self, HostLiveness};
use crate::output::Exit;
use cove_core::container::Status;

/// Starts each container; prints its name as given (not with `-a`).
pub fn run(args: StartArgs) -> anyhow::Result<i32> {
    let live = HostLiveness::new();
    let mut attach_to = None;
    let code = containers::each(&args.containers, |store, root, c, q| {
        if matches!(c.observed(&live), Status::Running | Status::Restarting) {
            if !args.attach {
                println!("{q}");
            }
            return Ok(());
        }
        let offset = super::logs::log_end(store, &c.id);
        super::create::start(store, root, c)?;
        if !args.attach {
            println!("{q}");
        }
        attach_to = Some((c.id.clone(), offset));
        Ok(())
    })?;
    match (args.attach, attach_to) {
        (true, Some((id, offset))) if code == 0 => {
            let (store, _) = containers::open()?;
            super::logs::follow_from(&store, &id, offset)
        }
        _ => Ok(code),
    }
}

/// `cove attach`: the running container's output from now until it ends;
/// exits with its exit code. Input is not forwarded yet.
pub fn attach(args: AttachArgs) -> anyhow::Result<i32> {
    let (store, _) = containers::open()?;
    let c = containers::find(&store, &args.container)?;
    if !matches!(c.observed(&HostLiveness::new()), Status::Running | Status::Restarting) {
        let message = format!("cannot attach to container {}: it is not running (start it first)", args.container);
        return Err(Exit { code: 1, message }.into());
    }
    let offset = super::logs::log_end(&store, &c.id);
    super::logs::follow_from(&store, &c.id, offset)
}
