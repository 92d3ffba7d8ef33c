//! `cove info`: what this host can enforce, feature by feature.

use crate::cli::InfoArgs;
use crate::{output, platform};
use cove_core::backend::Backend;

/// Probes the host and prints the report.
pub fn run(args: InfoArgs) -> anyhow::Result<i32> {
    let caps = platform::backend().capabilities();
    let rows: Vec<Vec<String>> = caps
        .features
        .iter()
        .map(|f| vec![f.key.to_owned(), format!("{:?}", f.status).to_lowercase(), f.detail.clone()])
        .collect();
    output::table_or_json(args.format, &["FEATURE", "STATUS", "DETAIL"], &rows, &caps)?;
    Ok(0)
}
