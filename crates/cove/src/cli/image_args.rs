//! Flags of the image verbs: `tag`, `rmi`, `image …`, `system df`.

use super::{Format, ImagesArgs};
use clap::{Args, Subcommand};

/// `cove tag SOURCE TARGET`.
#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  cove tag busybox:latest myrepo/busybox:1.0")]
pub struct TagArgs {
    /// The image (name or id).
    #[arg(value_name = "SOURCE_IMAGE[:TAG]")]
    pub source: String,
    /// The new name.
    #[arg(value_name = "TARGET_IMAGE[:TAG]")]
    pub target: String,
}

/// `cove rmi [-f] IMAGE...`.
///
/// Removes a tag; the image itself (and the layers no other image uses) goes
/// with its last tag. Refused while a running container uses the image.
#[derive(Debug, Args)]
pub struct RmiArgs {
    /// Remove the tags even when a running container uses the image (the
    /// image is then deleted by a later `cove image prune`), and remove an
    /// image id with several tags.
    #[arg(short = 'f', long)]
    pub force: bool,
    /// Images (names or ids).
    #[arg(value_name = "IMAGE", required = true)]
    pub images: Vec<String>,
}

/// `cove image COMMAND`.
#[derive(Debug, Subcommand)]
pub enum ImageCommand {
    /// Show an image's details as JSON (as `docker image inspect`).
    Inspect(ImageInspectArgs),
    /// List images (as `cove images`).
    #[command(alias = "list")]
    Ls(ImagesArgs),
    /// Remove images (as `cove rmi`).
    Rm(RmiArgs),
    /// Remove dangling images (-a: every image not in use), then unused
    /// layers and blobs, and leftovers of killed imports.
    Prune(ImagePruneArgs),
    /// Name an image (as `cove tag`).
    Tag(TagArgs),
}

/// `cove image inspect IMAGE...`.
#[derive(Debug, Args)]
pub struct ImageInspectArgs {
    /// A template such as '{{.Os}}/{{.Architecture}}' (default: JSON).
    #[arg(short = 'f', long, value_name = "TEMPLATE")]
    pub format: Option<String>,
    /// Images (names or ids).
    #[arg(value_name = "IMAGE", required = true)]
    pub images: Vec<String>,
}

/// `cove image prune [-a] [-f]`.
#[derive(Debug, Args)]
pub struct ImagePruneArgs {
    /// Remove every image no running container uses, not only dangling ones.
    #[arg(short = 'a', long)]
    pub all: bool,
    /// Do not ask for confirmation.
    #[arg(short = 'f', long)]
    pub force: bool,
}

/// `cove system COMMAND`.
#[derive(Debug, Subcommand)]
pub enum SystemCommand {
    /// Show disk usage: images, containers, local volumes.
    Df(DfArgs),
    /// Remove stopped containers and dangling images (-a: every unused image).
    Prune(SystemPruneArgs),
}

/// `cove system prune [-a] [-f] [--volumes]`.
#[derive(Debug, Args)]
pub struct SystemPruneArgs {
    /// Remove every image no container uses, not only dangling ones.
    #[arg(short = 'a', long)]
    pub all: bool,
    /// Do not ask for confirmation.
    #[arg(short = 'f', long)]
    pub force: bool,
    /// Anonymous volumes too (Docker 23+); cove's anonymous volumes end with their container, so nothing more goes.
    #[arg(long)]
    pub volumes: bool,
}

/// `cove system df`.
#[derive(Debug, Args)]
pub struct DfArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}
