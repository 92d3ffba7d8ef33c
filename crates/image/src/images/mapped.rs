//! Store work done inside the containers' user namespace: where a rootless
//! caller has subordinate id ranges, layers are unpacked, copied and
//! removed by a helper process whose user namespace has the same id map as
//! every container (0 → the caller, 1..=65535 → the first subordinate
//! range). There the helper is root with every capability over the mapped
//! ids, so an image's uid 101 file is owned by uid 101 inside the
//! containers (host uid `start + 100`), setgid bits survive the chown, and
//! removing trees of such files works.
//!
//! Belongs here: the jobs ([`MappedJob`]), the hook the store calls
//! ([`IdMapper`], implemented by the backend, which owns namespaces and
//! the setuid map helpers) and the helper's side ([`ImageStore::serve_mapped`]).
//! The unpacking rules are the same code as without a helper (`unpack.rs`).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::error::io_err;
use super::layers::remove_tree;
use super::{ImageError, ImageStore};
use crate::digest::Digest;

/// One piece of work for the helper. Paths are inside the store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "job", rename_all = "snake_case")]
pub enum MappedJob {
    /// Build `layers/<chain>` from a verified layer blob.
    Layer {
        /// The layer blob.
        layer: String,
        /// Its diff id.
        diff_id: String,
        /// The chain id naming the dir.
        chain: String,
    },
    /// Build the flattened `rootfs/<chain>` from all layers.
    Flat {
        /// The layer blobs, bottom first.
        layers: Vec<String>,
        /// Their diff ids.
        diff_ids: Vec<String>,
    },
    /// Fill the (existing, empty) copy-fallback dir `path` with image `image`.
    Copy {
        /// The image id.
        image: String,
        /// The copy's root.
        path: PathBuf,
    },
    /// Copy the tree `from` into the existing empty dir `to` with owners,
    /// modes and mtimes (a named volume's first contents).
    Tree {
        /// A directory in the store (in a layer).
        from: PathBuf,
        /// A directory in the store (the new volume's data).
        to: PathBuf,
    },
    /// Remove these trees.
    Remove {
        /// Paths in the store.
        paths: Vec<PathBuf>,
    },
}

/// Runs a [`MappedJob`] in a helper process inside a user namespace with
/// the containers' id map. The error is the helper's message.
pub trait IdMapper: Send + Sync {
    /// Runs `job` against the store at `store_root`; returns when the
    /// helper has finished it.
    fn run(&self, store_root: &Path, job: &MappedJob) -> Result<(), String>;
}

impl ImageStore {
    /// Hands layer unpacking, copies and removals to `mapper` (a rootless
    /// caller with subordinate ranges).
    pub fn with_mapper(mut self, mapper: std::sync::Arc<dyn IdMapper>) -> Self {
        self.mapper = Some(mapper);
        self
    }

    /// Whether unpacked files keep their image owners through a helper.
    pub fn maps_ids(&self) -> bool {
        self.mapper.is_some()
    }

    /// The helper's side: does `job` here, keeping every owner (the helper
    /// is root of its namespace). Called on a store opened without a mapper.
    pub fn serve_mapped(&self, job: &MappedJob) -> Result<(), ImageError> {
        let parse = |what, d: &String| super::ingest::digest(what, d);
        match job {
            MappedJob::Layer { layer, diff_id, chain } => self.build_layer_dir(
                &parse("layer", layer)?,
                &parse("diff id", diff_id)?,
                &parse("chain", chain)?,
                true,
            ),
            MappedJob::Flat { layers, diff_ids } => {
                let layers: Vec<Digest> = layers.iter().map(|l| parse("layer", l)).collect::<Result<_, _>>()?;
                let ids: Vec<Digest> = diff_ids.iter().map(|d| parse("diff id", d)).collect::<Result<_, _>>()?;
                self.build_flat(&layers, &ids, true)
            }
            MappedJob::Copy { image, path } => {
                let record = self.get(image)?;
                self.fill_copy(&record, self.inside(path)?)
            }
            MappedJob::Tree { from, to } => self.copy_tree_here(self.inside(from)?, self.inside(to)?),
            MappedJob::Remove { paths } => paths.iter().try_for_each(|p| {
                let p = self.inside(p)?;
                remove_tree(p).map_err(io_err("remove", p))
            }),
        }
    }

    /// Refuses a path outside the store (the helper acts only on the store).
    fn inside<'a>(&self, path: &'a Path) -> Result<&'a Path, ImageError> {
        let ok = path.starts_with(&self.root)
            && path.components().all(|c| !matches!(c, std::path::Component::ParentDir))
            && path != self.root;
        if ok {
            Ok(path)
        } else {
            let source = std::io::Error::new(std::io::ErrorKind::InvalidInput, "not inside the image store");
            Err(ImageError::Io { op: "helper job on", path: path.to_owned(), source })
        }
    }

    /// Sends `job` to the helper, or `None` without one.
    pub(crate) fn delegate(&self, job: &MappedJob) -> Option<Result<(), ImageError>> {
        let mapper = self.mapper.as_ref()?;
        Some(mapper.run(&self.root, job).map_err(|message| ImageError::Mapped { message }))
    }

    /// Copies the tree `from` into the empty directory `to`, both in the
    /// store, keeping owners (through the helper when there is one: the
    /// files may belong to subordinate ids). Whiteout markers are not copied.
    pub fn copy_tree(&self, from: &Path, to: &Path) -> Result<(), ImageError> {
        match self.delegate(&MappedJob::Tree { from: from.to_owned(), to: to.to_owned() }) {
            Some(done) => done,
            None => self.copy_tree_here(from, to),
        }
    }

    /// Removes the tree `path` under the store root (a volume's data)
    /// through the helper when there is one.
    pub fn remove_tree(&self, path: &Path) -> Result<(), ImageError> {
        self.inside(path)?;
        self.remove_trees(vec![path.to_owned()])
    }

    /// Removes the trees `paths` (through the helper when there is one:
    /// their files may belong to subordinate ids).
    pub(crate) fn remove_trees(&self, paths: Vec<PathBuf>) -> Result<(), ImageError> {
        if paths.is_empty() {
            return Ok(());
        }
        if let Some(done) = self.delegate(&MappedJob::Remove { paths: paths.clone() }) {
            return done;
        }
        paths.iter().try_for_each(|p| remove_tree(p).map_err(io_err("remove", p)))
    }
}
