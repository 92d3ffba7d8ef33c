//! Images for `cove run` and the image verbs: where the store lives, and an
//! image's config turned into the run's root and defaults (Docker's rules).

use crate::cli::{PullPolicy, RunArgs};
use anyhow::{Context, ensure};
use cove_core::id::ContainerId;
use cove_core::spec::{RootSpec, RootWrites};
use cove_image::hold::{self, Hold};
use cove_image::images::ImageRoot;
use cove_image::oci::RunConfig;
use cove_image::{ImageRecord, ImageStore};
use std::path::PathBuf;

/// The store root: `$COVE_ROOT`, else `/var/lib/cove` for root, else
/// `$XDG_DATA_HOME/cove` or `~/.local/share/cove`.
pub fn store_root(uid: u32) -> anyhow::Result<PathBuf> {
    let set = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty()).map(PathBuf::from);
    if let Some(root) = set("COVE_ROOT") {
        return Ok(root);
    }
    if uid == 0 {
        return Ok(PathBuf::from("/var/lib/cove"));
    }
    if cfg!(windows) {
        let local =
            set("LOCALAPPDATA").context("cannot place the image store: LOCALAPPDATA is not set (set COVE_ROOT)")?;
        return Ok(local.join("cove"));
    }
    if let Some(data) = set("XDG_DATA_HOME").filter(|p| p.is_absolute()) {
        return Ok(data.join("cove"));
    }
    let home = set("HOME").context("cannot place the image store: HOME is not set (set COVE_ROOT)")?;
    Ok(home.join(".local/share/cove"))
}

/// The image store of the caller `uid`, created (mode 0700) when missing
/// unless `create` is false (then `None`); and whether the caller is root
/// (layers then keep their owners).
pub fn open_store(uid: u32, create: bool) -> anyhow::Result<Option<(ImageStore, bool)>> {
    let root = store_root(uid)?;
    if !root.exists() {
        if !create {
            return Ok(None);
        }
        std::fs::create_dir_all(&root).with_context(|| format!("create image store {}", root.display()))?;
        private(&root)?;
    }
    let store = ImageStore::open(&root).with_context(|| format!("open image store {}", root.display()))?;
    // COVE_STORAGE=flat: store new images flattened even where per-layer
    // dirs would work (as podman's vfs driver; for file systems where
    // overlay misbehaves, and to test the fallback).
    let flat = std::env::var("COVE_STORAGE").is_ok_and(|v| v == "flat");
    let store = if flat { store } else { crate::platform::with_overlay_markers(store) };
    // Rootless with subordinate ranges: image owners kept through the
    // containers' id map (a helper in that user namespace unpacks).
    let store = if uid == 0 { store } else { crate::platform::with_id_mapper(store) };
    Ok(Some((store, uid == 0)))
}

/// Unpacking must happen where nobody else can write (see
/// cove_image::unpack): mode 0700.
#[cfg(unix)]
fn private(root: &std::path::Path) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(root, std::fs::Permissions::from_mode(0o700))
        .with_context(|| format!("chmod image store {}", root.display()))
}

/// On Windows the store lives in the caller's profile (below), whose ACL
/// already admits only the caller and the system.
#[cfg(not(unix))]
fn private(_root: &std::path::Path) -> anyhow::Result<()> {
    Ok(())
}

/// A resolved image: the root to run on and the defaults it carries.
pub struct ImageRun {
    /// The image's layers (or flattened tree), with a throwaway write layer.
    pub root: RootSpec,
    /// Entrypoint, Cmd, Env, WorkingDir, User.
    pub config: RunConfig,
    /// Marks the image in use (`cove rmi` refuses it) while the run lasts.
    pub hold: Hold,
}

/// Finds `name` in the local store (a reference or an id prefix).
fn find_local(name: &str, uid: u32) -> anyhow::Result<Option<(ImageStore, ImageRecord)>> {
    Ok(match open_store(uid, false)? {
        Some((store, _)) => store.find(name).with_context(|| format!("look up image {name:?}"))?.map(|i| (store, i)),
        None => None,
    })
}

/// Looks `name` up in the local store (a reference or an id prefix),
/// pulling it first as `policy` says (see `request/pull.rs`), and holds it
/// for the run.
pub fn resolve(
    name: &str,
    uid: u32,
    policy: PullPolicy,
    platform: Option<&str>,
    quiet: bool,
    stored: Option<&ContainerId>,
) -> anyhow::Result<ImageRun> {
    let local = if policy == PullPolicy::Always { None } else { find_local(name, uid)? };
    let (store, image) = match (local, policy) {
        (Some(found), _) => found,
        (None, PullPolicy::Never) => anyhow::bail!("image not found locally: {name} (and --pull never)"),
        (None, _) => super::pull::for_run(name, uid, policy, platform, quiet)?,
    };
    // ORDER: hold first, then check the layers: a removal that started
    // earlier has finished by the time the hold is granted.
    let mut hold = hold::hold(store.root(), image.id_hex()).with_context(|| format!("hold image {name}"))?;
    let root = if let Some(id) = stored.filter(|_| crate::platform::image_copy_fallback()) {
        // A stored container's own copy, kept until `cove rm`.
        let path = store.container_copy(&image, id.as_str()).with_context(|| format!("copy image {name} for {id}"))?;
        RootSpec::Directory { path, writes: RootWrites::InPlace }
    } else if crate::platform::image_copy_fallback() {
        // No overlay in a user namespace: a private copy, gone with the hold.
        let copy = store.copy_root(&image).with_context(|| format!("copy image {name} for this container"))?;
        let path = copy.path().to_owned();
        hold = hold.with_copy(copy);
        RootSpec::Directory { path, writes: RootWrites::InPlace }
    } else {
        match store.image_root(&image).with_context(|| format!("image {name}"))? {
            ImageRoot::Layers(lowers) => RootSpec::Layers { lowers },
            ImageRoot::Flat(path) => RootSpec::Directory { path, writes: RootWrites::Throwaway },
        }
    };
    Ok(ImageRun { root, config: image.run_config, hold })
}

/// Removes the copy-fallback root of the stored container `id`, if any
/// (through the store's user-namespace helper where its files belong to
/// subordinate ids).
pub fn remove_container_copy(id: &ContainerId) -> anyhow::Result<()> {
    let uid = crate::containers::caller_uid();
    if let Some((store, _)) = open_store(uid, false)? {
        store.remove_container_copy(id.as_str()).with_context(|| format!("remove the root copy of {id}"))?;
    }
    Ok(())
}

/// Reads `file` (`/etc/passwd`) through an image's layers, topmost first:
/// the first layer that has it wins; a whiteout hides it.
pub fn read_in_layers(lowers: &[PathBuf], file: &str) -> anyhow::Result<Option<String>> {
    let markers = crate::platform::overlay_markers();
    for lower in lowers {
        let host = lower.join(file.trim_start_matches('/'));
        if markers.as_ref().is_some_and(|m| m.is_whiteout(&host)) {
            return Ok(None);
        }
        if std::fs::symlink_metadata(&host).is_ok() {
            return cove_core::rootpath::read_in_root(lower, file)
                .with_context(|| format!("read {file} in {}", lower.display()));
        }
    }
    Ok(None)
}

/// The id (`sha256:…`) of the local image `name` (a reference or an id
/// prefix); `None` when there is no such image. (Stored containers record
/// it.)
pub fn local_id(name: &str, uid: u32) -> anyhow::Result<Option<String>> {
    Ok(find_local(name, uid)?.map(|(_, image)| image.id))
}

/// The runtime defaults of the local image `name`; `None` when there is no such image.
pub fn local_run_config(name: &str, uid: u32) -> anyhow::Result<Option<RunConfig>> {
    Ok(find_local(name, uid)?.map(|(_, image)| image.run_config))
}

/// Whether `name` is an image in the caller's local store (by reference
/// or id prefix); `false` when there is no store or `name` is no valid
/// reference (it is then a command, not an image).
pub fn exists(name: &str, uid: u32) -> anyhow::Result<bool> {
    match open_store(uid, false)? {
        Some((store, _)) => Ok(store.find(name).ok().flatten().is_some()),
        None => Ok(false),
    }
}

/// The command line, as Docker builds it: `--entrypoint` replaces the
/// image's Entrypoint (and drops its Cmd), words after the image replace
/// Cmd. Without an image, `--entrypoint` goes in front of the command and an
/// empty command is `/bin/sh`.
pub fn command(args: &RunArgs, image: Option<&RunConfig>) -> anyhow::Result<Vec<String>> {
    let flag = args.entrypoint.as_ref().filter(|e| !e.is_empty()).cloned();
    let Some(cfg) = image else {
        let mut argv: Vec<String> = flag.into_iter().chain(args.args.iter().cloned()).collect();
        if argv.is_empty() {
            argv.push("/bin/sh".to_owned());
        }
        return Ok(argv);
    };
    let (entrypoint, default_cmd) = match &args.entrypoint {
        Some(_) => (flag.into_iter().collect(), Vec::new()),
        None => (cfg.entrypoint.clone().unwrap_or_default(), cfg.cmd.clone().unwrap_or_default()),
    };
    let cmd = if args.args.is_empty() { default_cmd } else { args.args.clone() };
    let argv = [entrypoint, cmd].concat();
    ensure!(
        !argv.is_empty(),
        "no command specified: the image has no Entrypoint or Cmd; give one after the image name"
    );
    Ok(argv)
}
