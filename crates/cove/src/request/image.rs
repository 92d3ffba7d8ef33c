//! Images for `cove run` and the image verbs: where the store lives, and an
//! image's config turned into the run's root and defaults (Docker's rules).

use crate::cli::RunArgs;
use anyhow::{Context, ensure};
use cove_core::spec::{RootSpec, RootWrites};
use cove_image::ImageStore;
use cove_image::oci::RunConfig;
use std::path::PathBuf;

/// The store root: `$COVE_ROOT`, else `/var/lib/cove` for root, else
/// `$XDG_DATA_HOME/cove` or `~/.local/share/cove`.
fn store_root(uid: u32) -> anyhow::Result<PathBuf> {
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
    /// The image's flattened rootfs, with a throwaway write layer.
    pub root: RootSpec,
    /// Entrypoint, Cmd, Env, WorkingDir, User.
    pub config: RunConfig,
}

/// Looks `name` up in the local store (a reference or an id prefix).
pub fn resolve(name: &str, uid: u32) -> anyhow::Result<ImageRun> {
    let found = match open_store(uid, false)? {
        Some((store, _)) => store.find(name).with_context(|| format!("look up image {name:?}"))?.map(|i| (store, i)),
        None => None,
    };
    let (store, image) = found.with_context(|| {
        format!("image not found locally: {name} (pulling from registries is not implemented yet; use cove import)")
    })?;
    let path = store.rootfs(&image);
    ensure!(path.is_dir(), "image {name}: its root filesystem {} is missing (import it again)", path.display());
    Ok(ImageRun { root: RootSpec::Directory { path, writes: RootWrites::Throwaway }, config: image.run_config })
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
