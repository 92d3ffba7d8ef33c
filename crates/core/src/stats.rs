//! Resource usage of a running container, one schema for every backend
//! (Linux: cgroup and netns counters or `/proc`; Windows: Job Object
//! accounting; macOS: rusage), and the arithmetic `cove stats` prints with
//! Docker's columns (CPU %, MEM USAGE / LIMIT, MEM %, NET I/O, BLOCK I/O,
//! PIDS).

use serde::{Deserialize, Serialize};

/// Cumulative counters of one container at one moment.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    /// CPU time used by all its processes so far, in nanoseconds.
    pub cpu_ns: u64,
    /// Memory in use without the reclaimable page cache, in bytes.
    pub memory: u64,
    /// Its memory limit, or the host's memory when it has none, in bytes.
    pub memory_limit: u64,
    /// Tasks (processes and threads).
    pub pids: u64,
    /// Bytes received on its network interfaces (loopback not counted).
    pub net_rx: u64,
    /// Bytes sent on its network interfaces (loopback not counted).
    pub net_tx: u64,
    /// Bytes read from block devices.
    pub block_read: u64,
    /// Bytes written to block devices.
    pub block_write: u64,
}

/// [`Usage`] with the time it was read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sample {
    /// A monotonic clock reading, in nanoseconds (only differences count).
    pub at_ns: u64,
    /// The counters.
    pub usage: Usage,
}

/// CPU use between two samples, in percent of one CPU (Docker's: 200 % is
/// two CPUs busy). 0 when no time passed.
pub fn cpu_percent(prev: &Sample, cur: &Sample) -> f64 {
    let wall = cur.at_ns.saturating_sub(prev.at_ns);
    if wall == 0 {
        return 0.0;
    }
    cur.usage.cpu_ns.saturating_sub(prev.usage.cpu_ns) as f64 * 100.0 / wall as f64
}

/// Memory use in percent of the limit.
pub fn memory_percent(u: &Usage) -> f64 {
    if u.memory_limit == 0 { 0.0 } else { u.memory as f64 * 100.0 / u.memory_limit as f64 }
}

/// Binary units as Docker prints memory (`12.5MiB`).
pub fn binary_size(bytes: u64) -> String {
    scaled(bytes, 1024.0, &["B", "KiB", "MiB", "GiB", "TiB", "PiB"])
}

/// Decimal units as Docker prints I/O (`1.2MB`, `0B`).
pub fn decimal_size(bytes: u64) -> String {
    scaled(bytes, 1000.0, &["B", "kB", "MB", "GB", "TB", "PB"])
}

fn scaled(bytes: u64, base: f64, units: &[&str]) -> String {
    let mut v = bytes as f64;
    let mut i = 0;
    while v >= base && i + 1 < units.len() {
        v /= base;
        i += 1;
    }
    if i == 0 { format!("{bytes}{}", units[0]) } else { format!("{}{}", three_digits(v), units[i]) }
}

/// Up to four significant digits, as Go's `%.4g` (`12.5`, `1023`, `1.001`).
fn three_digits(v: f64) -> String {
    let decimals = if v >= 1000.0 {
        0
    } else if v >= 100.0 {
        1
    } else if v >= 10.0 {
        2
    } else {
        3
    };
    let s = format!("{v:.decimals$}");
    if s.contains('.') { s.trim_end_matches('0').trim_end_matches('.').to_owned() } else { s }
}

/// One row of `cove stats`, as Docker's `--format json` names its fields.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Row {
    /// The short container id.
    #[serde(rename = "ID")]
    pub id: String,
    /// The container's name.
    pub name: String,
    /// `12.34%`.
    #[serde(rename = "CPUPerc")]
    pub cpu_perc: String,
    /// `12MiB / 1GiB`.
    pub mem_usage: String,
    /// `1.17%`.
    pub mem_perc: String,
    /// `1.2kB / 0B`.
    #[serde(rename = "NetIO")]
    pub net_io: String,
    /// `0B / 4.1MB`.
    #[serde(rename = "BlockIO")]
    pub block_io: String,
    /// `3`.
    #[serde(rename = "PIDs")]
    pub pids: String,
}

impl Row {
    /// The row for a container from two samples (`prev` `None`: CPU 0 %).
    pub fn new(id: &str, name: &str, prev: Option<&Sample>, cur: &Sample) -> Row {
        let u = &cur.usage;
        Row {
            id: id.to_owned(),
            name: name.to_owned(),
            cpu_perc: format!("{:.2}%", prev.map_or(0.0, |p| cpu_percent(p, cur))),
            mem_usage: format!("{} / {}", binary_size(u.memory), binary_size(u.memory_limit)),
            mem_perc: format!("{:.2}%", memory_percent(u)),
            net_io: format!("{} / {}", decimal_size(u.net_rx), decimal_size(u.net_tx)),
            block_io: format!("{} / {}", decimal_size(u.block_read), decimal_size(u.block_write)),
            pids: u.pids.to_string(),
        }
    }

    /// The cells in Docker's column order (see [`HEADER`]).
    pub fn cells(&self) -> Vec<String> {
        let r = self.clone();
        vec![r.id, r.name, r.cpu_perc, r.mem_usage, r.mem_perc, r.net_io, r.block_io, r.pids]
    }
}

/// Docker's `stats` columns.
pub const HEADER: [&str; 8] =
    ["CONTAINER ID", "NAME", "CPU %", "MEM USAGE / LIMIT", "MEM %", "NET I/O", "BLOCK I/O", "PIDS"];

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(at_ns: u64, cpu_ns: u64) -> Sample {
        Sample { at_ns, usage: Usage { cpu_ns, memory: 16 << 20, memory_limit: 64 << 20, ..Default::default() } }
    }

    #[test]
    fn cpu_percent_is_of_one_cpu() {
        assert_eq!(cpu_percent(&sample(0, 0), &sample(1_000_000_000, 500_000_000)), 50.0);
        assert_eq!(cpu_percent(&sample(0, 0), &sample(1_000_000_000, 2_000_000_000)), 200.0);
        assert_eq!(cpu_percent(&sample(5, 0), &sample(5, 10)), 0.0);
    }

    #[test]
    fn sizes_as_docker_prints_them() {
        assert_eq!(binary_size(0), "0B");
        assert_eq!(binary_size(16 << 20), "16MiB");
        assert_eq!(binary_size(1536), "1.5KiB");
        assert_eq!(decimal_size(1_234_000), "1.234MB");
        assert_eq!(decimal_size(999), "999B");
        assert_eq!(decimal_size(12_500), "12.5kB");
    }

    #[test]
    fn a_row_in_dockers_columns() {
        let row = Row::new("abc", "web", Some(&sample(0, 0)), &sample(1_000_000_000, 250_000_000));
        assert_eq!(row.cells(), ["abc", "web", "25.00%", "16MiB / 64MiB", "25.00%", "0B / 0B", "0B / 0B", "0"]);
        let json = serde_json::to_value(&row).unwrap();
        assert_eq!(json["CPUPerc"], "25.00%");
        assert_eq!(json["MemUsage"], "16MiB / 64MiB");
        assert_eq!(json["PIDs"], "0");
        assert_eq!(Row::new("a", "b", None, &sample(1, 1)).cpu_perc, "0.00%");
    }
}
