//! `cove rmi [-f] IMAGE...` (also `cove image rm`).

use crate::cli::RmiArgs;
use crate::request::image::open_store;
use crate::{output, platform};
use cove_core::backend::Backend;

/// Removes each image in turn; like Docker, goes on after a failure,
/// reports each one and exits 1 when any failed.
pub fn run(args: RmiArgs) -> anyhow::Result<i32> {
    let Some((store, _)) = open_store(platform::backend().host_identity().uid, false)? else {
        for name in &args.images {
            output::error(&anyhow::anyhow!("no such image: {name}"));
        }
        return Ok(1);
    };
    let mut failed = false;
    for name in &args.images {
        match store.remove(name, args.force) {
            Ok(lines) => output::removed(&lines),
            Err(e) => {
                failed = true;
                output::error(&anyhow::Error::new(e));
            }
        }
    }
    Ok(if failed { 1 } else { 0 })
}
