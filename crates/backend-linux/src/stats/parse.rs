//! Pure parsers for the counter files `stats` reads: cgroup v1/v2 files,
//! `/proc/PID/stat`, `status`, `io`, `net/dev` and `/proc/meminfo`.

/// The value of `key` in a flat keyed file (`key value` lines: v2
/// `cpu.stat`, `memory.stat`, `/proc/PID/io` with `key: value`).
pub fn keyed(text: &str, key: &str) -> Option<u64> {
    text.lines().find_map(|l| {
        let (k, v) = l.split_once([' ', ':'])?;
        (k == key).then(|| v.split_whitespace().next()?.parse().ok()).flatten()
    })
}

/// A single number, or `None` for `max` and unreadable text.
pub fn number(text: &str) -> Option<u64> {
    text.trim().parse().ok()
}

/// v2 `io.stat`: summed `rbytes=` and `wbytes=` over all devices.
pub fn io_stat(text: &str) -> (u64, u64) {
    let mut rw = (0, 0);
    for field in text.split_whitespace() {
        if let Some(v) = field.strip_prefix("rbytes=") {
            rw.0 += v.parse::<u64>().unwrap_or(0);
        } else if let Some(v) = field.strip_prefix("wbytes=") {
            rw.1 += v.parse::<u64>().unwrap_or(0);
        }
    }
    rw
}

/// v1 `blkio.throttle.io_service_bytes_recursive`: summed `Read` and
/// `Write` lines (`MAJ:MIN Read N`).
pub fn blkio(text: &str) -> (u64, u64) {
    let mut rw = (0, 0);
    for line in text.lines() {
        let f: Vec<&str> = line.split_whitespace().collect();
        match (f.get(1), f.get(2).and_then(|v| v.parse::<u64>().ok())) {
            (Some(&"Read"), Some(n)) => rw.0 += n,
            (Some(&"Write"), Some(n)) => rw.1 += n,
            _ => {}
        }
    }
    rw
}

/// `/proc/PID/stat`: (ppid, utime + stime + cutime + cstime in clock ticks).
pub fn proc_stat(text: &str) -> Option<(i32, u64)> {
    let after = &text[text.rfind(')')? + 1..];
    let f: Vec<&str> = after.split_whitespace().collect();
    let ppid = f.get(1)?.parse().ok()?;
    let ticks = (11..15).map(|i| f.get(i).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0)).sum();
    Some((ppid, ticks))
}

/// `/proc/PID/net/dev`: received and sent bytes of every interface but `lo`.
pub fn net_dev(text: &str) -> (u64, u64) {
    let mut rxtx = (0, 0);
    for line in text.lines().skip(2) {
        let Some((name, rest)) = line.split_once(':') else { continue };
        if name.trim() == "lo" {
            continue;
        }
        let f: Vec<u64> = rest.split_whitespace().filter_map(|v| v.parse().ok()).collect();
        rxtx.0 += f.first().copied().unwrap_or(0);
        rxtx.1 += f.get(8).copied().unwrap_or(0);
    }
    rxtx
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cgroup_files() {
        assert_eq!(keyed("usage_usec 1500\nuser_usec 1000\n", "usage_usec"), Some(1500));
        assert_eq!(keyed("cache 5\ntotal_inactive_file 4096\n", "total_inactive_file"), Some(4096));
        assert_eq!(keyed("rchar: 10\nread_bytes: 4096\n", "read_bytes"), Some(4096));
        assert_eq!(keyed("MemTotal:       24681236 kB\n", "MemTotal"), Some(24_681_236));
        assert_eq!(number("max\n"), None);
        assert_eq!(number("123\n"), Some(123));
        assert_eq!(io_stat("8:0 rbytes=100 wbytes=20 rios=1\n8:16 rbytes=1 wbytes=2\n"), (101, 22));
        assert_eq!(blkio("8:0 Read 100\n8:0 Write 7\n8:0 Sync 107\nTotal 107\n"), (100, 7));
    }

    #[test]
    fn proc_files() {
        let stat = "42 (a b) c) S 7 42 42 0 -1 4194560 100 0 0 0 30 12 4 2 20 0 1 0 100 1000 10";
        assert_eq!(proc_stat(stat), Some((7, 48)));
        let dev = "Inter-|   Receive\n face |bytes packets\n    lo: 500 5 0 0 0 0 0 0 500 5 0 0 0 0 0 0\n  eth0: 1000 10 0 0 0 0 0 0 200 2 0 0 0 0 0 0\n";
        assert_eq!(net_dev(dev), (1000, 200));
    }
}
