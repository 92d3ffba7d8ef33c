//! `pull`: reference → manifest for the platform → blobs (up to
//! [`PARALLEL`] at a time, each verified) → the shared ingest step that
//! builds the rootfs and writes the image record last.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use super::blob::{self, BlobJob};
use super::manifest::{self, PlatformSpec};
use super::transport::{ClientOptions, Session};
use super::{NoProgress, Progress, RegistryError};
use crate::digest::Digest;
use crate::images::{ImageRecord, ImageStore, IngestOptions};
use crate::oci::Manifest;
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
    download_all(&session, store, &layers, progress)?;
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

/// Downloads `jobs` on up to [`PARALLEL`] threads; the first failure stops
/// the others and is returned.
fn download_all(
    session: &Session,
    store: &ImageStore,
    jobs: &[BlobJob<'_>],
    progress: &dyn Progress,
) -> Result<(), RegistryError> {
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let failure: Mutex<Option<RegistryError>> = Mutex::new(None);
    std::thread::scope(|scope| {
        for _ in 0..PARALLEL.min(jobs.len()) {
            scope.spawn(|| {
                while !stop.load(Ordering::Relaxed) {
                    let Some(job) = jobs.get(next.fetch_add(1, Ordering::Relaxed)) else { return };
                    let bar = progress.blob(&job.digest, job.size);
                    match blob::fetch(session, store.blobs(), job, bar.as_ref(), &stop) {
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
