//! `cove pull [-q] [--platform P] REF`: an image from its registry into the store.

use crate::cli::PullArgs;
use crate::output::PullStream;
use crate::platform;
use crate::request::pull::pull;
use cove_core::backend::Backend;

/// Pulls the image; the status goes to stdout, progress to stderr.
pub fn run(args: PullArgs) -> anyhow::Result<i32> {
    let uid = platform::backend().host_identity().uid;
    pull(&args.reference, uid, args.platform.as_deref(), args.quiet, PullStream::Stdout)?;
    Ok(0)
}
