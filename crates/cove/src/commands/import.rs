//! `cove import PATH [--tag REF]`: an OCI layout directory into the store.

use crate::cli::ImportArgs;
use crate::request::image::open_store;
use crate::{output, platform};
use anyhow::Context;
use cove_core::backend::Backend;
use cove_image::Reference;

/// Imports the layout; prints the image's name and id.
pub fn run(args: ImportArgs) -> anyhow::Result<i32> {
    let tag = args.tag.as_deref().map(Reference::parse).transpose().context("invalid --tag")?;
    let (store, as_root) = open_store(platform::backend().host_identity().uid, true)?.expect("created when missing");
    let image = store
        .import_layout(&args.path, tag.as_ref(), as_root)
        .with_context(|| format!("import {}", args.path.display()))?;
    output::imported(&image);
    Ok(0)
}
