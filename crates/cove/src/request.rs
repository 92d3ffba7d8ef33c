//! Resolution of raw `cove run` flags into a validated `RunSpec`: files
//! read, names looked up, paths checked. Errors here exit 125 before any
//! container exists.

use crate::cli::RunArgs;
use anyhow::{Context, ensure};
use cove_core::env::{DEFAULT_PATH, Env};
use cove_core::id::ContainerId;
use cove_core::plan::user_database;
use cove_core::rootpath::{normalize, read_in_root};
use cove_core::spec::{MountSpec, ProcessSpec, RootSpec, RootWrites, RunSpec, UserIds};
use cove_core::user;
use std::path::{Path, PathBuf};

pub mod compat;
mod compat_more;
pub mod health;
pub mod image;
mod limits;
mod mounts;
mod network;
pub mod pull;
mod security;

/// Builds the spec for `cove run`, with the hold on its image (if any),
/// which the caller keeps until the container has exited.
pub fn run_spec(args: RunArgs, uid: u32) -> anyhow::Result<(RunSpec, Option<cove_image::hold::Hold>)> {
    let id = ContainerId::generate().map_err(|e| anyhow::anyhow!("generate container id: {e}"))?;
    run_spec_for(args, uid, &id, false)
}

/// Builds the spec for container `id` (its default hostname is the id's
/// short form), with the hold on its image (if any). `stored`: a stored
/// container (`create`, `run -d`), whose copy-fallback root outlives this run.
pub fn run_spec_for(
    mut args: RunArgs,
    uid: u32,
    id: &ContainerId,
    stored: bool,
) -> anyhow::Result<(RunSpec, Option<cove_image::hold::Hold>)> {
    compat::check(&args.compat)?;
    // Without `--` and without --rootfs, the first word names an image.
    let image = if args.rootfs.is_none() && !args.after_dashdash && !args.args.is_empty() {
        let name = args.args.remove(0);
        let stored = stored.then_some(id);
        Some(image::resolve(&name, uid, args.pull, args.platform.as_deref(), args.compat.more.quiet, stored)?)
    } else {
        None
    };
    let defaults = image.as_ref().map(|i| i.config.clone()).unwrap_or_default();
    let is_image = image.is_some();
    let (root, hold) = match image {
        Some(i) => (i.root, Some(i.hold)),
        None => (root_spec(&args)?, None),
    };
    let hostname = match &args.hostname {
        Some(h) => checked_hostname(h)?,
        None if args.compat.uts.as_deref() == Some("host") => compat::host_name()?,
        None => id.short().to_owned(),
    };
    let (mut user, group_db) =
        resolve_user(&root, args.user.as_deref().or(defaults.user.as_deref().filter(|u| !u.is_empty())))?;
    let extra = compat::extra(&args, args.network != Some(crate::cli::Network::Host), &group_db, &mut user)?;
    let workdir = args.workdir.as_ref().or(defaults.working_dir.as_ref().filter(|w| !w.is_empty()));
    let cwd = match workdir {
        Some(w) => normalize(w).with_context(|| format!("invalid --workdir {w:?}: it must be an absolute path"))?,
        None => "/".to_owned(),
    };
    let mut mounts: Vec<MountSpec> = compat::user_mounts(&args, &root)?;
    for t in &args.tmpfs {
        mounts.push(mounts::tmpfs(t)?);
    }
    let env = environment(&args, &hostname, &user, defaults.env.as_deref().unwrap_or_default())?;
    let security = security::spec(&args)?;
    let limits = limits::spec(&args)?;
    let command = image::command(&args, is_image.then_some(&defaults))?;
    let exposed = if args.net.publish_all {
        network::exposed(defaults.exposed_ports.iter().flat_map(|m| m.keys()), &args.compat.expose)?
    } else {
        Vec::new()
    };
    let network = network::mode(args.network, &args.net, is_image || args.rootfs.is_some(), &exposed)?;
    let spec = RunSpec {
        root,
        process: ProcessSpec {
            args: command,
            env,
            cwd,
            user,
            terminal: args.tty,
            stdin: compat::stdin_attached(&args),
        },
        hostname,
        mounts,
        read_only: args.read_only,
        network,
        init: args.init,
        extra,
        security,
        limits,
    };
    Ok((spec, hold))
}

fn root_spec(args: &RunArgs) -> anyhow::Result<RootSpec> {
    let Some(dir) = &args.rootfs else {
        return Ok(RootSpec::HostSystem);
    };
    let meta = std::fs::metadata(dir).with_context(|| format!("--rootfs {}", dir.display()))?;
    ensure!(meta.is_dir(), "--rootfs {}: not a directory", dir.display());
    let path = std::fs::canonicalize(dir).with_context(|| format!("--rootfs {}", dir.display()))?;
    let writes = if args.rootfs_rw { RootWrites::InPlace } else { RootWrites::Throwaway };
    Ok(RootSpec::Directory { path, writes })
}

/// Hostnames as Docker accepts them: letters, digits, `-` and `.`, ≤ 64 bytes.
fn checked_hostname(h: &str) -> anyhow::Result<String> {
    let ok = !h.is_empty()
        && h.len() <= 64
        && h.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
        && !h.starts_with(['-', '.']);
    ensure!(ok, "invalid --hostname {h:?}: use letters, digits, '-' and '.', at most 64 characters");
    Ok(h.to_owned())
}

/// Looks the user up in the container's own user database; also returns
/// that database's `/etc/group` text.
fn resolve_user(root: &RootSpec, spec: Option<&str>) -> anyhow::Result<(UserIds, String)> {
    let (passwd, group) = match root {
        RootSpec::HostSystem => {
            let numeric = |s: Option<&str>| s.and_then(|v| v.parse::<u32>().ok()).unwrap_or(0);
            let (u, g) = match spec.and_then(|s| s.split_once(':')) {
                Some((u, g)) => (numeric(Some(u)), numeric(Some(g))),
                None => (numeric(spec), numeric(spec)),
            };
            user_database(u, g)
        }
        RootSpec::Directory { path, .. } => (read_db(path, "/etc/passwd")?, read_db(path, "/etc/group")?),
        RootSpec::Layers { lowers } => {
            let read = |f| image::read_in_layers(lowers, f).map(Option::unwrap_or_default);
            (read("/etc/passwd")?, read("/etc/group")?)
        }
    };
    let mut ids = user::resolve(spec, &passwd, &group)?;
    if matches!(root, RootSpec::HostSystem) && ids.uid != 0 && ids.home == "/" {
        ids.home = "/home/user".to_owned();
    }
    Ok((ids, group))
}

fn read_db(root: &Path, file: &str) -> anyhow::Result<String> {
    Ok(read_in_root(root, file).with_context(|| format!("read {file} in {}", root.display()))?.unwrap_or_default())
}

/// Docker's order: PATH, the image's Env, HOSTNAME, then the user's
/// settings, then HOME and TERM where still unset.
fn environment(
    args: &RunArgs,
    hostname: &str,
    user: &UserIds,
    image_env: &[String],
) -> anyhow::Result<Vec<(String, String)>> {
    let mut env = Env::default();
    env.set("PATH", DEFAULT_PATH);
    for entry in image_env {
        // A NUL cannot reach execve: refuse it here with a message naming it.
        ensure!(!entry.contains('\0'), "the image's Env entry {entry:?} contains a NUL byte");
        if let Some((k, v)) = entry.split_once('=') {
            env.set(k, v);
        }
    }
    env.set("HOSTNAME", hostname);
    let lookup = |k: &str| std::env::var(k).ok();
    for file in &args.env_file {
        let text = std::fs::read_to_string(file).with_context(|| format!("--env-file {}", file.display()))?;
        env.apply_file(&file.display().to_string(), &text, lookup)?;
    }
    for e in &args.env {
        env.apply_arg(e, lookup)?;
    }
    env.set_default("HOME", &user.home);
    if args.tty {
        env.set_default("TERM", "xterm");
    }
    Ok(env.into_vec())
}

/// An absolute host path for a volume source, checked to exist.
fn host_source(path: &str) -> anyhow::Result<PathBuf> {
    ensure!(
        path.starts_with('/') || (cfg!(windows) && Path::new(path).is_absolute()),
        "invalid volume source {path:?}: use an absolute host path, ./dir, or a volume name"
    );
    let p = PathBuf::from(path);
    let meta = std::fs::metadata(&p).with_context(|| format!("volume source {path}"))?;
    ensure!(
        !is_device(&meta),
        "invalid volume source {path}: a device node (cove has no devices cgroup, so it passes no host devices)\n\
         hint: bind the directory of the data, not a device"
    );
    Ok(p)
}

/// Whether `meta` is a character or block device.
#[cfg(unix)]
fn is_device(meta: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::FileTypeExt;
    meta.file_type().is_char_device() || meta.file_type().is_block_device()
}

/// No device nodes to bind on this OS.
#[cfg(not(unix))]
fn is_device(_meta: &std::fs::Metadata) -> bool {
    false
}

/// `--log-driver`/`--log-opt` of a stored container (`run -d`, `create`).
pub fn log_config(args: &RunArgs) -> anyhow::Result<cove_core::container::log::LogConfig> {
    let c = &args.compat;
    cove_core::container::log::LogConfig::parse(c.log_driver.as_deref(), &c.log_opt, |v| mounts::parse_size(v).ok())
        .map_err(anyhow::Error::msg)
}
