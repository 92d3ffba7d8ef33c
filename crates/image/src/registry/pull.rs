//! `pull`: reference → manifest for the platform → blobs (up to
//! [`PARALLEL`] at a time, each verified, and in a per-layer store each
//! layer unpacked on its download thread right after) → the shared ingest
//! step that builds whatever is still missing and writes the image record
//! last.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use super::blob::{self, BlobJob};
use super::manifest::{self, PlatformSpec};
use super::transport::{ClientOptions, Session};
use super::{NoProgress, Progress, RegistryError};
use crate::digest::Digest;
use crate::images::{ImageRecord, ImageStore, IngestOptions, Storage};
use crate::oci::{ImageConfig, Manifest, chain_id};
use crate::reference::Reference;

/// Layers downloaded at the same time.
pub const PARALLEL: usize = 3;

/// What to pull and how.
#[derive(Debug, Clone, Default)]
pub struct PullOptions {
    /// The platform (default: linux/<host architecture>).
    pub platform: Option<PlatformSpec>,
    /// Keep the layers' owners when unpacking (root callers).
    pub apply_ownership: bool,
    /// How to reach registries.
    pub client: ClientOptions,
}

/// What a pull did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PullStatus {
    /// New content was stored (`Downloaded newer image`).
    Downloaded,
    /// The store already had this manifest for this name (`Image is up to date`).
    UpToDate,
}

/// The result of a pull.
#[derive(Debug, Clone)]
pub struct Pulled {
    /// The image record.
    pub record: ImageRecord,
    /// The digest the reference resolved to (an index or a manifest), as
    /// Docker prints it.
    pub digest: Digest,
    /// Whether anything was downloaded.
    pub status: PullStatus,
}

/// Pulls `reference` into `store`.
pub fn pull(
    store: &ImageStore,
    reference: &Reference,
    options: &PullOptions,
    progress: &dyn Progress,
) -> Result<Pulled, RegistryError> {
    let session = Session::connect(reference.domain(), Some(reference.path()), None, &options.client)?;
    let platform = options.platform.clone().unwrap_or_else(PlatformSpec::host);
    let resolved = manifest::resolve(&session, reference, &platform)?;
    let blobs = store.blobs();
    let (config, layers) = jobs(reference.path(), &resolved.manifest)?;
    let stop = AtomicBool::new(false);
    blob::fetch(&session, blobs, &config, NoProgress.blob(&config.digest, config.size).as_ref(), &stop)?;
    if options.platform.is_some() && resolved.top == resolved.digest {
        // A single-platform image: its config says which platform it is for.
        manifest::check_config_platform(blobs, &config.digest, &platform, reference)?;
    }
    if let Some(existing) = store.find(&reference.to_string())?
        && existing.manifest == resolved.digest.to_string()
        && store.image_root(&existing).is_ok()
    {
        return Ok(Pulled { record: existing, digest: resolved.top, status: PullStatus::UpToDate });
    }
    blob::store_bytes(blobs, &resolved.digest, &resolved.bytes)?;
    let early = early_unpack(store, &config.digest, layers.len(), options.apply_ownership);
    download_all(&session, store, &layers, early.as_ref(), progress)?;
    let opts = IngestOptions { apply_ownership: options.apply_ownership };
    let record = store.ingest(&resolved.digest, Some(reference), &opts)?;
    Ok(Pulled { record, digest: resolved.top, status: PullStatus::Downloaded })
}

/// The config and the layers as download jobs.
fn jobs<'a>(repository: &'a str, manifest: &Manifest) -> Result<(BlobJob<'a>, Vec<BlobJob<'a>>), RegistryError> {
    let job = |what, d: &crate::oci::Descriptor| -> Result<BlobJob<'a>, RegistryError> {
        let digest = d.digest().map_err(|source| RegistryError::BadDigest { what, source })?;
        Ok(BlobJob { what, repository, digest, size: d.size })
    };
    let config = job("config", &manifest.config)?;
    let layers = manifest.layers.iter().map(|l| job("layer", l)).collect::<Result<_, _>>()?;
    Ok((config, layers))
}

/// Where layers can be unpacked on the download threads, each as soon as
/// its blob is verified (per-layer stores: a layer's dir does not depend
/// on the others), so downloads and unpacking overlap and layers unpack in
/// parallel. The ingest afterwards finds the dirs done.
struct EarlyUnpack {
    diff_ids: Vec<Digest>,
    chains: Vec<Digest>,
    own: bool,
}

/// [`EarlyUnpack`] for a per-layer store whose config (already stored)
/// lists one diff id per layer; `None` otherwise (the ingest unpacks, and
/// reports whatever is wrong with the config).
fn early_unpack(store: &ImageStore, config: &Digest, layers: usize, own: bool) -> Option<EarlyUnpack> {
    if store.storage_mode() != Storage::Layers {
        return None;
    }
    let bytes = store.read_blob(config).ok()?;
    let parsed: ImageConfig = serde_json::from_slice(&bytes).ok()?;
    let diff_ids: Vec<Digest> = parsed.rootfs.diff_ids.iter().map(|d| d.parse()).collect::<Result<_, _>>().ok()?;
    if diff_ids.len() != layers {
        return None;
    }
    let chains = (1..=diff_ids.len()).filter_map(|n| chain_id(&diff_ids[..n])).collect();
    Some(EarlyUnpack { diff_ids, chains, own })
}

/// Downloads `jobs` (and unpacks each layer right after its download, see
/// [`EarlyUnpack`]) on up to [`PARALLEL`] threads; the first failure stops
/// the others and is returned.
fn download_all(
    session: &Session,
    store: &ImageStore,
    jobs: &[BlobJob<'_>],
    early: Option<&EarlyUnpack>,
    progress: &dyn Progress,
) -> Result<(), RegistryError> {
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let failure: Mutex<Option<RegistryError>> = Mutex::new(None);
    std::thread::scope(|scope| {
        for _ in 0..PARALLEL.min(jobs.len()) {
            scope.spawn(|| {
                while !stop.load(Ordering::Relaxed) {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(job) = jobs.get(i) else { return };
                    let bar = progress.blob(&job.digest, job.size);
                    let unpack = |e: &EarlyUnpack| {
                        store
                            .build_layer_dir(&job.digest, &e.diff_ids[i], &e.chains[i], e.own)
                            .map_err(RegistryError::from)
                    };
                    let done = blob::fetch(session, store.blobs(), job, bar.as_ref(), &stop)
                        .and_then(|()| early.map_or(Ok(()), unpack));
                    match done {
                        Ok(()) => {}
                        Err(RegistryError::Aborted) => return,
                        Err(e) => {
                            bar.finish("Failed");
                            stop.store(true, Ordering::Relaxed);
                            failure.lock().expect("failure lock").get_or_insert(e);
                            return;
                        }
                    }
                }
            });
        }
    });
    match failure.into_inner().expect("failure lock") {
        Some(e) => Err(e),
        None => Ok(()),
    }
}
