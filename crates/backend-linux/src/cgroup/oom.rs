//! OOM kills in a container's memory cgroup: the `oom_kill` counter of
//! v1 `memory.oom_control` or v2 `memory.events` (kernel ≥ 4.13). A
//! monitor reads it after the container's first process has ended and
//! before the cgroup is removed, to report Docker's `OOMKilled`.

use super::place::Via;
use std::path::Path;

/// The `oom_kill` count in `memory.oom_control` / `memory.events` text.
pub fn parse_kills(text: &str) -> u64 {
    text.lines().filter_map(|l| l.strip_prefix("oom_kill ")).find_map(|n| n.trim().parse().ok()).unwrap_or(0)
}

/// How many processes the OOM killer killed in the memory cgroup `dir`
/// (0 when the file cannot be read).
pub fn kills(dir: &Path, via: Via) -> u64 {
    let file = match via {
        Via::V1 => "memory.oom_control",
        Via::V2 => "memory.events",
    };
    std::fs::read_to_string(dir.join(file)).map_or(0, |t| parse_kills(&t))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_oom_kills() {
        assert_eq!(parse_kills("oom_kill_disable 0\nunder_oom 0\noom_kill 2\n"), 2);
        assert_eq!(parse_kills("low 0\nhigh 0\nmax 31\noom 1\noom_kill 1\noom_group_kill 0\n"), 1);
        assert_eq!(parse_kills("oom_kill_disable 0\nunder_oom 0\n"), 0);
    }
}
