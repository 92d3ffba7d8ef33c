//! `cove info`: what this host can enforce, feature by feature.

use crate::cli::InfoArgs;
use crate::{output, platform};
use cove_core::backend::Backend;

/// Probes the host and prints the report.
pub fn run(args: InfoArgs) -> anyhow::Result<i32> {
    let caps = platform::backend().capabilities();
    output::capabilities(args.format, &caps)?;
    Ok(0)
}
