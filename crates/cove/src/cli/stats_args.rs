//! `cove stats` flags.

use clap::Args;

/// `cove stats [-a] [--no-stream] [--format table|json|TEMPLATE] [CONTAINER...]`.
///
/// Live resource usage with Docker's columns: CPU % (of one CPU, over the
/// last second), memory without page cache against the limit (or the
/// host's memory), network I/O of the container's network namespace,
/// block I/O and tasks. Read from the container's cgroups when it has
/// limits, otherwise from its processes.
#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  cove stats\n  cove stats --no-stream --format json web")]
pub struct StatsArgs {
    /// Every container, not only running ones (stopped ones show zeros).
    #[arg(short = 'a', long)]
    pub all: bool,
    /// One reading (a second apart from the first, for CPU %) instead of a live view.
    #[arg(long)]
    pub no_stream: bool,
    /// table, json (one object per container and line), or a template such as
    /// '{{.Name}} {{.CPUPerc}} {{.MemUsage}}'.
    #[arg(long, default_value = "table")]
    pub format: String,
    /// The containers (default: the running ones).
    #[arg(value_name = "CONTAINER")]
    pub containers: Vec<String>,
}
