//! The runtime's state directory: `ROOT/ID/state.json` (written to a temp
//! file and renamed) and `ROOT/ID/start.sock`, the created container's gate.

use anyhow::{Context, bail};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// What `create` records about a container.
#[derive(Debug, Serialize, Deserialize)]
pub struct Record {
    /// The id.
    pub id: String,
    /// The container's first process, as the host numbers it.
    pub pid: i32,
    /// Its start time (`/proc/PID/stat` field 22), so a reused pid is not it.
    pub start_time: u64,
    /// The bundle directory.
    pub bundle: PathBuf,
    /// The root filesystem.
    pub rootfs: PathBuf,
    /// The config's annotations.
    pub annotations: BTreeMap<String, String>,
    /// cgroup directories to remove at `delete`.
    pub cgroups: Vec<PathBuf>,
    /// The config's hooks (poststart and poststop run later).
    #[serde(default)]
    pub hooks: cove_core::oci::Hooks,
}

impl Record {
    /// The runtime-spec state with `status`.
    pub fn state_json(&self, status: &str) -> serde_json::Value {
        let pid = if status == "stopped" { 0 } else { self.pid };
        serde_json::json!({
            "ociVersion": "1.0.2",
            "id": self.id,
            "status": status,
            "pid": pid,
            "bundle": self.bundle,
            "rootfs": self.rootfs,
            "annotations": self.annotations,
        })
    }
}

/// `--root`, or the default for the caller `uid`.
pub fn root_dir(root: Option<&Path>, uid: u32) -> PathBuf {
    if let Some(r) = root {
        return r.to_owned();
    }
    // Root of a user namespace other than the initial one (rootless podman
    // runs its runtime so) cannot write /run: the rootless default applies.
    if uid == 0 && cove_backend_linux::process::in_initial_user_namespace() {
        return PathBuf::from("/run/cove-oci");
    }
    match std::env::var_os("XDG_RUNTIME_DIR").filter(|d| !d.is_empty()) {
        Some(d) => PathBuf::from(d).join("cove-oci"),
        None => PathBuf::from(format!("/tmp/cove-oci-{uid}")),
    }
}

/// Makes sure the default state root (not one given with `--root`) is a
/// directory of `uid` that nobody else can write: without
/// `XDG_RUNTIME_DIR` it sits in the shared `/tmp`, where another user
/// could have made it first and then swap a container's directory for a
/// forged `state.json` (a pid to kill, hooks that `delete` runs).
pub fn check_default_root(root: &Path, uid: u32) -> anyhow::Result<()> {
    use std::os::unix::fs::{DirBuilderExt, MetadataExt};
    match std::fs::DirBuilder::new().mode(0o700).create(root) {
        Err(e) if e.kind() != std::io::ErrorKind::AlreadyExists => {
            return Err(e).with_context(|| format!("create state root {}", root.display()));
        }
        _ => {}
    }
    let meta = std::fs::symlink_metadata(root).with_context(|| format!("stat state root {}", root.display()))?;
    if !meta.is_dir() || meta.uid() != uid || meta.mode() & 0o022 != 0 {
        bail!(
            "state root {} is not a directory of uid {uid} that only it can write (someone else may have made it); \
             remove it, or pass --root",
            root.display()
        );
    }
    Ok(())
}

/// Container ids: a letter or digit, then letters, digits, `_ . + -`.
pub fn check_id(id: &str) -> anyhow::Result<()> {
    let ok_first = id.chars().next().is_some_and(|c| c.is_ascii_alphanumeric());
    let ok_rest = id.chars().all(|c| c.is_ascii_alphanumeric() || "_.+-".contains(c));
    if !ok_first || !ok_rest || id.len() > 1024 {
        bail!("invalid container id {id:?}: use letters, digits and _ . + - (starting with a letter or digit)");
    }
    Ok(())
}

/// A container's directory under the root.
pub fn dir(root: &Path, id: &str) -> anyhow::Result<PathBuf> {
    check_id(id)?;
    Ok(root.join(id))
}

/// Makes a new container's directory (the root too, mode 0700); an id in
/// use is an error.
pub fn make(root: &Path, id: &str) -> anyhow::Result<PathBuf> {
    use std::os::unix::fs::DirBuilderExt;
    let dir = dir(root, id)?;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(root)
        .with_context(|| format!("create state root {}", root.display()))?;
    match std::fs::DirBuilder::new().mode(0o700).create(&dir) {
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => bail!("container with id {id} already exists"),
        other => other.with_context(|| format!("create state directory {}", dir.display()))?,
    }
    Ok(dir)
}

/// Writes the record (temp file, then rename).
pub fn save(dir: &Path, record: &Record) -> anyhow::Result<()> {
    let tmp = dir.join("state.json.tmp");
    let text = serde_json::to_vec_pretty(record)?;
    std::fs::write(&tmp, text).with_context(|| format!("write {}", tmp.display()))?;
    std::fs::rename(&tmp, dir.join("state.json")).with_context(|| format!("rename {}", tmp.display()))
}

/// Reads the record of `id`; an unknown id is an error naming it.
pub fn load(root: &Path, id: &str) -> anyhow::Result<(PathBuf, Record)> {
    let dir = dir(root, id)?;
    let path = dir.join("state.json");
    let text = match std::fs::read(&path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => bail!("container {id} does not exist"),
        other => other.with_context(|| format!("read {}", path.display()))?,
    };
    let record = serde_json::from_slice(&text).with_context(|| format!("parse {}", path.display()))?;
    Ok((dir, record))
}

/// The gate socket of a container directory.
pub fn gate(dir: &Path) -> PathBuf {
    dir.join("start.sock")
}
