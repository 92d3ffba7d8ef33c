//! `cove __monitor ROOT ID`: the small per-container process that `run -d`
//! and `start` leave behind. It leaves the caller's session, becomes the
//! parent of the container's first process (through the backend), writes
//! the container's output to its log, records start, exit code and OOM
//! kill, applies the restart policy and `--rm`, then exits.
//!
//! It reports to the CLI that started it with one [`Ready`] line on its
//! old stdout: `Started` once the command has been executed, or `Failed`.

#[cfg(target_os = "linux")]
mod attach;
#[cfg(target_os = "linux")]
mod health;
pub(crate) mod logs;
#[cfg(not(target_os = "linux"))]
mod plain;
#[cfg(not(target_os = "linux"))]
pub use plain::run;

/// `cove __monitor [--hold-output] --root ROOT ID` read without clap:
/// the monitor lives as long as its container, so it touches as little of
/// the binary as it can (clap's command tree is most of a CLI's start).
/// `None` for any other command line (clap then parses it as usual).
pub fn early_args(argv: &[std::ffi::OsString]) -> Option<MonitorArgs> {
    let mut rest = argv.get(1..)?.iter();
    if rest.next()?.to_str()? != "__monitor" {
        return None;
    }
    let (mut root, mut id, mut hold_output) = (None, None, false);
    while let Some(a) = rest.next() {
        match a.to_str()? {
            "--hold-output" => hold_output = true,
            "--root" => root = Some(PathBuf::from(rest.next()?)),
            s if !s.starts_with('-') && id.is_none() => id = Some(s.to_owned()),
            _ => return None,
        }
    }
    Some(MonitorArgs { root: root?, id: id?, hold_output })
}

use crate::cli::MonitorArgs;
use crate::containers::{HostLiveness, Ready};
#[cfg(target_os = "linux")]
use crate::platform::attach_io;
#[cfg(target_os = "linux")]
use crate::platform::monitor_io;
use crate::platform::{self, host_process};
use anyhow::Context;
use cove_core::backend::{Backend, RunObserver, RunOutcome};
use cove_core::container::{Container, ContainerStore, Liveness, Lookup, Status, time};
use cove_core::exit::COVE_ERROR;
use cove_core::id::ContainerId;
use cove_core::plan::Plan;
use std::fs::File;
use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Runs the monitor; its exit code is never seen by anyone.
#[cfg(target_os = "linux")]
pub fn run(args: MonitorArgs) -> anyhow::Result<i32> {
    monitor_io::detach().context("leave the caller's session")?;
    let store = ContainerStore::open(&args.root).context("open container store")?;
    let id = ContainerId::parse(&args.id)?;
    let wants_stdin = store.get(&id).ok().flatten().is_some_and(|c| c.spec.process.stdin);
    let io = monitor_io::capture(wants_stdin).context("set up the container's stdio")?;
    let pty = attach_io::PtySlot::default();
    let exit = std::sync::Arc::new(std::sync::Mutex::new(None));
    let mut m =
        Monitor { store, id, live: HostLiveness::new(), ready: Some(io.ready), started: false, pty: pty.clone() };
    let container = match m.claim_or_report() {
        Ok(c) => c,
        Err(code) => return Ok(code),
    };
    let socket = attach::Socket::bind(&m.id).context("listen for attach")?;
    let log = logs::Writer::open(&m.store.log_path(&m.id), container.log.clone())?;
    let hub = attach_io::Hub {
        listener: socket.listener()?,
        stdin: io.stdin,
        stdin_once: container.stdin_once,
        pty,
        hold_until: args.hold_output.then(|| Instant::now() + attach::HOLD_LIMIT),
        exit: exit.clone(),
    };
    let (blocked_tx, blocked) = std::sync::mpsc::sync_channel(1);
    let (stdout, stderr) = (io.stdout, io.stderr);
    let pump = std::thread::Builder::new()
        .name("io".into())
        .stack_size(64 * 1024)
        .spawn(move || {
            let _ = blocked_tx.send(monitor_io::block_signals_in_this_thread().is_ok());
            logs::pump(stdout, stderr, hub, log)
        })
        .context("start the I/O thread")?;
    // ORDER: the container starts only once the I/O thread can no longer
    // take the signals meant for the run's signalfd.
    if blocked.recv() != Ok(true) {
        m.report(Ready::Failed { code: COVE_ERROR, message: "block signals in the I/O thread".into() });
        return Ok(COVE_ERROR);
    }
    m.supervise(&container);
    // ORDER: the code is in place before the pipes close, which ends the I/O thread.
    if let Ok(mut e) = exit.lock() {
        *e = m.store.get(&m.id).ok().flatten().and_then(|c| c.state.exit_code);
    }
    let _ = monitor_io::release();
    let _ = pump.join();
    drop(socket);
    if container.auto_remove {
        m.remove();
    }
    Ok(0)
}

struct Monitor {
    store: ContainerStore,
    id: ContainerId,
    live: HostLiveness,
    /// The channel to the CLI, until it has been answered.
    ready: Option<File>,
    /// The command ran at least once.
    started: bool,
    /// The current run's pty, for attached clients' resizes.
    #[cfg(target_os = "linux")]
    pty: attach_io::PtySlot,
}

impl Monitor {
    /// [`Monitor::claim`], telling the CLI when there is nothing to run;
    /// `Err` holds the monitor's exit code then.
    fn claim_or_report(&mut self) -> Result<Container, i32> {
        match self.claim() {
            Ok(Some(c)) => Ok(c),
            Ok(None) => {
                self.report(Ready::AlreadyRunning);
                Err(0)
            }
            Err(e) => {
                self.report(Ready::Failed { code: COVE_ERROR, message: format!("{e:#}") });
                Err(COVE_ERROR)
            }
        }
    }

    /// Records this process as the container's monitor; `None` when
    /// another live one already is.
    fn claim(&mut self) -> anyhow::Result<Option<Container>> {
        let me = self.live.reference(std::process::id() as i32).context("read own start time")?;
        let live = &self.live;
        let claimed = self.store.update(&self.id, |c| {
            // A live monitor that has not recorded an end is starting or
            // running it (two concurrent `start`s: the second one yields).
            if c.state.monitor.as_ref().is_some_and(|m| live.alive(m)) && c.observed(live) != Status::Exited {
                return None;
            }
            c.state.monitor = Some(me);
            c.state.stopped_by_user = false;
            c.state.restart_count = 0;
            Some(c.clone())
        });
        Ok(claimed?)
    }

    fn report(&mut self, answer: Ready) {
        if let Some(mut f) = self.ready.take() {
            let line = serde_json::to_string(&answer).unwrap_or_default();
            let _ = writeln!(f, "{line}");
        }
    }

    /// Runs the container until it ends for good (restart policy included).
    fn supervise(&mut self, c: &Container) {
        let backend = platform::backend();
        let plan = match Plan::build(&c.spec, backend.host_identity()) {
            Ok(p) => p,
            Err(e) => return self.failed(COVE_ERROR, format!("invalid run request: {e}")),
        };
        let mut delay = Duration::from_millis(100);
        loop {
            let began = Instant::now();
            let mut watch = Watch { monitor: self, oom: false, ports: Vec::new() };
            let result = backend.run_observed(&plan, &mut watch);
            let oom = watch.oom;
            let (code, error) = match result {
                Ok(outcome) => {
                    let why = match &outcome {
                        RunOutcome::ExecFailed { program, reason } => {
                            Some(crate::output::exec_failure(program, reason))
                        }
                        RunOutcome::Exited(_) | RunOutcome::OomKilled(_) => None,
                    };
                    (outcome.exit_code(), why)
                }
                Err(e) => (COVE_ERROR, Some(format!("{:#}", anyhow::Error::new(e)))),
            };
            if !self.started {
                return self.failed(code, error.unwrap_or_default());
            }
            if !self.ended(c, code, error, oom) {
                return;
            }
            delay = if began.elapsed() >= Duration::from_secs(10) { Duration::from_millis(100) } else { delay * 2 };
            if !self.pause(delay.min(Duration::from_secs(10))) {
                return;
            }
        }
    }

    /// Records a failed first start and tells the CLI.
    fn failed(&mut self, code: i32, message: String) {
        let _ = self.store.update(&self.id, |c| {
            c.state.status = Some(Status::Exited);
            c.state.exit_code = Some(code);
            c.state.error = Some(message.clone());
            c.state.finished_at = Some(time::now());
        });
        self.report(Ready::Failed { code, message });
    }

    /// Records the end of a run; `true` when the restart policy starts it again.
    fn ended(&mut self, c: &Container, code: i32, error: Option<String>, oom: bool) -> bool {
        #[cfg(target_os = "linux")]
        if let Ok(mut slot) = self.pty.lock() {
            *slot = None;
        }
        let _ = host_process::remove_cgroups(&self.cgroups());
        let restart = self.store.update(&self.id, |r| {
            let again = c.restart.restarts(code, r.state.restart_count, r.state.stopped_by_user);
            r.state.ended(if again { Status::Restarting } else { Status::Exited }, code, error, oom);
            if again {
                r.state.restart_count += 1;
            }
            again
        });
        restart.unwrap_or(false)
    }

    fn cgroups(&self) -> Vec<PathBuf> {
        self.store.get(&self.id).ok().flatten().map(|c| c.state.cgroups).unwrap_or_default()
    }

    /// Waits before a restart; `false` (and the record says exited) when a
    /// verb stopped the container meanwhile or it was removed.
    fn pause(&mut self, delay: Duration) -> bool {
        let end = Instant::now() + delay;
        while Instant::now() < end {
            std::thread::sleep(Duration::from_millis(50));
            let stopped = self.store.get(&self.id).ok().flatten().is_none_or(|c| c.state.stopped_by_user);
            if stopped {
                let _ = self.store.update(&self.id, |c| c.state.status = Some(Status::Exited));
                return false;
            }
        }
        true
    }

    /// `--rm`: the container goes once it has ended for good.
    fn remove(&self) {
        if let Ok(lock) = self.store.lock(&self.id) {
            let _ = crate::request::image::remove_container_copy(&self.id);
            let _ = self.store.remove(lock, &self.id);
        }
    }
}

/// Hears from the backend during one run.
struct Watch<'a> {
    monitor: &'a mut Monitor,
    oom: bool,
    ports: Vec<cove_core::net::PortSpec>,
}

impl RunObserver for Watch<'_> {
    fn started(&mut self, pid: i32, cgroups: &[PathBuf]) {
        let ports = std::mem::take(&mut self.ports);
        let m = &mut *self.monitor;
        let init = m.live.reference(pid);
        let recorded = m.store.update(&m.id, |c| {
            c.state.status = Some(Status::Running);
            c.state.init = init;
            c.state.cgroups = cgroups.to_vec();
            c.state.ports = ports.clone();
            c.state.started_at = Some(time::now());
            c.state.exit_code = None;
            c.state.error = None;
            c.state.oom_killed = false;
        });
        if let Err(Lookup::NotFound(_)) = recorded {
            // `rm -f` won a race with the start: nothing may run without a record.
            let _ = host_process::signal(pid, 9);
            let message = format!("No such container: {} (removed while it was starting)", m.id);
            return m.report(Ready::Failed { code: 1, message });
        }
        m.started = true;
        #[cfg(target_os = "linux")]
        health::watch(&m.store, &m.id);
        m.report(Ready::Started);
        // Idle from here on (until the container ends): the startup's pages go.
        #[cfg(target_os = "linux")]
        let _ = monitor_io::release_startup_memory();
    }

    fn oom_killed(&mut self) {
        self.oom = true;
    }

    fn ports_bound(&mut self, ports: &[cove_core::net::PortSpec]) {
        self.ports = ports.to_vec();
    }

    #[cfg(target_os = "linux")]
    fn pty_opened(&mut self, resize: Box<dyn Fn(u16, u16) + Send>) {
        if let Ok(mut slot) = self.monitor.pty.lock() {
            *slot = Some(resize);
        }
    }

    fn container(&self) -> Option<&ContainerId> {
        Some(&self.monitor.id)
    }
}
