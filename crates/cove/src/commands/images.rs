//! `cove images`: the local store's images.

use crate::cli::ImagesArgs;
use crate::request::image::open_store;
use crate::{output, platform};
use cove_core::backend::Backend;

/// Lists the images.
pub fn run(args: ImagesArgs) -> anyhow::Result<i32> {
    let images = match open_store(platform::backend().host_identity().uid, false)? {
        Some((store, _)) => store.list()?,
        None => Vec::new(),
    };
    output::images(args.format, args.quiet, &images)?;
    Ok(0)
}
