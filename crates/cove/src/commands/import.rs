//! `cove import PATH [--tag REF]`: an OCI layout (directory or tarball) or
//! a `docker save` tarball into the store.

use crate::cli::ImportArgs;
use crate::request::image::open_store;
use crate::{output, platform};
use anyhow::Context;
use cove_core::backend::Backend;
use cove_image::Reference;
use cove_image::images::IngestOptions;

/// Imports the images; prints each one's name and id.
pub fn run(args: ImportArgs) -> anyhow::Result<i32> {
    let tag = args.tag.as_deref().map(Reference::parse).transpose().context("invalid --tag")?;
    let (store, as_root) = open_store(platform::backend().host_identity().uid, true)?.expect("created when missing");
    let opts = IngestOptions { apply_ownership: as_root };
    let images =
        store.import(&args.path, tag.as_ref(), &opts).with_context(|| format!("import {}", args.path.display()))?;
    output::imported(&images);
    Ok(0)
}
