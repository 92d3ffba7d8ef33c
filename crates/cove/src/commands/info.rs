//! `cove info`: what this host can enforce, feature by feature.

use crate::cli::{Format, InfoArgs};
use crate::{output, platform};
use cove_core::backend::Backend;

/// Probes the host and prints the report.
pub fn run(args: InfoArgs) -> anyhow::Result<i32> {
    let backend = platform::backend();
    let mut caps = backend.capabilities();
    caps.facts.push(("image roots".to_owned(), image_roots(backend.host_identity().uid)));
    caps.facts.push(("image owners".to_owned(), image_owners(backend.host_identity().uid)));
    match args.format.as_str() {
        "table" | "" => output::capabilities(Format::Table, &caps)?,
        "json" => output::capabilities(Format::Json, &caps)?,
        template => {
            // Docker's keys that scripts ask for, over the report's own.
            let mut v = serde_json::to_value(&caps)?;
            if let Some(map) = v.as_object_mut() {
                let arch = if cfg!(target_arch = "aarch64") { "aarch64" } else { std::env::consts::ARCH };
                map.insert("ServerVersion".into(), env!("CARGO_PKG_VERSION").into());
                map.insert("OSType".into(), std::env::consts::OS.into());
                map.insert("Architecture".into(), arch.into());
                map.insert("Name".into(), "cove".into());
            }
            println!("{}", output::template::Template::parse(template)?.render(&v));
        }
    }
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

/// Whose files an image's layers become in the caller's store.
fn image_owners(uid: u32) -> String {
    if uid == 0 {
        "kept as in the image (root caller)".to_owned()
    } else if platform::maps_image_ids() {
        "kept as in the image: layers are unpacked in a helper user namespace with the containers' id map \
         (0 -> caller, 1..=65535 -> the first subordinate range)"
            .to_owned()
    } else {
        "owned by the caller: without subordinate id ranges (see id_ranges) every image file belongs to the \
         caller (root inside containers)"
            .to_owned()
    }
}
