//! `cove run` without `-d` on Linux: the container is stored as Docker's
//! is (from create on, with a generated name when none is given), and
//! this CLI is its monitor. It records itself as such in the record it
//! creates, runs the container with its terminal and signals, records
//! `running` with the init's pid and cgroups (so `ps`, `exec`, `stop`,
//! `kill`, `stats`, `top` and `wait` find it), tees its output into the
//! container's log, and records the exit code (and OOM kill) at the end;
//! `--rm` then removes it. A CLI killed meanwhile leaves a record whose
//! monitor is dead: `ps -a` shows it exited, `rm -f` cleans it up.

use crate::cli::RunArgs;
use crate::containers::HostLiveness;
use crate::monitor::logs;
use crate::output;
use crate::platform::{self, host_process, tee_io};
use anyhow::Context;
use cove_core::backend::{Backend, RunObserver, RunOutcome};
use cove_core::container::{Container, ContainerStore, Lookup, Status, time};
use cove_core::exit::{COVE_ERROR, ExitStatus};
use cove_core::id::ContainerId;
use cove_core::net::PortSpec;
use cove_core::plan::Plan;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::sync::{Arc, mpsc};
use std::time::Duration;

/// How long the end of a run waits for the tee to write the last output.
const TEE_DRAIN: Duration = Duration::from_secs(5);

/// Stores, runs and records a foreground container; returns its exit code.
pub fn run(args: RunArgs) -> anyhow::Result<i32> {
    let live = HostLiveness::new();
    let me = live.reference(std::process::id() as i32).context("read cove's own start time")?;
    let new = super::create::new_container(args, Some(me))?;
    let (store, c) = (&new.store, &new.container);
    let backend = platform::backend();
    let plan =
        Plan::build(&c.spec, backend.host_identity()).map_err(|e| anyhow::Error::new(e).context("invalid run request"));
    // A file as stdin reaches the command through a pipe, never as the
    // file's own descriptor (stdin_relay.rs).
    let plan = plan.and_then(|plan| {
        if plan.process.stdin && !plan.process.terminal {
            crate::stdin_relay::pipe_file_stdin()?;
        }
        Ok(plan)
    });
    let result = match plan {
        Ok(plan) => {
            let pipe = Arc::new(BrokenPipe::default());
            let tee = Tee::start(store, c, pipe.clone());
            let mut watch = Watch { store, id: &c.id, live: &live, oom: false, ports: Vec::new(), pipe: &pipe };
            let result = backend.run_observed(&plan, &mut watch).map_err(anyhow::Error::new);
            pipe.init.store(0, Ordering::SeqCst);
            if let Some(tee) = tee {
                tee.finish();
            }
            result.map(|outcome| (pipe.reported(outcome), watch.oom))
        }
        Err(e) => Err(e),
    };
    let (code, error) = match &result {
        Ok((outcome, _)) => (
            outcome.exit_code(),
            match outcome {
                RunOutcome::ExecFailed { program, reason } => Some(output::exec_failure(program, reason)),
                RunOutcome::Exited(_) | RunOutcome::OomKilled(_) => None,
            },
        ),
        Err(e) => (COVE_ERROR, Some(format!("{e:#}"))),
    };
    let oom = result.as_ref().is_ok_and(|(_, oom)| *oom);
    finish(store, c, code, error, oom);
    drop(new.hold);
    let (outcome, _) = result?;
    Ok(output::run_outcome(&outcome))
}

/// Records the end (Docker keeps the container as exited) or, with
/// `--rm`, removes the container.
fn finish(store: &ContainerStore, c: &Container, code: i32, error: Option<String>, oom: bool) {
    // ORDER: the container's private image copy (the copy fallback) goes
    // before its record; if it cannot, the record stays for `rm` to retry.
    if c.auto_remove
        && let Ok(lock) = store.lock(&c.id)
        && crate::request::image::remove_container_copy(&c.id).is_ok()
        && store.remove(lock, &c.id).is_ok()
    {
        return;
    }
    // A record removed meanwhile (`rm -f`) stays removed.
    let _ = store.update(&c.id, |r| {
        r.state.ended(Status::Exited, code, error, oom);
        // This CLI is done with it: `rm` must not kill it, `start` may
        // start it again.
        r.state.monitor = None;
    });
}

/// The reader of cove's stdout went away (`cove run … | head`): the
/// container is ended and the run reports SIGPIPE (141), as before the tee.
#[derive(Default)]
struct BrokenPipe {
    /// The container's first process once it runs (0 before and after).
    init: AtomicI32,
    gone: AtomicBool,
}

impl BrokenPipe {
    /// Ends the container, now or as soon as it has started.
    fn end(&self) {
        self.gone.store(true, Ordering::SeqCst);
        let pid = self.init.load(Ordering::SeqCst);
        if pid > 0 {
            let _ = host_process::signal(pid, 9);
        }
    }

    /// The outcome as the caller sees it: SIGPIPE when its reader went away.
    fn reported(&self, outcome: RunOutcome) -> RunOutcome {
        match outcome {
            RunOutcome::Exited(_) if self.gone.load(Ordering::SeqCst) => {
                RunOutcome::Exited(ExitStatus::Signaled(SIGPIPE))
            }
            other => other,
        }
    }
}

/// SIGPIPE (the same number on every Linux architecture).
const SIGPIPE: i32 = 13;

/// The output tee: fds 1 and 2 diverted through pipes into the log.
struct Tee {
    saved: tee_io::Saved,
    done: mpsc::Receiver<()>,
}

impl Tee {
    /// Starts the tee; `None` (the container writes straight to cove's
    /// stdout and stderr, and nothing is logged) with `--log-driver none`
    /// or when the log or the pipes cannot be set up.
    fn start(store: &ContainerStore, c: &Container, pipe: Arc<BrokenPipe>) -> Option<Tee> {
        if c.log.disabled {
            return None;
        }
        let mut log = logs::Writer::open(&store.log_path(&c.id), c.log.clone()).ok()?;
        let (saved, ends) = tee_io::divert().ok()?;
        let (done_tx, done) = mpsc::sync_channel(1);
        let spawned = tee_io::spawn_without_signals(move || {
            tee_io::run(ends, &mut |stream, bytes| logs::write_out(&mut log, stream, bytes), &mut || pipe.end());
            logs::finish(log);
            let _ = done_tx.send(());
        });
        let tee = Tee { saved, done };
        if spawned.is_err() {
            tee.finish();
            return None;
        }
        Some(tee)
    }

    /// Puts cove's stdout and stderr back and waits (bounded) for the tee
    /// to pass on and log the rest: the container's processes are gone, so
    /// the pipes reach end-of-file.
    fn finish(self) {
        let _ = self.saved.restore();
        let _ = self.done.recv_timeout(TEE_DRAIN);
    }
}

/// Records what the backend reports during the run.
struct Watch<'a> {
    store: &'a ContainerStore,
    id: &'a ContainerId,
    live: &'a HostLiveness,
    oom: bool,
    ports: Vec<PortSpec>,
    pipe: &'a BrokenPipe,
}

impl RunObserver for Watch<'_> {
    fn started(&mut self, pid: i32, cgroups: &[PathBuf]) {
        let init = self.live.reference(pid);
        let ports = std::mem::take(&mut self.ports);
        let recorded = self.store.update(self.id, |c| {
            c.state.status = Some(Status::Running);
            c.state.init = init;
            c.state.cgroups = cgroups.to_vec();
            c.state.ports = ports;
            c.state.started_at = Some(time::now());
        });
        self.pipe.init.store(pid, Ordering::SeqCst);
        // `rm -f` won a race with the start (nothing runs without a
        // record), or the reader of cove's stdout is already gone.
        if matches!(recorded, Err(Lookup::NotFound(_))) || self.pipe.gone.load(Ordering::SeqCst) {
            let _ = host_process::signal(pid, 9);
        }
    }

    fn oom_killed(&mut self) {
        self.oom = true;
    }

    fn ports_bound(&mut self, ports: &[PortSpec]) {
        self.ports = ports.to_vec();
    }

    fn container(&self) -> Option<&ContainerId> {
        Some(self.id)
    }
}
