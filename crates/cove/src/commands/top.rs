//! `cove top`: the processes of a running container (host pids), printed
//! by the host's `ps`.

use crate::cli::ContainersArgs;
use crate::containers::{self, HostLiveness};
use crate::output::Exit;
use crate::platform::host_process;
use anyhow::Context;

/// Runs `ps -o user,pid,ppid,stime,tty,time,cmd -p PIDS` for each container.
pub fn run(args: ContainersArgs) -> anyhow::Result<i32> {
    let live = HostLiveness::new();
    containers::each(&args.containers, |_, _, c, q| {
        let Some(init) = c.running_init(&live) else {
            return Err(Exit { code: 1, message: format!("container {q} is not running") }.into());
        };
        let pids: Vec<String> = host_process::namespace_pids(init.pid).iter().map(i32::to_string).collect();
        let status = std::process::Command::new("ps")
            .args(["-o", "user,pid,ppid,stime,tty,time,cmd", "-p", &pids.join(",")])
            .status()
            .context("run ps")?;
        anyhow::ensure!(status.success(), "ps failed: {status}");
        Ok(())
    })
}
