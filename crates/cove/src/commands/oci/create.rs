//! `create`: bundle → plan → a container waiting at its start gate, its
//! state recorded and its pid written where the engine asked.

use super::store::{self, Record};
use crate::cli::oci::CreateArgs;
use crate::platform;
use anyhow::{Context, bail};
use cove_backend_linux::oci::{CreateOptions, create as spawn_created};
use cove_core::backend::Backend;
use cove_core::oci::OciPlan;
use std::path::{Path, PathBuf};

/// Creates container `args.id` from its bundle.
pub fn create(root: &Path, args: &CreateArgs, systemd_cgroup: bool) -> anyhow::Result<()> {
    store::check_id(&args.id)?;
    let (bundle, oci, rootfs) = prepare(args, systemd_cgroup)?;
    let dir = store::make(root, &args.id)?;
    let made = (|| {
        let runtime_hooks =
            |pid: i32| runtime_hooks(&dir, args, &bundle, &rootfs, &oci, pid).map_err(|e| format!("{e:#}"));
        let opts = CreateOptions {
            gate: &store::gate(&dir),
            console_socket: args.console_socket.as_deref(),
            oom_score_adj: oci.oom_score_adj,
            runtime_hooks: any_before_start(&oci.hooks).then_some(&runtime_hooks as _),
            create_container: &oci.hooks.create_container,
            start_container: &oci.hooks.start_container,
        };
        let created = match spawn_created(&oci.plan, &opts) {
            Err(e @ cove_backend_linux::SpawnError::Hook { .. }) => {
                // A failed createRuntime, prestart or createContainer hook:
                // the container is gone; poststop runs as after a delete.
                let stopped = new_record(args, &bundle, &rootfs, &oci, 0).state_json("stopped");
                super::hooks::run_all_warn("poststop", &oci.hooks.poststop, &stopped);
                return Err(e.into());
            }
            other => other?,
        };
        let recorded = record(&dir, args, &bundle, &rootfs, &oci, &created);
        if recorded.is_err() {
            let _ = cove_backend_linux::process::signal(created.pid, 9);
            cove_backend_linux::cgroup::create::Cgroups::remove(created.cgroups);
        }
        recorded
    })();
    if made.is_err() {
        // The backend killed what it started; nothing of the id is left.
        let _ = std::fs::remove_dir_all(&dir);
    }
    made
}

/// The bundle's config as a plan, with the device binds; refuses what cove
/// cannot do before anything of the container exists. Returns the bundle,
/// the plan and the root filesystem directory.
fn prepare(args: &CreateArgs, systemd_cgroup: bool) -> anyhow::Result<(PathBuf, OciPlan, PathBuf)> {
    if systemd_cgroup {
        bail!("--systemd-cgroup is not supported: cove places cgroups itself (podman: --cgroup-manager cgroupfs)");
    }
    if args.preserve_fds > 0 {
        bail!("--preserve-fds {} is not supported yet", args.preserve_fds);
    }
    let bundle = args.bundle.canonicalize().with_context(|| format!("bundle {}", args.bundle.display()))?;
    let config = bundle.join("config.json");
    let text = super::read_json_file(&config)?;
    let spec = cove_core::oci::parse(&text)?;
    let backend = platform::backend();
    let mut oci = cove_core::oci::plan(&spec, &bundle, backend.host_identity())?;
    oci.plan.mounts.extend(super::devices::bind_steps(&oci.devices)?);
    let rootfs = match &oci.plan.root {
        cove_core::plan::RootStep::Bind { source } => source.clone(),
        _ => unreachable!("OCI plans bind the bundle's root"),
    };
    if !rootfs.is_dir() {
        bail!("root.path {}: not a directory", rootfs.display());
    }
    match (oci.plan.process.terminal, &args.console_socket) {
        (true, None) => bail!("process.terminal is true: a --console-socket is needed to receive the terminal"),
        (false, Some(_)) => bail!("--console-socket given but process.terminal is false"),
        _ => {}
    }
    Ok((bundle, oci, rootfs))
}

/// Whether the config has a hook that runs before the process starts.
fn any_before_start(h: &cove_core::oci::Hooks) -> bool {
    [&h.prestart, &h.create_runtime, &h.create_container, &h.start_container].iter().any(|l| !l.is_empty())
}

/// The record of a container whose first process is `pid` (no cgroups yet).
fn new_record(args: &CreateArgs, bundle: &Path, rootfs: &Path, oci: &cove_core::oci::OciPlan, pid: i32) -> Record {
    Record {
        id: args.id.clone(),
        pid,
        start_time: cove_backend_linux::process::start_time(pid).unwrap_or(0),
        bundle: bundle.to_owned(),
        rootfs: rootfs.to_owned(),
        annotations: oci.annotations.clone(),
        cgroups: Vec::new(),
        hooks: oci.hooks.clone(),
    }
}

/// prestart, then createRuntime (as runc: "createRuntime is called
/// immediately after the deprecated prestart"), once the container's
/// namespaces and mounts stand, before its `pivot_root`; the state is
/// recorded first, so `state ID` answers;
/// returns the states for the container's own hooks.
fn runtime_hooks(
    dir: &Path,
    args: &CreateArgs,
    bundle: &Path,
    rootfs: &Path,
    oci: &cove_core::oci::OciPlan,
    pid: i32,
) -> anyhow::Result<(String, String)> {
    let record = new_record(args, bundle, rootfs, oci, pid);
    store::save(dir, &record)?;
    let state = record.state_json("creating");
    // ORDER: prestart, createRuntime; createContainer follows in the container.
    super::hooks::run_all("prestart", &oci.hooks.prestart, &state)?;
    super::hooks::run_all("createRuntime", &oci.hooks.create_runtime, &state)?;
    Ok((state.to_string(), record.state_json("created").to_string()))
}

/// Records the created container and writes `--pid-file`.
fn record(
    dir: &Path,
    args: &CreateArgs,
    bundle: &Path,
    rootfs: &Path,
    oci: &cove_core::oci::OciPlan,
    created: &cove_backend_linux::oci::Created,
) -> anyhow::Result<()> {
    let record = Record { cgroups: created.cgroups.clone(), ..new_record(args, bundle, rootfs, oci, created.pid) };
    store::save(dir, &record)?;
    if let Some(pid_file) = &args.pid_file {
        write_pid_file(pid_file, created.pid)?;
    }
    Ok(())
}

/// The pid as decimal text without a newline (as runc), temp file then rename.
fn write_pid_file(path: &Path, pid: i32) -> anyhow::Result<()> {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.tmp"));
    std::fs::write(&tmp, pid.to_string()).with_context(|| format!("write pid file {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("write pid file {}", path.display()))
}
