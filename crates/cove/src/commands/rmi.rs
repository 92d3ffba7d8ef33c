//! `cove rmi [-f] IMAGE...` (also `cove image rm`).

use crate::cli::RmiArgs;
use crate::request::image::open_store;
use crate::{output, platform};
use cove_core::backend::Backend;
use cove_image::ImageStore;
use cove_image::images::ImageUsers;

/// Removes each image in turn; like Docker, goes on after a failure,
/// reports each one and exits 1 when any failed.
pub fn run(args: RmiArgs) -> anyhow::Result<i32> {
    let Some((store, _)) = open_store(platform::backend().host_identity().uid, false)? else {
        // `rmi -f` of an image that does not exist succeeds (Docker).
        if args.force {
            return Ok(0);
        }
        for name in &args.images {
            output::error(&anyhow::anyhow!("No such image: {name}"));
        }
        return Ok(1);
    };
    let users = image_users(&store)?;
    let mut failed = false;
    for name in &args.images {
        match store.remove_unused(name, args.force, &users) {
            Ok(lines) => output::removed(&lines),
            Err(cove_image::ImageError::NotFound(_)) if args.force => {}
            Err(e) => {
                failed = true;
                output::error(&anyhow::Error::new(e));
            }
        }
    }
    Ok(if failed { 1 } else { 0 })
}

/// The images stored containers (any state) use, by id. Records written
/// before the id was kept are matched by the name they were created from.
#[cfg(target_os = "linux")]
pub(super) fn image_users(images: &ImageStore) -> anyhow::Result<ImageUsers> {
    let (store, _) = crate::containers::open()?;
    let mut users = ImageUsers::new();
    for c in store.list()? {
        let id = match c.image_id.is_empty() {
            false => Some(c.image_id.clone()),
            true if c.image.is_empty() => None,
            true => images.find(&c.image).ok().flatten().map(|i| i.id),
        };
        if let Some(id) = id {
            users.entry(id).or_insert_with(|| c.id.short().to_owned());
        }
    }
    Ok(users)
}

/// No stored containers off Linux yet.
#[cfg(not(target_os = "linux"))]
pub(super) fn image_users(_: &ImageStore) -> anyhow::Result<ImageUsers> {
    Ok(ImageUsers::new())
}
