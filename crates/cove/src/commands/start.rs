//! `cove start [-a]`: starts created or exited containers through a new
//! monitor; `-a` then follows the output and ends with the exit code.

use crate::cli::{LogsArgs, StartArgs};
use crate::containers::{self, HostLiveness};
use crate::output::Exit;
use cove_core::container::Status;

/// Starts each container; prints its name as given (not with `-a`).
pub fn run(args: StartArgs) -> anyhow::Result<i32> {
    let live = HostLiveness::new();
    let mut last = None;
    let code = containers::each(&args.containers, |store, root, c, q| {
        if matches!(c.observed(&live), Status::Running | Status::Restarting) {
            if !args.attach {
                println!("{q}");
            }
            return Ok(());
        }
        super::create::start(store, root, c)?;
        if !args.attach {
            println!("{q}");
        }
        last = Some(c.id.clone());
        Ok(())
    })?;
    match (args.attach, last) {
        (true, Some(id)) if code == 0 => {
            let logs = LogsArgs {
                follow: true,
                tail: "all".into(),
                since: None,
                timestamps: false,
                container: id.to_string(),
            };
            super::logs::run(logs)?;
            let (store, _) = containers::open()?;
            let c = store.get(&id)?;
            Ok(c.and_then(|c| c.state.exit_code).unwrap_or(0))
        }
        (true, None) if code == 0 => Err(Exit { code: 1, message: "nothing to attach to".into() }.into()),
        _ => Ok(code),
    }
}
