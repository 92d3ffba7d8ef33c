//! CPU and memory-node lists (`0-3,5`), as `--cpuset-cpus`/`--cpuset-mems`
//! take them and as the kernel prints them (`cpuset.cpus`, `cpu/online`).

use std::collections::BTreeSet;

/// Parses a list such as `0-3,5` (an empty text is an empty set).
pub fn parse(text: &str) -> Option<BTreeSet<u32>> {
    let mut set = BTreeSet::new();
    for part in text.trim().split(',').filter(|p| !p.is_empty()) {
        let (lo, hi) = part.split_once('-').unwrap_or((part, part));
        let (lo, hi): (u32, u32) = (lo.parse().ok()?, hi.parse().ok()?);
        if lo > hi || hi - lo > 65_536 {
            return None;
        }
        set.extend(lo..=hi);
    }
    Some(set)
}

/// The set as the kernel's list text (`0-3,5`).
pub fn format(set: &BTreeSet<u32>) -> String {
    let mut parts = Vec::new();
    let mut it = set.iter().copied().peekable();
    while let Some(lo) = it.next() {
        let mut hi = lo;
        while it.peek() == Some(&(hi + 1)) {
            hi += 1;
            it.next();
        }
        parts.push(if lo == hi { lo.to_string() } else { format!("{lo}-{hi}") });
    }
    parts.join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let s = parse("0-3,5,7-8").unwrap();
        assert_eq!(s.len(), 7);
        assert_eq!(format(&s), "0-3,5,7-8");
        assert_eq!(format(&parse("3,1,2").unwrap()), "1-3");
        assert_eq!(parse("0\n"), Some(BTreeSet::from([0])));
        assert!(parse("").unwrap().is_empty());
        for bad in ["a", "1-", "3-1", "-1", "1,,x"] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }
}
