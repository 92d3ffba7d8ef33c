//! `uid_map`/`gid_map` text for a plan's id mapping (user_namespaces(7)).

use cove_core::plan::IdRange;

/// The text written to `/proc/PID/uid_map` or `gid_map`: one line a range.
pub fn map_text(ranges: &[IdRange]) -> String {
    ranges.iter().map(|r| format!("{} {} {}\n", r.inside, r.outside, r.count)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_per_range() {
        let r = [IdRange { inside: 0, outside: 1000, count: 1 }, IdRange { inside: 1, outside: 100000, count: 65536 }];
        assert_eq!(map_text(&r), "0 1000 1\n1 100000 65536\n");
    }
}
