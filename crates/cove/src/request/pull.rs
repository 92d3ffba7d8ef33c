//! Pulling for `cove pull` and for `cove run` when the image is missing
//! (or `--pull always`): the reference parsed, the store opened (created
//! when missing), the registry client called with progress, the result
//! printed through `output`.

use super::image::open_store;
use crate::cli::PullPolicy;
use crate::output::{self, PullStream};
use anyhow::Context;
use cove_image::registry::{self, ClientOptions, PlatformSpec, PullOptions, Pulled};
use cove_image::{ImageRecord, ImageStore, Reference};

/// Pulls `name` and prints the status to `stream` (nothing but the name
/// with `quiet`).
pub fn pull(
    name: &str,
    uid: u32,
    platform: Option<&str>,
    quiet: bool,
    stream: PullStream,
) -> anyhow::Result<(ImageStore, Pulled)> {
    let reference = Reference::parse(name).with_context(|| format!("invalid image name {name:?}"))?;
    let platform = platform.map(str::parse::<PlatformSpec>).transpose()?;
    let (store, as_root) = open_store(uid, true)?.expect("created when missing");
    let options = PullOptions { platform, apply_ownership: as_root, client: ClientOptions::from_env() };
    if !quiet {
        output::pull_started(stream, &reference);
    }
    let progress = output::PullProgress::new(stream, quiet);
    let pulled = registry::pull(&store, &reference, &options, &progress)
        .with_context(|| format!("pull {}", reference.familiar()))?;
    drop(progress);
    output::pulled(stream, quiet, &reference, &pulled);
    Ok((store, pulled))
}

/// `cove run` with an image that is not local (or `--pull always`).
pub fn for_run(
    name: &str,
    uid: u32,
    policy: PullPolicy,
    platform: Option<&str>,
    quiet: bool,
) -> anyhow::Result<(ImageStore, ImageRecord)> {
    if policy == PullPolicy::Missing && !quiet {
        output::unable_to_find(name);
    }
    let (store, pulled) = pull(name, uid, platform, quiet, PullStream::Stderr)?;
    Ok((store, pulled.record))
}
