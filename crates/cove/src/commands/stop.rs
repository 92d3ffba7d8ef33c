//! `cove stop`, `cove restart` and `cove kill`: signals to the container's
//! first process (identified by pid and start time), recorded as a stop by
//! a verb so that the restart policy leaves it stopped.

use crate::cli::{KillArgs, StopArgs};
use crate::containers::{self, HostLiveness, not_running};
use crate::output::Exit;
use crate::platform::host_process;
use anyhow::Context;
use cove_core::container::{Container, ContainerStore, Liveness, Status};
use std::time::Duration;

/// `cove stop`: stops the containers at the same time (as Docker), then
/// prints each as named, or its error; exit 1 when one failed.
pub fn stop(args: StopArgs) -> anyhow::Result<i32> {
    let signal = parse(args.signal.as_deref())?;
    let (store, _) = containers::open()?;
    let results: Vec<anyhow::Result<()>> = std::thread::scope(|scope| {
        let stopping: Vec<_> = args
            .containers
            .iter()
            .map(|q| scope.spawn(|| stop_one(&store, &containers::find(&store, q)?, signal, args.time)))
            .collect();
        stopping
            .into_iter()
            .map(|t| t.join().unwrap_or_else(|_| Err(anyhow::anyhow!("stop: a thread panicked"))))
            .collect()
    });
    let mut code = 0;
    for (q, result) in args.containers.iter().zip(results) {
        match result {
            Ok(()) => println!("{q}"),
            Err(e) => {
                eprintln!("cove: {e:#}");
                code = e.downcast_ref::<Exit>().map_or(1, |x| x.code);
            }
        }
    }
    Ok(code)
}

/// `cove restart`: stop, then start again.
pub fn restart(args: StopArgs) -> anyhow::Result<i32> {
    let signal = parse(args.signal.as_deref())?;
    containers::each(&args.containers, |store, root, c, q| {
        stop_one(store, c, signal, args.time)?;
        let c = store.get(&c.id)?.with_context(|| format!("container {q} was removed meanwhile"))?;
        super::create::start(store, root, &c, false)?;
        println!("{q}");
        Ok(())
    })
}

/// `cove kill`: the signal (default SIGKILL) to each running container.
pub fn kill(args: KillArgs) -> anyhow::Result<i32> {
    let signal = parse(Some(&args.signal))?.unwrap_or(SIGKILL);
    let live = HostLiveness::new();
    containers::each(&args.containers, |store, _, c, q| {
        let Some(init) = c.running_init(&live).cloned() else {
            return Err(Exit { code: 1, message: format!("cannot kill container {q}: it is not running") }.into());
        };
        if signal == SIGKILL {
            store.update(&c.id, |r| r.state.stopped_by_user = true)?;
        }
        crate::platform::signal_container(c, init.pid, signal)
            .with_context(|| format!("signal {signal} to pid {}", init.pid))?;
        println!("{q}");
        Ok(())
    })
}

/// SIGKILL (the same number on every OS cove runs containers on).
const SIGKILL: i32 = 9;

fn parse(s: Option<&str>) -> anyhow::Result<Option<i32>> {
    s.map(|s| host_process::parse_signal(s).with_context(|| format!("invalid signal {s:?}"))).transpose()
}

/// Stops one container: its stop signal, up to `time` seconds (its own
/// --stop-timeout, else 10), then SIGKILL. Stopping a stopped container
/// succeeds, as Docker's does.
pub fn stop_one(store: &ContainerStore, c: &Container, signal: Option<i32>, time: Option<u32>) -> anyhow::Result<()> {
    let live = HostLiveness::new();
    store.update(&c.id, |r| r.state.stopped_by_user = true)?;
    let Some(init) = c.running_init(&live).cloned() else {
        // Created, exited, or waiting to restart: the monitor sees the flag.
        containers::wait_until(store, &c.id, Some(Duration::from_secs(5)), |r| {
            r.observed(&live) != Status::Restarting
        })?;
        return Ok(());
    };
    let grace = Duration::from_secs(u64::from(time.or(c.stop_timeout).unwrap_or(10)));
    let _ = crate::platform::signal_container(c, init.pid, signal.unwrap_or(c.stop_signal()));
    if containers::wait_until(store, &c.id, Some(grace), not_running(&live))? {
        return Ok(());
    }
    if live.alive(&init) {
        let _ = crate::platform::signal_container(c, init.pid, SIGKILL);
    }
    let done = containers::wait_until(store, &c.id, Some(Duration::from_secs(10)), not_running(&live))?;
    anyhow::ensure!(done, "container {} did not stop within 10 s of SIGKILL", c.name);
    Ok(())
}
