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
    fn probe_once(&self) -> HealthResult {
        let start = time::now();
        let out_path = self.store.dir_of(&self.id).join("health.out");
        let (exit_code, output) = match self.spawn(&out_path) {
            Ok(mut child) => {
                let timeout = Duration::from_nanos(self.cfg.timeout_ns());
                match wait_until(&mut child, Instant::now() + timeout) {
                    Some(code) => (code, read_output(&out_path)),
                    None => (-1, format!("Health check exceeded timeout ({})", humantime::format_duration(timeout))),
                }
            }
            Err(e) => (-1, format!("cannot run the health check: {e:#}")),
        };
        let _ = std::fs::remove_file(&out_path);
        HealthResult { start: time::rfc3339(Some(start)), end: time::rfc3339(Some(time::now())), exit_code, output }
    }

    fn spawn(&self, out_path: &std::path::Path) -> anyhow::Result<std::process::Child> {
        let exe = std::env::current_exe()?;
        let out = std::fs::File::create(out_path)?;
        let dir = self.store.dir_of(&self.id);
        let root: PathBuf = dir.parent().and_then(|d| d.parent()).map(PathBuf::from).unwrap_or_default();
        Ok(Command::new(exe)
            .env("COVE_ROOT", root)
            .arg("exec")
            .arg(self.id.as_str())
            .args(&self.argv)
            .current_dir("/")
            .stdin(Stdio::null())
            .stdout(out.try_clone()?)
            .stderr(out)
            .spawn()?)
    }
}

/// The child's exit code (128+N for signal N), or `None` (and it is
/// killed) at `deadline`.
fn wait_until(child: &mut std::process::Child, deadline: Instant) -> Option<i32> {
    use std::os::unix::process::ExitStatusExt;
    loop {
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

/// The first [`HEALTH_MAX_OUTPUT`] bytes of the probe's output.
fn read_output(path: &std::path::Path) -> String {
    let mut buf = Vec::new();
    if let Ok(f) = std::fs::File::open(path) {
        let _ = f.take(HEALTH_MAX_OUTPUT as u64).read_to_end(&mut buf);
    }
    String::from_utf8_lossy(&buf).into_owned()
}
