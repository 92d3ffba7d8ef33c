//! `cove rm` and `cove container prune`: a stopped container's directory,
//! log and leftover cgroups removed; with `-f` a running one is killed first.

use super::stop::stop_one;
use crate::cli::{PruneArgs, RmArgs};
use crate::containers::{self, HostLiveness};
use crate::output::Exit;
use crate::platform::host_process;
use anyhow::Context;
use cove_core::container::{Container, ContainerStore, Liveness, Status};
use std::time::Duration;

/// `cove rm [-f]`: prints each container as named once it is gone.
pub fn rm(args: RmArgs) -> anyhow::Result<i32> {
    // Docker 20.10+: `rm -f` of a container that does not exist succeeds.
    let mut names = args.containers.clone();
    if args.force {
        let (store, _) = containers::open()?;
        names.retain(|q| !matches!(store.lookup(q), Err(cove_core::container::Lookup::NotFound(_))));
    }
    containers::each(&names, |store, _, c, q| {
        remove(store, c, args.force)?;
        println!("{q}");
        Ok(())
    })
}

/// `cove container prune`: removes every container that is not running
/// (and matches `--filter`), printing Docker's summary.
pub fn prune(args: PruneArgs) -> anyhow::Result<i32> {
    let keep = super::prune_filter::parse(&args.filter)?;
    let (store, _) = containers::open()?;
    let live = HostLiveness::new();
    let mut reclaimed = 0;
    println!("Deleted Containers:");
    for c in store.list()? {
        if matches!(c.observed(&live), Status::Exited | Status::Created)
            && c.state.monitor.as_ref().is_none_or(|m| !live.alive(m))
            && keep.matches(&c)
        {
            let size = crate::volumes::dir_size(&store.dir_of(&c.id));
            match remove(&store, &c, false) {
                Ok(()) => {
                    println!("{}", c.id);
                    reclaimed += size;
                }
                Err(e) => eprintln!("cove: {e:#}"),
            }
        }
    }
    println!("\nTotal reclaimed space: {}", crate::output::human_size(reclaimed));
    Ok(0)
}

/// Removes one container (killing it first with `force`).
pub fn remove(store: &ContainerStore, c: &Container, force: bool) -> anyhow::Result<()> {
    let live = HostLiveness::new();
    if matches!(c.observed(&live), Status::Running | Status::Restarting) {
        if !force {
            let message = format!("cannot remove container {}: it is running; stop it first or use cove rm -f", c.name);
            return Err(Exit { code: 1, message }.into());
        }
        stop_one(store, c, Some(9), Some(0))?;
    }
    let lock = match store.lock(&c.id) {
        Ok(lock) => lock,
        // Removed meanwhile (its --rm monitor, or another rm).
        Err(_) if store.get(&c.id)?.is_none() => return Ok(()),
        Err(e) => return Err(e.into()),
    };
    let Some(c) = store.get(&c.id)? else { return Ok(()) };
    // ORDER: the monitor goes before the directory, so that nothing
    // writes into a container being removed (it may be waiting to restart,
    // or be a --rm monitor finishing up).
    if let Some(m) = c.state.monitor.as_ref().filter(|m| live.alive(m)) {
        let _ = host_process::signal(m.pid, 9);
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while live.alive(m) && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
    }
    host_process::remove_cgroups(&c.state.cgroups).with_context(|| format!("remove container {}", c.name))?;
    // A killed monitor leaves its attach socket behind.
    #[cfg(target_os = "linux")]
    if let Ok(socket) = containers::attach_socket(&c.id) {
        let _ = std::fs::remove_file(socket);
    }
    crate::platform::container_removed(&c).with_context(|| format!("remove container {}", c.name))?;
    crate::request::image::remove_container_copy(&c.id).with_context(|| format!("remove container {}", c.name))?;
    store.remove(lock, &c.id).with_context(|| format!("remove container {}", c.name))
}
