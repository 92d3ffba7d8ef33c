//! `cove start [-a] [-i]`: starts created or exited containers through a
//! new monitor; `-a` then attaches (`attach.rs`) and ends with the exit code.

use crate::cli::StartArgs;
use crate::containers::{self, HostLiveness};
use cove_core::container::Status;

/// Starts each container; prints its name as given (not with `-a`).
pub fn run(args: StartArgs) -> anyhow::Result<i32> {
    let attach = args.attach || args.interactive;
    anyhow::ensure!(!attach || args.containers.len() == 1, "you cannot start and attach multiple containers at once");
    let live = HostLiveness::new();
    let mut attach_to = None;
    let code = containers::each(&args.containers, |store, root, c, q| {
        if matches!(c.observed(&live), Status::Running | Status::Restarting) {
            // Docker's start of a running container succeeds; -a attaches to it.
            if attach {
                attach_to = Some(c.clone());
            } else {
                println!("{q}");
            }
            return Ok(());
        }
        let hold = attach;
        super::create::start(store, root, c, hold)?;
        if !attach {
            println!("{q}");
        }
        if hold {
            attach_to = Some(c.clone());
        }
        Ok(())
    })?;
    match attach_to {
        #[cfg(target_os = "linux")]
        Some(c) if code == 0 => {
            let (store, _) = containers::open()?;
            let opts = super::attach::Options::new(&c, args.interactive, &args.detach_keys)?;
            super::attach::session(&store, &c, &opts)
        }
        #[cfg(not(target_os = "linux"))]
        Some(_) if code == 0 => anyhow::bail!("start -a runs on Linux only so far (issue 8): use cove logs -f"),
        _ => Ok(code),
    }
}
