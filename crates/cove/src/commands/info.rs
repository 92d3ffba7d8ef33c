//! `cove info`: what this host can enforce, feature by feature.

use crate::cli::InfoArgs;
use crate::{output, platform};
use cove_core::backend::Backend;

/// Probes the host and prints the report.
pub fn run(args: InfoArgs) -> anyhow::Result<i32> {
    let backend = platform::backend();
    let mut caps = backend.capabilities();
    caps.facts.push(("image roots".to_owned(), image_roots(backend.host_identity().uid)));
    output::capabilities(args.format, &caps)?;
    Ok(0)
}

/// How `cove run IMAGE` builds roots in the caller's store.
fn image_roots(uid: u32) -> String {
    if platform::image_copy_fallback() {
        let why = if platform::image_copy_forced() {
            "COVE_IMAGE_ROOT=copy"
        } else {
            "overlayfs cannot be mounted in a user namespace here"
        };
        return format!("private copy per container of the image's merged layers ({why})");
    }
    match crate::request::image::open_store(uid, false) {
        Ok(Some((store, _))) => match store.storage_mode() {
            cove_image::Storage::Layers => {
                format!("overlay of shared per-layer dirs ({}/layers)", store.root().display())
            }
            cove_image::Storage::Flat => format!(
                "flattened copy per image ({}/rootfs): overlay markers cannot be written there",
                store.root().display()
            ),
        },
        Ok(None) => "no image store yet (cove import creates it)".to_owned(),
        Err(e) => format!("image store unusable: {e:#}"),
    }
}
