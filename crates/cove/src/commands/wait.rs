//! `cove wait`: blocks until each container has ended, then prints its
//! exit code (Docker's behaviour: no time limit).

use crate::cli::ContainersArgs;
use crate::containers::{self, HostLiveness};
use cove_core::container::Status;

/// Prints one exit code per container, in order.
pub fn run(args: ContainersArgs) -> anyhow::Result<i32> {
    let live = HostLiveness::new();
    containers::each(&args.containers, |store, _, c, q| {
        containers::wait_until(store, &c.id, None, |r| r.observed(&live) == Status::Exited)?;
        let code = match store.get(&c.id)? {
            Some(r) if r.monitor_lost(&live) => {
                eprintln!("cove: {q}: exit status unknown (its monitor ended without recording it)");
                255
            }
            Some(r) => r.state.exit_code.unwrap_or(255),
            // Removed while waiting (--rm): the code is gone with it.
            None => 0,
        };
        println!("{code}");
        Ok(())
    })
}
