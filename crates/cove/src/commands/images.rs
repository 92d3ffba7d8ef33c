//! `cove images`: the local store's images.

use crate::cli::ImagesArgs;
use crate::output;
use crate::request::image::open_store;

/// Lists the images.
pub fn run(args: ImagesArgs) -> anyhow::Result<i32> {
    let images = match open_store(false)? {
        Some((store, _)) => store.list()?,
        None => Vec::new(),
    };
    output::images(args.format, args.quiet, &images)?;
    Ok(0)
}
