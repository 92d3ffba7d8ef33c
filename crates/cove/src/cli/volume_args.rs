//! `cove volume create|ls|inspect|rm|prune` (Docker's flags).

use clap::{Args, Subcommand};

/// `cove volume ...`.
#[derive(Debug, Subcommand)]
pub enum VolumeCommand {
    /// Create a volume (a random name when none is given); prints its name.
    Create(VolumeCreateArgs),
    /// List volumes.
    #[command(alias = "list")]
    Ls(VolumeLsArgs),
    /// Show volumes as JSON (Docker's keys).
    Inspect(VolumeInspectArgs),
    /// Remove volumes (refused while a stored container uses one).
    #[command(alias = "remove")]
    Rm(VolumeRmArgs),
    /// Remove unused volumes (with -a: every unused one; Docker 23+ keeps named ones without it).
    Prune(VolumePruneArgs),
}

/// `cove volume create [NAME]`.
#[derive(Debug, Args)]
pub struct VolumeCreateArgs {
    /// The name ([a-zA-Z0-9][a-zA-Z0-9_.-]+).
    #[arg(value_name = "NAME")]
    pub name: Option<String>,
    /// The volume driver: only local.
    #[arg(short = 'd', long, value_name = "DRIVER", default_value = "local")]
    pub driver: String,
    /// Driver options (none are supported).
    #[arg(short = 'o', long = "opt", value_name = "KEY=VALUE")]
    pub opt: Vec<String>,
    /// Set metadata (KEY=VALUE).
    #[arg(long = "label", value_name = "KEY=VALUE")]
    pub label: Vec<String>,
}

/// `cove volume ls`.
#[derive(Debug, Args)]
pub struct VolumeLsArgs {
    /// Only the names.
    #[arg(short = 'q', long)]
    pub quiet: bool,
    /// Filter: name=PART, label=KEY[=VALUE], dangling=true|false, driver=local.
    #[arg(short = 'f', long = "filter", value_name = "KEY=VALUE")]
    pub filter: Vec<String>,
    /// table, json, or a template such as '{{.Name}}'.
    #[arg(long, default_value = "table")]
    pub format: String,
}

/// `cove volume inspect NAME...`.
#[derive(Debug, Args)]
pub struct VolumeInspectArgs {
    /// A template such as '{{.Mountpoint}}' (default: JSON).
    #[arg(short = 'f', long, value_name = "TEMPLATE")]
    pub format: Option<String>,
    /// The volumes.
    #[arg(required = true, value_name = "VOLUME")]
    pub names: Vec<String>,
}

/// `cove volume rm NAME...`.
#[derive(Debug, Args)]
pub struct VolumeRmArgs {
    /// Also remove volumes in use by stored containers.
    #[arg(short = 'f', long)]
    pub force: bool,
    /// The volumes.
    #[arg(required = true, value_name = "VOLUME")]
    pub names: Vec<String>,
}

/// `cove volume prune`.
#[derive(Debug, Args)]
pub struct VolumePruneArgs {
    /// Remove every unused volume, not only anonymous ones.
    #[arg(short = 'a', long)]
    pub all: bool,
    /// Do not ask (cove never asks).
    #[arg(short = 'f', long)]
    pub force: bool,
    /// Filter: label=KEY[=VALUE].
    #[arg(long = "filter", value_name = "KEY=VALUE")]
    pub filter: Vec<String>,
}

/// `cove version`.
#[derive(Debug, Args)]
pub struct VersionArgs {
    /// table, json, or a template such as '{{.Client.Version}}'.
    #[arg(short = 'f', long, default_value = "table")]
    pub format: String,
}
