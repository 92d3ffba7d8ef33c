//! The monitor's main path on Windows and macOS: the container's output
//! into its log, no attach socket (`cove attach` is Linux-only so far).

use super::{Monitor, logs};
use crate::cli::MonitorArgs;
use crate::containers::{HostLiveness, Ready};
use crate::platform::monitor_io;
use anyhow::Context;
use cove_core::container::ContainerStore;
use cove_core::exit::COVE_ERROR;
use cove_core::id::ContainerId;

/// Runs the monitor; its exit code is never seen by anyone.
pub fn run(args: MonitorArgs) -> anyhow::Result<i32> {
    monitor_io::detach().context("leave the caller's session")?;
    let store = ContainerStore::open(&args.root).context("open container store")?;
    let id = ContainerId::parse(&args.id)?;
    let io = monitor_io::capture().context("set up the container's stdio")?;
    let mut m = Monitor { store, id, live: HostLiveness::new(), ready: Some(io.ready), started: false };
    let container = match m.claim_or_report() {
        Ok(c) => c,
        Err(code) => return Ok(code),
    };
    let log = logs::Writer::open(&m.store.log_path(&m.id), container.log.clone())?;
    let (blocked_tx, blocked) = std::sync::mpsc::sync_channel(1);
    let pump = std::thread::Builder::new()
        .name("logs".into())
        .stack_size(64 * 1024)
        .spawn(move || {
            let _ = blocked_tx.send(monitor_io::block_signals_in_this_thread().is_ok());
            logs::pump(io.stdout, io.stderr, log)
        })
        .context("start the log writer")?;
    // ORDER: the container starts only once the log thread can no longer
    // take the signals meant for the run's signalfd.
    if blocked.recv() != Ok(true) {
        m.report(Ready::Failed { code: COVE_ERROR, message: "block signals in the log writer".into() });
        return Ok(COVE_ERROR);
    }
    m.supervise(&container);
    let _ = monitor_io::release();
    let _ = pump.join();
    if container.auto_remove {
        m.remove();
    }
    Ok(0)
}
