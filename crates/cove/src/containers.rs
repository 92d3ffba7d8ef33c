//! The CLI's side of the container store: where it lives, whether a
//! recorded process still runs (through the platform), starting a
//! container's monitor, and the one-line message the monitor answers with.

use crate::platform::host_process;
use crate::request::image::store_root;
use anyhow::Context;
use cove_core::container::{Container, ContainerStore, Liveness, Lookup, ProcessRef, Status};
use cove_core::id::ContainerId;
use serde::{Deserialize, Serialize};
use std::io::BufRead;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The caller's container store (`ROOT/containers`, see docs/architecture.md).
pub fn open() -> anyhow::Result<(ContainerStore, PathBuf)> {
    let uid = caller_uid();
    let root = store_root(uid)?;
    if !root.exists() {
        std::fs::create_dir_all(&root).with_context(|| {
            format!(
                "create store {} (the store follows $COVE_ROOT, else $XDG_DATA_HOME or $HOME: set one to a \
                 directory you own)",
                root.display()
            )
        })?;
        // Windows: the store is under the user's profile, private by its ACL.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&root, std::fs::Permissions::from_mode(0o700))
                .with_context(|| format!("chmod store {}", root.display()))?;
        }
    }
    // Absolute: the monitor runs in `/` and is handed this path.
    let root = std::fs::canonicalize(&root).with_context(|| format!("resolve store {}", root.display()))?;
    let store = ContainerStore::open(&root).with_context(|| format!("open container store {}", root.display()))?;
    Ok((store, root))
}

/// The calling user's uid (it decides where the store is).
pub fn caller_uid() -> u32 {
    use cove_core::backend::Backend;
    crate::platform::backend().host_identity().uid
}

/// Liveness from the host's process table and boot id.
pub struct HostLiveness {
    boot_id: String,
}

impl HostLiveness {
    /// For this boot.
    pub fn new() -> Self {
        HostLiveness { boot_id: host_process::boot_id() }
    }

    /// A reference to the running process `pid` (`None` when it is gone).
    pub fn reference(&self, pid: i32) -> Option<ProcessRef> {
        Some(ProcessRef { pid, start_time: host_process::start_time(pid)?, boot_id: self.boot_id.clone() })
    }
}

impl Liveness for HostLiveness {
    fn alive(&self, p: &ProcessRef) -> bool {
        p.boot_id == self.boot_id && host_process::start_time(p.pid) == Some(p.start_time)
    }
}

/// Looks a container up; an unknown name or an ambiguous prefix is exit 1
/// (Docker's).
pub fn find(store: &ContainerStore, query: &str) -> anyhow::Result<Container> {
    store.lookup(query).map_err(|e| match e {
        Lookup::Store(e) => anyhow::Error::from(e),
        other => crate::output::Exit { code: 1, message: other.to_string() }.into(),
    })
}

/// What the monitor tells the CLI that started it (one JSON line).
#[derive(Debug, Serialize, Deserialize)]
pub enum Ready {
    /// The command runs.
    Started,
    /// Another monitor is already starting or running it.
    AlreadyRunning,
    /// The container could not be started.
    Failed {
        /// The exit code the CLI ends with (125, 126, 127).
        code: i32,
        /// What went wrong.
        message: String,
    },
}

/// Starts the monitor of container `id` and waits (at most `limit`) for
/// it to report that the command runs; with `hold` the monitor keeps the
/// output until a client attaches (`start -a`).
pub fn start_monitor(root: &std::path::Path, id: &ContainerId, limit: Duration, hold: bool) -> anyhow::Result<Ready> {
    // Checked here too, so a runtime dir another user made is named to the
    // caller (the monitor's own error would only say that it ended).
    #[cfg(target_os = "linux")]
    runtime_dir().context("the runtime directory for the attach socket")?;
    let exe = std::env::current_exe().context("find cove's own binary")?;
    let mut cmd = Command::new(&exe);
    if hold {
        cmd.arg("__monitor").arg("--hold-output");
    } else {
        cmd.arg("__monitor");
    }
    let mut child = cmd
        .arg("--root")
        .arg(root)
        .arg(id.as_str())
        .current_dir("/")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .with_context(|| format!("start monitor {}", exe.display()))?;
    let stdout = child.stdout.take().context("monitor stdout")?;
    // The monitor always answers or exits; a thread bounds the wait anyway.
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = std::io::BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(line);
    });
    let start = Instant::now();
    let line = rx.recv_timeout(limit).with_context(|| format!("monitor of {id} did not answer within {limit:?}"))?;
    // The monitor lives on (it detached); reap it only if it already ended.
    let _ = child.try_wait();
    if line.trim().is_empty() {
        let message = format!("the monitor of {id} ended without starting it (after {:?})", start.elapsed());
        return Ok(Ready::Failed { code: cove_core::exit::COVE_ERROR, message });
    }
    serde_json::from_str(line.trim()).with_context(|| format!("monitor answer {line:?}"))
}

/// Polls until `done` holds for the container (re-read each time, and at
/// once when its record changes) or `limit` passes; `true` when it held.
/// A removed container counts as done.
pub fn wait_until(
    store: &ContainerStore,
    id: &ContainerId,
    limit: Option<Duration>,
    done: impl Fn(&Container) -> bool,
) -> anyhow::Result<bool> {
    let start = Instant::now();
    // ORDER: watched before the first read, so no write after it is missed.
    let watch = crate::record_watch::Watch::new(&store.dir_of(id));
    // Short first: most containers a verb waits for end within milliseconds.
    let mut pause = Duration::from_millis(2);
    loop {
        match store.get(id)? {
            None => return Ok(true),
            Some(c) if done(&c) => return Ok(true),
            Some(_) => {}
        }
        if limit.is_some_and(|l| start.elapsed() >= l) {
            return Ok(false);
        }
        // Woken early by a record write (or the container's removal).
        watch.pause(pause);
        pause = (pause * 2).min(Duration::from_millis(50));
    }
}

/// Whether the container has stopped running (as observed).
pub fn not_running(live: &HostLiveness) -> impl Fn(&Container) -> bool + '_ {
    |c| !matches!(c.observed(live), Status::Running | Status::Restarting)
}

/// Runs `f` for each named container (Docker's multi-container verbs):
/// an error is printed for that container and the others go on; exit 1
/// when any failed. `f` prints its own success line.
pub fn each(
    queries: &[String],
    mut f: impl FnMut(&ContainerStore, &std::path::Path, &Container, &str) -> anyhow::Result<()>,
) -> anyhow::Result<i32> {
    let (store, root) = open()?;
    let mut code = 0;
    for q in queries {
        let result = find(&store, q).and_then(|c| f(&store, &root, &c, q));
        if let Err(e) = result {
            eprintln!("cove: {e:#}");
            code = e.downcast_ref::<crate::output::Exit>().map_or(1, |x| x.code);
        }
    }
    Ok(code)
}

/// The runtime directory of stored containers: `/run/cove` for root,
/// `$XDG_RUNTIME_DIR/cove` otherwise, else (unset or not the caller's)
/// `TMPDIR/cove-UID`; always a private directory of the caller. Only
/// monitor sockets live there: a lost runtime directory costs attaching,
/// never a container.
#[cfg(target_os = "linux")]
pub fn runtime_dir() -> anyhow::Result<PathBuf> {
    let uid = caller_uid();
    let fallback = std::env::temp_dir().join(format!("cove-{uid}"));
    let first = match std::env::var_os("XDG_RUNTIME_DIR").filter(|d| !d.is_empty()) {
        _ if uid == 0 => PathBuf::from("/run/cove"),
        Some(d) => PathBuf::from(d).join("cove"),
        None => fallback.clone(),
    };
    private_dir(&first, uid).or_else(|e| if first == fallback { Err(e) } else { private_dir(&fallback, uid) })
}

/// Creates `dir` (0700) unless it exists; refuses one that is not a
/// private directory of `uid` (in a shared TMPDIR someone else may have
/// made it first).
#[cfg(target_os = "linux")]
fn private_dir(dir: &std::path::Path, uid: u32) -> anyhow::Result<PathBuf> {
    use std::os::unix::fs::{DirBuilderExt, MetadataExt};
    match std::fs::DirBuilder::new().mode(0o700).create(dir) {
        Err(e) if e.kind() != std::io::ErrorKind::AlreadyExists => {
            return Err(e).with_context(|| format!("create runtime dir {}", dir.display()));
        }
        _ => {}
    }
    let meta = std::fs::symlink_metadata(dir).with_context(|| format!("stat runtime dir {}", dir.display()))?;
    anyhow::ensure!(
        meta.is_dir() && meta.uid() == uid && meta.mode() & 0o077 == 0,
        "runtime dir {} is not a private directory of uid {uid}",
        dir.display()
    );
    Ok(dir.to_path_buf())
}

/// Where container `id`'s monitor listens for `cove attach`.
#[cfg(target_os = "linux")]
pub fn attach_socket(id: &ContainerId) -> anyhow::Result<PathBuf> {
    Ok(runtime_dir()?.join(format!("{id}.sock")))
}
