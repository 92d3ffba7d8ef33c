//! `cove create` and `cove run -d`: resolve the flags into a spec, store
//! the container, and (for `run -d`) start its monitor and print the id.
//! A foreground `cove run` stores its container here too (`foreground.rs`).

use crate::cli::RunArgs;
use crate::containers::{self, Ready};
use crate::{output, platform, request};
use anyhow::{Context, bail};
use cove_core::backend::Backend;
use cove_core::container::{Container, ContainerStore, ProcessRef, RestartPolicy, State, Status, time};
use cove_core::exit::COVE_ERROR;
use cove_core::id::ContainerId;
use cove_core::plan::Plan;
use std::time::Duration;

/// How long `run -d` and `start` wait for the monitor's answer.
pub const START_LIMIT: Duration = Duration::from_secs(60);

/// `cove create`: stores the container and prints its id.
pub fn create(args: RunArgs) -> anyhow::Result<i32> {
    let (_, _, container) = store_new(args)?;
    output::container_id(&container);
    Ok(0)
}

/// `cove run -d`: stores the container, starts it, prints its id.
pub fn run_detached(args: RunArgs) -> anyhow::Result<i32> {
    let (store, root, container) = store_new(args)?;
    start(&store, &root, &container, false)?;
    output::container_id(&container);
    Ok(0)
}

/// Starts the monitor of a stored container (`hold`: its output waits for
/// a first attached client); errors carry the exit code.
pub fn start(store: &ContainerStore, root: &std::path::Path, c: &Container, hold: bool) -> anyhow::Result<()> {
    match containers::start_monitor(root, &c.id, START_LIMIT, hold)? {
        // Docker's start of a running container succeeds too.
        Ready::Started | Ready::AlreadyRunning => Ok(()),
        // A racing `rm -f` removed it (it may have killed the monitor just
        // before it removes the directory: give it a moment).
        Ready::Failed { .. } if !c.auto_remove && removed_meanwhile(store, c)? => {
            let message = format!("No such container: {} (removed while it was starting)", c.id);
            Err(output::Exit { code: 1, message }.into())
        }
        Ready::Failed { code, message } => {
            if c.auto_remove {
                let _ = request::image::remove_container_copy(&c.id);
                let _ = store.lock(&c.id).and_then(|l| store.remove(l, &c.id));
            }
            Err(output::Exit { code, message }.into())
        }
    }
}

/// Whether a racing `rm -f` removed the container.
///
/// ORDER: `rm` takes the container's lock before it kills the monitor and
/// holds it until the directory has been renamed away, so once this CLI
/// has held that lock a racing `rm` is done: no timed guess (a fixed
/// wait lost the race on a loaded host and reported exit 125).
fn removed_meanwhile(store: &ContainerStore, c: &Container) -> anyhow::Result<bool> {
    // A failed lock means the directory is gone already.
    drop(store.lock(&c.id));
    Ok(store.get(&c.id)?.is_none())
}

/// Resolves, validates and stores a new container (its image hold ends here:
/// a stored container keeps its image through its record, rmi checks those).
fn store_new(args: RunArgs) -> anyhow::Result<(ContainerStore, std::path::PathBuf, Container)> {
    let New { store, root, container, hold } = new_container(args, None)?;
    drop(hold);
    Ok((store, root, container))
}

/// A container just stored, with the hold on its image (if any).
pub struct New {
    /// The caller's store.
    pub store: ContainerStore,
    /// The store's root.
    pub root: std::path::PathBuf,
    /// The record as stored.
    pub container: Container,
    /// Keeps the image (and a private copy of it) until dropped.
    pub hold: Option<cove_image::hold::Hold>,
}

/// Resolves, validates and stores a new container. `foreground` is the
/// CLI that runs it itself (`cove run` without `-d`), recorded as its
/// monitor from the start: if that CLI is killed, `ps` shows it exited.
pub fn new_container(args: RunArgs, foreground: Option<ProcessRef>) -> anyhow::Result<New> {
    let restart = RestartPolicy::parse(&args.stored.restart).with_context(|| {
        format!("invalid --restart {:?}: use no, on-failure[:N], always or unless-stopped", args.stored.restart)
    })?;
    if args.rm && restart != RestartPolicy::No {
        bail!("--rm and --restart {} cannot be combined", args.stored.restart);
    }
    let stop_signal = match &args.stored.stop_signal {
        Some(s) => {
            Some(platform::host_process::parse_signal(s).with_context(|| format!("invalid --stop-signal {s:?}"))?)
        }
        None => None,
    };
    let labels = request::compat::labels(&args.compat)?;
    let health_flags = request::health::flags(&args.compat);
    let cidfile = args.compat.cidfile.as_deref().map(CidFile::claim).transpose()?;
    let log = request::log_config(&args)?;
    let image = image_name(&args);
    let from_image = args.rootfs.is_none() && !image.is_empty();
    let (name, auto_remove, stop_timeout) = (args.name.clone().unwrap_or_default(), args.rm, args.stored.stop_timeout);
    // Docker's StdinOnce: `create -i` (attached later by `start -a -i`), not `run -d -i`.
    let stdin_once = args.interactive && !args.stored.detach;
    let backend = platform::backend();
    let host = backend.host_identity();
    let id = ContainerId::generate().map_err(|e| anyhow::anyhow!("generate container id: {e}"))?;
    // Without overlay in a user namespace, the image's root is the
    // container's own copy (`copies/<id>`), removed with the container. The
    // hold keeps the image while it lives: a foreground run keeps it until
    // the run ends; a stored container keeps its image through its record
    // afterwards (rmi checks records too).
    let (spec, hold) = request::run_spec_for(args, host.uid, &id, true)?;
    // Looked up while the hold keeps the image from being removed.
    let image_id =
        if from_image { request::image::local_id(&image, host.uid)?.unwrap_or_default() } else { String::new() };
    let image_config = if from_image { request::image::local_run_config(&image, host.uid)? } else { None };
    let healthcheck = request::health::config(&health_flags, image_config.and_then(|c| c.healthcheck).as_ref())?;
    // Checks run through `cove exec`, which joins Linux containers only.
    #[cfg(not(target_os = "linux"))]
    anyhow::ensure!(
        healthcheck.is_none(),
        "health checks run on Linux only so far (issue 8)\nhint: --no-healthcheck runs the container without one"
    );
    // Refused now rather than by the monitor: the same checks a run makes.
    Plan::build(&spec, host).context("invalid run request")?;
    let (store, root) = containers::open()?;
    // A foreground `run --rm` container does not outlive this CLI: its
    // record needs no fsync (the run's fast path; docs/architecture.md).
    let store = if foreground.is_some() && auto_remove { store.volatile() } else { store };
    let container = Container {
        id,
        name,
        image,
        image_id,
        spec,
        created: time::now(),
        restart,
        auto_remove,
        stop_signal,
        stop_timeout,
        labels,
        stdin_once,
        log,
        healthcheck,
        state: State { status: Some(Status::Created), monitor: foreground, ..State::default() },
    };
    let container = store.create(container).map_err(|e| output::Exit { code: COVE_ERROR, message: e.to_string() })?;
    if let Some(file) = cidfile {
        file.write(&container.id)?;
    }
    Ok(New { store, root, container, hold })
}

/// `--cidfile`: created empty before the container (Docker refuses an
/// existing file), filled with the id once it is stored, removed on failure.
struct CidFile(Option<std::path::PathBuf>);

impl CidFile {
    fn claim(path: &std::path::Path) -> anyhow::Result<CidFile> {
        match std::fs::OpenOptions::new().write(true).create_new(true).open(path) {
            Ok(_) => Ok(CidFile(Some(path.to_owned()))),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => bail!(
                "container ID file found, make sure the other container isn't running or delete {}",
                path.display()
            ),
            Err(e) => Err(e).with_context(|| format!("--cidfile: create {}", path.display())),
        }
    }

    fn write(mut self, id: &ContainerId) -> anyhow::Result<()> {
        let path = self.0.take().expect("claimed");
        std::fs::write(&path, id.as_str()).with_context(|| format!("--cidfile: write {}", path.display()))
    }
}

impl Drop for CidFile {
    fn drop(&mut self) {
        if let Some(path) = self.0.take() {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// The image as the user named it; the rootfs directory; or empty.
fn image_name(args: &RunArgs) -> String {
    match &args.rootfs {
        Some(dir) => dir.display().to_string(),
        None if !args.after_dashdash && !args.args.is_empty() => args.args[0].clone(),
        None => String::new(),
    }
}
