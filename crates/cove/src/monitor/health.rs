//! Health checks of a running stored container: one thread per run, only
//! for containers with a check, that runs the check's command in the
//! container every interval (as `cove exec` would: the same binary,
//! spawned), bounded by the timeout, and records `State.Health` in the
//! container's record. It ends at its first look after the run ended.

use crate::platform::{host_process, monitor_io};
use cove_core::container::{
    ContainerStore, HEALTH_MAX_OUTPUT, Health, HealthConfig, HealthResult, ProcessRef, Status, time,
};
use cove_core::id::ContainerId;
use std::io::Read;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Starts checking the run just recorded, when the container has a health
/// check; its health starts as `starting`.
pub fn watch(store: &ContainerStore, id: &ContainerId) {
    let Some(c) = store.get(id).ok().flatten() else { return };
    let (Some(cfg), init) = (c.healthcheck, c.state.init) else { return };
    let Some(argv) = cfg.command() else { return };
    let _ = store.update(id, |c| c.state.health = Some(Health::default()));
    let probe = Probe { store: store.clone(), id: id.clone(), init, cfg, argv, began: Instant::now() };
    let spawned = std::thread::Builder::new().name("health".into()).stack_size(256 * 1024).spawn(move || {
        // ORDER: before anything else, so that no signal meant for the run's signalfd lands here.
        if monitor_io::block_signals_in_this_thread().is_ok() {
            probe.run();
        }
    });
    if spawned.is_err() {
        let _ = store.update(id, |c| c.state.health = None);
    }
}

struct Probe {
    store: ContainerStore,
    id: ContainerId,
    init: Option<ProcessRef>,
    cfg: HealthConfig,
    argv: Vec<String>,
    began: Instant,
}

impl Probe {
    fn run(self) {
        loop {
            let in_start_period = self.in_start_period();
            std::thread::sleep(Duration::from_nanos(self.cfg.interval_ns(in_start_period)));
            if !self.same_run() {
                return;
            }
            let in_start_period = self.in_start_period();
            let result = self.probe_once();
            let recorded = self.store.update(&self.id, |c| {
                if c.state.init == self.init && c.state.status == Some(Status::Running) {
                    c.state.health.get_or_insert_default().record(result, &self.cfg, in_start_period);
                }
            });
            if recorded.is_err() {
                return;
            }
            // Idle again until the next probe: the pages it touched go.
            let _ = monitor_io::release_startup_memory();
        }
    }

    fn in_start_period(&self) -> bool {
        self.began.elapsed() < Duration::from_nanos(self.cfg.start_period)
    }

    /// The run this thread was started for is still the current one.
    fn same_run(&self) -> bool {
        self.store
            .get(&self.id)
            .ok()
            .flatten()
            .is_some_and(|c| c.state.init == self.init && c.state.status == Some(Status::Running))
    }

    /// Runs the command once in the container; exit code -1 on timeout.
    /// Its output goes through a pipe of which only the first
    /// `HEALTH_MAX_OUTPUT` bytes are kept (Docker's): a check that prints
    /// without end (`cat /dev/zero`) costs neither disk nor memory.
    fn probe_once(&self) -> HealthResult {
        let start = time::now();
        let (exit_code, output) = match self.spawn() {
            Ok((mut child, out)) => {
                let timeout = Duration::from_nanos(self.cfg.timeout_ns());
                let mut kept = Vec::new();
                let mut drain = || drain(&out, &mut kept);
                match wait_until(&mut child, Instant::now() + timeout, &mut drain) {
                    Some(code) => {
                        drain();
                        (code, String::from_utf8_lossy(&kept).into_owned())
                    }
                    None => (-1, format!("Health check exceeded timeout ({})", humantime::format_duration(timeout))),
                }
            }
            Err(e) => (-1, format!("cannot run the health check: {e:#}")),
        };
        HealthResult { start: time::rfc3339(Some(start)), end: time::rfc3339(Some(time::now())), exit_code, output }
    }

    /// The check's process, and the non-blocking read end of the pipe its
    /// stdout and stderr share.
    fn spawn(&self) -> anyhow::Result<(std::process::Child, std::io::PipeReader)> {
        let exe = std::env::current_exe()?;
        let (reader, writer) = std::io::pipe()?;
        rustix::fs::fcntl_setfl(&reader, rustix::fs::OFlags::NONBLOCK)?;
        let dir = self.store.dir_of(&self.id);
        let root: PathBuf = dir.parent().and_then(|d| d.parent()).map(PathBuf::from).unwrap_or_default();
        let child = Command::new(exe)
            .env("COVE_ROOT", root)
            .arg("exec")
            .arg(self.id.as_str())
            .args(&self.argv)
            .current_dir("/")
            .stdin(Stdio::null())
            .stdout(writer.try_clone()?)
            .stderr(writer)
            .spawn()?;
        Ok((child, reader))
    }
}

/// Reads what the pipe holds now (at most 1 MiB a call, so a writer that
/// never pauses cannot hold the monitor here), keeping the first
/// `HEALTH_MAX_OUTPUT` bytes and dropping the rest.
fn drain(mut out: &std::io::PipeReader, kept: &mut Vec<u8>) {
    let mut buf = [0u8; 8192];
    for _ in 0..128 {
        match out.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => {
                let room = HEALTH_MAX_OUTPUT.saturating_sub(kept.len()).min(n);
                kept.extend_from_slice(&buf[..room]);
            }
        }
    }
}

/// The child's exit code (128+N for signal N), or `None` (and it is
/// killed) at `deadline`.
fn wait_until(child: &mut std::process::Child, deadline: Instant, tick: &mut dyn FnMut()) -> Option<i32> {
    use std::os::unix::process::ExitStatusExt;
    loop {
        tick();
        if let Ok(Some(status)) = child.try_wait() {
            return Some(status.code().unwrap_or_else(|| 128 + status.signal().unwrap_or(0)));
        }
        if Instant::now() >= deadline {
            // ORDER: the tree is read while `cove exec` still parents it; a
            // shell's children would outlive the shell otherwise.
            for pid in descendants(child.id() as i32) {
                let _ = host_process::signal(pid, 9);
            }
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Every process below `root` on the host (the probe's processes in the
/// container), parents first.
fn descendants(root: i32) -> Vec<i32> {
    let parent_of = |pid: i32| -> Option<i32> {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        stat.rsplit_once(") ")?.1.split_whitespace().nth(1)?.parse().ok()
    };
    let pids: Vec<(i32, i32)> = std::fs::read_dir("/proc")
        .map(|d| d.flatten().filter_map(|e| e.file_name().to_str()?.parse().ok()).collect::<Vec<i32>>())
        .unwrap_or_default()
        .into_iter()
        .filter_map(|p| Some((p, parent_of(p)?)))
        .collect();
    let mut found = vec![root];
    let mut i = 0;
    while i < found.len() {
        let parent = found[i];
        found.extend(pids.iter().filter(|&&(_, pp)| pp == parent).map(|&(p, _)| p));
        i += 1;
    }
    found.split_off(1)
}
