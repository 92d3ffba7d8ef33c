//! Named volumes (`-v NAME:/path`, `--mount source=NAME`, `cove volume`):
//! one directory per volume under the store, `ROOT/volumes/NAME/` holding
//! `volume.json` (created, labels) and `_data` (what containers see), as
//! Docker's local driver lays them out. A volume is created complete in a
//! temporary directory and renamed into place, so a racing create of the
//! same name finds either nothing or the whole volume.

use crate::request::image::store_root;
use anyhow::{Context, bail, ensure};
use cove_core::container::time;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// One volume as `volume inspect` shows it.
#[derive(Clone, Debug)]
pub struct Volume {
    /// Its name.
    pub name: String,
    /// The directory containers see.
    pub mountpoint: PathBuf,
    /// What `volume.json` holds.
    pub meta: Meta,
}

/// `volume.json`.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Meta {
    /// Unix time in nanoseconds of the create.
    pub created: u64,
    /// `--label`.
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
}

/// The caller's volume directory (`ROOT/volumes`).
pub fn root() -> anyhow::Result<PathBuf> {
    Ok(store_root(caller_uid())?.join("volumes"))
}

fn caller_uid() -> u32 {
    use cove_core::backend::Backend;
    crate::platform::backend().host_identity().uid
}

/// Docker's rule: `[a-zA-Z0-9][a-zA-Z0-9_.-]+`.
pub fn valid_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    name.len() >= 2
        && bytes.next().is_some_and(|b| b.is_ascii_alphanumeric())
        && bytes.all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b))
}

fn check_name(name: &str) -> anyhow::Result<()> {
    ensure!(
        valid_name(name),
        "invalid volume name {name:?}: only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed, at least 2 characters\n\
         hint: to bind a host directory, use an absolute host path (/abs/dir) or ./dir"
    );
    Ok(())
}

/// The volume `name`, if it exists.
pub fn get(name: &str) -> anyhow::Result<Option<Volume>> {
    check_name(name)?;
    load(&root()?, name)
}

fn load(dir: &Path, name: &str) -> anyhow::Result<Option<Volume>> {
    let path = dir.join(name);
    let meta_path = path.join("volume.json");
    let text = match std::fs::read_to_string(&meta_path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e).with_context(|| format!("read volume {}", meta_path.display())),
    };
    let meta = serde_json::from_str(&text).with_context(|| format!("parse volume {}", meta_path.display()))?;
    Ok(Some(Volume { name: name.to_owned(), mountpoint: path.join("_data"), meta }))
}

/// Creates `name` unless it exists (Docker's create is idempotent); a
/// missing name gets a random one. Returns the volume and whether it is new.
pub fn create(name: Option<&str>, labels: BTreeMap<String, String>) -> anyhow::Result<(Volume, bool)> {
    create_filled(name, labels, &|_| Ok(()))
}

/// [`create`], with `fill` writing a new volume's first contents into its
/// data directory before the volume exists under its name.
///
/// ORDER: filled while still in the private temporary directory, so no
/// container (which could plant symlinks there) sees it before it is
/// complete; an existing volume is never filled.
pub fn create_filled(
    name: Option<&str>,
    labels: BTreeMap<String, String>,
    fill: &dyn Fn(&Path) -> anyhow::Result<()>,
) -> anyhow::Result<(Volume, bool)> {
    let name = match name {
        Some(n) => n.to_owned(),
        None => cove_core::id::ContainerId::generate()
            .map_err(|e| anyhow::anyhow!("generate a volume name: {e}"))?
            .as_str()
            .to_owned(),
    };
    check_name(&name)?;
    let dir = root()?;
    if let Some(v) = load(&dir, &name)? {
        return Ok((v, false));
    }
    // The store root itself is created private (0700), as for images.
    crate::request::image::open_store(caller_uid(), true)?;
    std::fs::create_dir_all(&dir).with_context(|| format!("create {}", dir.display()))?;
    let tmp = dir.join(format!(".tmp-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir(&tmp).with_context(|| format!("create {}", tmp.display()))?;
    let built = (|| {
        std::fs::create_dir(tmp.join("_data")).with_context(|| format!("create {}/_data", tmp.display()))?;
        fill(&tmp.join("_data"))?;
        let meta = Meta { created: time::now(), labels };
        let json = serde_json::to_vec_pretty(&meta)?;
        std::fs::write(tmp.join("volume.json"), json).with_context(|| format!("write {}/volume.json", tmp.display()))
    })();
    let renamed = built.and_then(|()| {
        std::fs::rename(&tmp, dir.join(&name)).with_context(|| format!("create volume {}", dir.join(&name).display()))
    });
    if let Err(e) = renamed {
        let _ = std::fs::remove_dir_all(&tmp);
        // A racing create of the same name won: use its volume.
        return load(&dir, &name)?.map(|v| (v, false)).ok_or(e);
    }
    let v = load(&dir, &name)?.with_context(|| format!("volume {name} vanished after its create"))?;
    Ok((v, true))
}

/// Every volume, by name.
pub fn list() -> anyhow::Result<Vec<Volume>> {
    let dir = root()?;
    let entries = match std::fs::read_dir(&dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e).with_context(|| format!("list volumes in {}", dir.display())),
    };
    let mut out = Vec::new();
    for entry in entries {
        let name = entry.with_context(|| format!("list volumes in {}", dir.display()))?.file_name();
        let Some(name) = name.to_str().filter(|n| valid_name(n)) else { continue };
        if let Some(v) = load(&dir, name)? {
            out.push(v);
        }
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

/// Removes the volume and its data: renamed away first, so that no run
/// can pick up a half-deleted volume.
pub fn remove(v: &Volume) -> anyhow::Result<()> {
    let dir = root()?;
    let gone = dir.join(format!(".rm-{}-{}", v.name, std::process::id()));
    std::fs::rename(dir.join(&v.name), &gone).with_context(|| format!("remove volume {}", v.name))?;
    // Files that containers (or the copy-up) gave to subordinate ids go
    // in the containers' user namespace.
    if let Some(store) = mapped_store()? {
        return store.remove_tree(&gone).with_context(|| format!("remove volume data {}", gone.display()));
    }
    std::fs::remove_dir_all(&gone).with_context(|| format!("remove volume data {}", gone.display()))
}

/// The caller's image store when it works in the containers' user
/// namespace (rootless with subordinate ranges); volumes live under its root.
fn mapped_store() -> anyhow::Result<Option<cove_image::ImageStore>> {
    Ok(crate::request::image::open_store(caller_uid(), false)?.map(|(s, _)| s).filter(|s| s.maps_ids()))
}

/// Disk use of the volume's data in bytes.
pub fn size(v: &Volume) -> u64 {
    dir_size(&v.mountpoint)
}

/// Bytes in the regular files under `p` (symlinks not followed).
pub fn dir_size(p: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(p) else { return 0 };
    entries
        .flatten()
        .map(|e| match e.file_type() {
            Ok(t) if t.is_dir() => dir_size(&e.path()),
            Ok(t) if t.is_file() => e.metadata().map_or(0, |m| m.len()),
            _ => 0,
        })
        .sum()
}

/// The volume's data directory for a run, created when missing (Docker
/// creates named volumes on first use).
pub fn for_run(name: &str) -> anyhow::Result<PathBuf> {
    let (v, _) = create(Some(name), BTreeMap::new())?;
    Ok(v.mountpoint)
}

/// Whether `path` is a volume's data directory (then the volume's name).
pub fn name_of(path: &Path) -> Option<String> {
    let dir = root().ok()?;
    let rel = path.strip_prefix(&dir).ok()?;
    let mut parts = rel.components();
    let name = parts.next()?.as_os_str().to_str()?.to_owned();
    (parts.next()?.as_os_str() == "_data" && parts.next().is_none()).then_some(name)
}

/// Docker fills a new volume with what the image has at the mount point.
/// Copied (into the fresh data directory of [`create_filled`]) from the one
/// layer (or root directory) that has files there; refused when several
/// layers would have to be merged.
pub fn copy_up(data: &Path, sources: &[PathBuf], dest: &str) -> anyhow::Result<()> {
    let mut with_files = Vec::new();
    for s in sources {
        let Some(p) = dir_in_image(s, dest)? else { continue };
        if std::fs::read_dir(&p).is_ok_and(|mut r| r.next().is_some()) {
            with_files.push(p);
        }
    }
    match with_files.as_slice() {
        [] => Ok(()),
        // Rootless with subordinate ranges: copied in the containers' user
        // namespace, so the files keep the image's owners.
        [one] => match mapped_store()?.filter(|s| one.starts_with(s.root())) {
            Some(store) => store.copy_tree(one, data).with_context(|| format!("fill volume at {dest}")),
            None => copy_tree(one, data),
        },
        _ => bail!(
            "volume at {dest}: the image's files there come from several layers, which cove cannot merge into a new \
             volume\nhint: bind a host directory there (-v /abs/dir:{dest})"
        ),
    }
}

/// `dest` (a container path) as a directory of the image layer or root
/// directory `source`, reached without following any symlink: a host path
/// opens the image's links against the host's root, so `etc -> /etc` and
/// `-v vol:/etc/ssh` would copy the host's `/etc/ssh` into the volume.
/// `None` when it is not a directory there (a link at the end is left to
/// the mount, which resolves it inside the container's root); an error
/// when a link or `..` is on the way.
pub fn dir_in_image(source: &Path, dest: &str) -> anyhow::Result<Option<PathBuf>> {
    use std::path::Component;
    let mut p = source.to_path_buf();
    let parts: Vec<Component> = Path::new(dest).components().filter(|c| *c != Component::RootDir).collect();
    for (i, part) in parts.iter().enumerate() {
        let Component::Normal(name) = part else {
            bail!("volume at {dest}: only plain names may follow the root (no `.` or `..`)");
        };
        p.push(name);
        match std::fs::symlink_metadata(&p) {
            Err(_) => return Ok(None),
            Ok(m) if m.is_symlink() && i + 1 < parts.len() => bail!(
                "volume at {dest}: {} is a symlink in the image, which cove does not follow to fill a new volume\n\
                 hint: use the link's target as the mount point, or add nocopy (-v NAME:{dest}:nocopy)",
                p.display()
            ),
            Ok(m) if !m.is_dir() => return Ok(None),
            Ok(_) => {}
        }
    }
    Ok(Some(p))
}

/// Copies a directory tree: files, directories and symlinks (never
/// followed) with their modes (and owners when root); other kinds skipped.
fn copy_tree(from: &Path, to: &Path) -> anyhow::Result<()> {
    for entry in std::fs::read_dir(from).with_context(|| format!("read {}", from.display()))? {
        let entry = entry.with_context(|| format!("read {}", from.display()))?;
        let (src, dst) = (entry.path(), to.join(entry.file_name()));
        let meta = std::fs::symlink_metadata(&src).with_context(|| format!("stat {}", src.display()))?;
        let what = || format!("copy {} to {}", src.display(), dst.display());
        if meta.is_dir() {
            std::fs::create_dir(&dst).with_context(what)?;
            copy_tree(&src, &dst)?;
        } else if meta.is_file() {
            std::fs::copy(&src, &dst).with_context(what)?;
        } else if meta.is_symlink() {
            #[cfg(unix)]
            std::os::unix::fs::symlink(std::fs::read_link(&src).with_context(what)?, &dst).with_context(what)?;
            continue;
        } else {
            continue;
        }
        std::fs::set_permissions(&dst, meta.permissions()).with_context(what)?;
        #[cfg(unix)]
        owner(&dst, &meta).with_context(what)?;
    }
    #[cfg(unix)]
    if let Ok(meta) = std::fs::symlink_metadata(from) {
        std::fs::set_permissions(to, meta.permissions()).with_context(|| format!("chmod {}", to.display()))?;
        owner(to, &meta).with_context(|| format!("chown {}", to.display()))?;
    }
    Ok(())
}

/// Root keeps the image's owners; others cannot give files away.
#[cfg(unix)]
fn owner(path: &Path, meta: &std::fs::Metadata) -> std::io::Result<()> {
    use std::os::unix::fs::MetadataExt;
    if caller_uid() != 0 {
        return Ok(());
    }
    std::os::unix::fs::lchown(path, Some(meta.uid()), Some(meta.gid()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        for ok in ["mydata", "db-1", "a.b_c", "0x"] {
            assert!(valid_name(ok), "{ok}");
        }
        for bad in ["", "a", "-x", ".x", "a/b", "..", "a b", "x:y"] {
            assert!(!valid_name(bad), "{bad}");
        }
    }
}
