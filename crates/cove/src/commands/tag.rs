//! `cove tag SOURCE TARGET` (also `cove image tag`).

use crate::cli::TagArgs;
use crate::platform;
use crate::request::image::open_store;
use anyhow::Context;
use cove_core::backend::Backend;
use cove_image::Reference;

/// Points TARGET at the image SOURCE names.
pub fn run(args: TagArgs) -> anyhow::Result<i32> {
    let target = Reference::parse(&args.target).with_context(|| format!("invalid target name {:?}", args.target))?;
    let store = open_store(platform::backend().host_identity().uid, false)?
        .map(|(s, _)| s)
        .with_context(|| format!("No such image: {}", args.source))?;
    store.tag(&args.source, &target).with_context(|| format!("tag {} {}", args.source, args.target))?;
    Ok(0)
}
