//! `cove system prune`: `container prune`, then `image prune` (with `-a`:
//! every unused image), after one confirmation as Docker asks.

use crate::cli::{ImagePruneArgs, SystemPruneArgs};
use std::io::{BufRead, Write};

/// Prunes stopped containers and unused images.
pub fn run(args: SystemPruneArgs) -> anyhow::Result<i32> {
    if !args.force && !confirm(args.all)? {
        return Ok(0);
    }
    #[cfg(target_os = "linux")]
    super::rm::prune(crate::cli::PruneArgs { force: true, filter: Vec::new() })?;
    super::image::prune(ImagePruneArgs { all: args.all, force: true })
}

fn confirm(all: bool) -> anyhow::Result<bool> {
    let images =
        if all { "all images without at least one container associated to them" } else { "all dangling images" };
    let mut err = std::io::stderr();
    write!(
        err,
        "WARNING! This will remove:\n  - all stopped containers\n  - {images}\nAre you sure you want to continue? [y/N] "
    )?;
    err.flush()?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes"))
}
