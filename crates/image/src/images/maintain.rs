//! Tagging, removing and pruning images, and what the store occupies.
//! Whether a layer or blob is still needed is derived from the records
//! every time (no stored reference counts that could drift); whether an
//! image is in use comes from [`crate::hold`].

use std::collections::{HashMap, HashSet};
use std::fs;
use std::path::Path;
use std::time::{Duration, SystemTime};

use super::layers::{COPIES, FLAT, LAYERS, LOCK_SUFFIX, TEMP_PREFIX, chain_ids, lock_path};
use super::record::{ImageRecord, Records, familiar_parts};
use super::{ImageError, ImageStore, RECORDS, find_in};
use crate::digest::Digest;
use crate::hold;
use crate::reference::Reference;

/// Temp dirs and files younger than this are never removed (their writer
/// may still run in a pid namespace where its pid means nothing to us).
pub const STALE_AFTER: Duration = Duration::from_secs(10 * 60);
/// Where tarball imports unpack before reading.
pub(crate) const IMPORT_TMP: &str = "tmp";

/// Images stored containers use: image id (`sha256:…`) → the short id
/// of one container using it. Kept by the container store, handed in.
pub type ImageUsers = HashMap<String, String>;

/// One line of `rmi`/`prune` output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Removed {
    /// A tag removed (`busybox:latest`).
    Untagged(String),
    /// An image deleted (its id).
    Deleted(String),
}

/// What `prune` did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PruneReport {
    /// Tags and images removed.
    pub removed: Vec<Removed>,
    /// Bytes freed (apparent sizes).
    pub reclaimed: u64,
}

/// What the store occupies (`cove system df`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DiskUsage {
    /// Images.
    pub images: usize,
    /// Images a running container holds.
    pub active: usize,
    /// Bytes of layers, flattened trees and blobs (apparent sizes).
    pub size: u64,
    /// Bytes that removing every image not in use would free.
    pub reclaimable: u64,
}

impl ImageStore {
    /// `cove tag SRC DST`: points `dst` at the image `src` names.
    pub fn tag(&self, src: &str, dst: &Reference) -> Result<ImageRecord, ImageError> {
        let lock = self.records.lock()?;
        let mut records = self.records.read::<Records>(RECORDS)?.unwrap_or_default();
        let id = find_in(&records.images, src)?.ok_or_else(|| ImageError::NotFound(src.to_owned()))?.id.clone();
        records.move_tag(&dst.to_string(), &id);
        self.records.write(&lock, RECORDS, &records)?;
        Ok(records.images.into_iter().find(|i| i.id == id).expect("tagged image exists"))
    }

    /// `cove rmi [-f] NAME`: removes the tag `name`, or every tag of the id
    /// `name`; deletes the image (and the layers and blobs no other image
    /// needs) once no tag is left. Refused while a container holds the
    /// image, unless `force` (then only the tags go; the image stays,
    /// dangling, for prune).
    pub fn remove(&self, name: &str, force: bool) -> Result<Vec<Removed>, ImageError> {
        self.remove_unused(name, force, &ImageUsers::new())
    }

    /// [`Self::remove`], also refusing (unless `force`) the last reference
    /// to an image one of `users` (stored containers) uses; with `force`
    /// the tags go and the image stays, dangling, while it is used.
    pub fn remove_unused(&self, name: &str, force: bool, users: &ImageUsers) -> Result<Vec<Removed>, ImageError> {
        let lock = self.records.lock()?;
        let mut records = self.records.read::<Records>(RECORDS)?.unwrap_or_default();
        let image = find_in(&records.images, name)?.ok_or_else(|| ImageError::NotFound(name.to_owned()))?.clone();
        let by_tag = Reference::parse(name).ok().map(|r| r.to_string()).filter(|t| image.tags.contains(t));
        let untag: Vec<String> = match &by_tag {
            Some(tag) => vec![tag.clone()],
            None if image.tags.len() > 1 && !force => {
                let tags = image.familiar_tags().join(", ");
                return Err(ImageError::MultipleTags { name: name.to_owned(), tags });
            }
            None => image.tags.clone(),
        };
        let mut removed: Vec<Removed> = untag.iter().map(|t| Removed::Untagged(display_tag(t))).collect();
        let last = untag.len() == image.tags.len();
        let guard =
            hold::try_exclusive(&self.root, image.id_hex()).map_err(super::error::io_err("lock", &self.root))?;
        if last && guard.is_none() && !force {
            return Err(ImageError::InUse { name: name.to_owned(), id: image.short_id().to_owned() });
        }
        let user = users.get(&image.id);
        if let (true, Some(container), false) = (last, user, force) {
            let (name, container, id) = (name.to_owned(), container.clone(), image.short_id().to_owned());
            return Err(ImageError::UsedByContainer { name, container, id });
        }
        let entry = records.images.iter_mut().find(|i| i.id == image.id).expect("found above");
        entry.tags.retain(|t| !untag.contains(t));
        let delete = last && guard.is_some() && user.is_none();
        if delete {
            records.images.retain(|i| i.id != image.id);
            removed.push(Removed::Deleted(image.id.clone()));
        }
        // ORDER: the records first, then the files: a crash in between
        // leaves unreferenced files for prune, never a record without files.
        self.records.write(&lock, RECORDS, &records)?;
        if delete {
            hold::forget(&self.root, image.id_hex());
            self.collect_garbage(&records)?;
        }
        Ok(removed)
    }

    /// `cove image prune [-a]`: deletes dangling images (with `all`, every
    /// image) that no container holds, then layers and blobs no image
    /// needs, then what killed pulls and imports left (see
    /// `remove_stale_temps`).
    pub fn prune(&self, all: bool) -> Result<PruneReport, ImageError> {
        self.prune_unused(all, &ImageUsers::new())
    }

    /// [`Self::prune`], keeping also the images `users` (stored containers)
    /// use.
    pub fn prune_unused(&self, all: bool, users: &ImageUsers) -> Result<PruneReport, ImageError> {
        let lock = self.records.lock()?;
        let mut records = self.records.read::<Records>(RECORDS)?.unwrap_or_default();
        let mut report = PruneReport::default();
        let mut guards = Vec::new();
        let mut keep = Vec::new();
        for image in std::mem::take(&mut records.images) {
            let wanted = (image.tags.is_empty() || all) && !users.contains_key(&image.id);
            let guard = if wanted { hold::try_exclusive(&self.root, image.id_hex()).ok().flatten() } else { None };
            match guard {
                Some(g) => {
                    report.removed.extend(image.tags.iter().map(|t| Removed::Untagged(display_tag(t))));
                    report.removed.push(Removed::Deleted(image.id.clone()));
                    hold::forget(&self.root, image.id_hex());
                    guards.push(g);
                }
                None => keep.push(image),
            }
        }
        records.images = keep;
        self.records.write(&lock, RECORDS, &records)?;
        report.reclaimed = self.collect_garbage(&records)?;
        report.reclaimed += self.remove_stale_temps(STALE_AFTER)?;
        Ok(report)
    }

    /// Sizes for `cove system df`.
    pub fn disk_usage(&self) -> Result<DiskUsage, ImageError> {
        let images = self.list()?;
        let active: Vec<&ImageRecord> =
            images.iter().filter(|i| hold::in_use(&self.root, i.id_hex()).unwrap_or(false)).collect();
        let (all_dirs, all_blobs) = needed(&images);
        let (active_dirs, active_blobs) = needed(&active.iter().map(|i| (*i).clone()).collect::<Vec<_>>());
        let mut usage = DiskUsage { images: images.len(), active: active.len(), ..DiskUsage::default() };
        for dir in &all_dirs {
            let size = tree_size(&self.root.join(dir));
            usage.size += size;
            if !active_dirs.contains(dir) {
                usage.reclaimable += size;
            }
        }
        for (digest, size) in self.blobs.list().map_err(|source| ImageError::BlobStore { op: "list blobs", source })? {
            if all_blobs.contains(&digest.to_string()) {
                usage.size += size;
                if !active_blobs.contains(&digest.to_string()) {
                    usage.reclaimable += size;
                }
            }
        }
        Ok(usage)
    }

    /// Deletes layer dirs, flattened trees and blobs that no record needs;
    /// returns the bytes freed. Call with the records lock held.
    fn collect_garbage(&self, records: &Records) -> Result<u64, ImageError> {
        let (dirs, blobs) = needed(&records.images);
        let mut freed = 0;
        let mut unused = Vec::new();
        for kind in [LAYERS, FLAT] {
            let Ok(entries) = fs::read_dir(self.root.join(kind)) else { continue };
            for entry in entries.flatten() {
                let name = entry.file_name().to_string_lossy().into_owned();
                if name.starts_with(TEMP_PREFIX) || dirs.contains(&format!("{kind}/{name}")) {
                    continue;
                }
                freed += tree_size(&entry.path());
                unused.push(entry.path());
            }
        }
        self.remove_trees(unused)?;
        let blob_err = |source| ImageError::BlobStore { op: "remove unused blobs", source };
        for (digest, size) in self.blobs.list().map_err(blob_err)? {
            // A blob this young may belong to a pull or import that has not
            // taken the records lock yet: leave it for a later prune.
            let young = !is_stale(&self.blobs.path(&digest), "", STALE_AFTER);
            if !blobs.contains(&digest.to_string()) && !young {
                self.blobs.remove(&digest).map_err(blob_err)?;
                freed += size;
            }
        }
        Ok(freed)
    }

    /// Removes what killed pulls and imports left: partial downloads no
    /// pull holds locked, temp dirs (layers, flattened trees) whose
    /// writer's lock is free, and blob temps and lock-less temp dirs
    /// (tarball imports) older than `age` whose writer is gone; returns the
    /// bytes freed.
    pub(crate) fn remove_stale_temps(&self, age: Duration) -> Result<u64, ImageError> {
        let blob_err = |source| ImageError::BlobStore { op: "remove stale blob temps", source };
        self.blobs.gc_temp(age).map_err(blob_err)?;
        let mut freed = self.blobs.gc_partial().map_err(blob_err)?;
        for kind in [LAYERS, FLAT, IMPORT_TMP, COPIES] {
            let Ok(entries) = fs::read_dir(self.root.join(kind)) else { continue };
            for entry in entries.flatten() {
                let name = entry.file_name().to_string_lossy().into_owned();
                let path = entry.path();
                if !name.starts_with(TEMP_PREFIX) {
                    continue;
                }
                if let Some(dir) = name.strip_suffix(LOCK_SUFFIX) {
                    // A lock whose dir was published or removed: only when free.
                    if !path.with_file_name(dir).exists() && try_lock(&path) == Some(true) {
                        let _ = fs::remove_file(&path);
                    }
                    continue;
                }
                let lock = lock_path(&path);
                let stale = match try_lock(&lock) {
                    Some(free) => free,
                    None => is_stale(&path, &name, age),
                };
                if stale {
                    freed += tree_size(&path);
                    // Best effort: a leftover that cannot be removed must not block imports.
                    let _ = self.remove_trees(vec![path.clone()]);
                    let _ = fs::remove_file(&lock);
                }
            }
        }
        Ok(freed)
    }
}

/// `docker.io/library/busybox:1` → `busybox:1`.
fn display_tag(tag: &str) -> String {
    let (repo, t) = familiar_parts(tag);
    format!("{repo}:{t}")
}

/// Whether the lock file at `path` is free (its writer is gone): `None`
/// when there is no such file. A free lock is released again at once.
fn try_lock(path: &Path) -> Option<bool> {
    let file = fs::OpenOptions::new().write(true).open(path).ok()?;
    Some(file.try_lock().is_ok())
}

/// Old enough, and the pid at the end of its name (`.tmp-…-<pid>`) is not
/// a running process.
fn is_stale(path: &Path, name: &str, age: Duration) -> bool {
    let old = fs::symlink_metadata(path)
        .and_then(|m| m.modified())
        .map(|t| SystemTime::now().duration_since(t).unwrap_or_default() >= age)
        .unwrap_or(true);
    let pid = name.rsplit('-').next().and_then(|p| p.parse::<u32>().ok());
    let alive = pid.is_some_and(|p| Path::new("/proc").join(p.to_string()).exists());
    old && !alive
}

/// The directories (`layers/<hex>`, `rootfs/<hex>`) and blobs `images` need.
fn needed(images: &[ImageRecord]) -> (HashSet<String>, HashSet<String>) {
    let mut dirs = HashSet::new();
    let mut blobs = HashSet::new();
    for image in images {
        let ids: Vec<Digest> = image.diff_ids.iter().filter_map(|d| d.parse().ok()).collect();
        match image.storage {
            super::Storage::Layers => dirs.extend(chain_ids(&ids).iter().map(|c| format!("{LAYERS}/{}", c.hex()))),
            super::Storage::Flat => {
                dirs.extend(crate::oci::chain_id(&ids).map(|c| format!("{FLAT}/{}", c.hex())));
            }
        }
        blobs.insert(image.manifest.clone());
        blobs.insert(image.id.clone());
        blobs.extend(image.layers.iter().cloned());
    }
    (dirs, blobs)
}

/// Apparent size of a tree, not following symlinks.
fn tree_size(path: &Path) -> u64 {
    let Ok(meta) = fs::symlink_metadata(path) else { return 0 };
    if !meta.is_dir() {
        return meta.len();
    }
    fs::read_dir(path).map(|it| it.flatten().map(|e| tree_size(&e.path())).sum()).unwrap_or(0)
}
