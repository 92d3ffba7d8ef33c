//! Time stamps as the store keeps them (Unix nanoseconds) and as Docker
//! prints them: RFC 3339 with nanoseconds (`inspect`, `logs -t`) and
//! "5 minutes" (`ps`).

use std::time::{SystemTime, UNIX_EPOCH};

/// Now, in Unix nanoseconds.
pub fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos() as u64)
}

/// `2026-11-22T21:52:24.123456789Z` (UTC). Docker's zero time for `None`.
pub fn rfc3339(nanos: Option<u64>) -> String {
    let Some(nanos) = nanos else { return "0001-01-01T00:00:00Z".to_owned() };
    let secs = nanos / 1_000_000_000;
    let (days, rest) = (secs / 86_400, secs % 86_400);
    let (y, m, d) = civil_from_days(days as i64);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:09}Z",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60,
        nanos % 1_000_000_000
    )
}

/// Days since 1970-01-01 → (year, month, day), proleptic Gregorian
/// (H. Hinnant's `civil_from_days`).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// Docker's human duration (`Up 5 seconds`, `Exited (0) 2 minutes ago`).
pub fn human(nanos: u64) -> String {
    let s = nanos / 1_000_000_000;
    let (m, h) = (s / 60, s / 3600);
    let plural = |n: u64, unit: &str| format!("{n} {unit}{}", if n == 1 { "" } else { "s" });
    match s {
        0 => "Less than a second".to_owned(),
        1..=59 => plural(s, "second"),
        _ if m < 2 => "About a minute".to_owned(),
        _ if m < 60 => plural(m, "minute"),
        _ if h < 2 => "About an hour".to_owned(),
        _ if h < 48 => plural(h, "hour"),
        _ if h < 24 * 14 => plural(h / 24, "day"),
        _ if h < 24 * 60 => plural(h / 24 / 7, "week"),
        _ if h < 24 * 365 * 2 => plural(h / 24 / 30, "month"),
        _ => plural(h / 24 / 365, "year"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_rfc3339() {
        assert_eq!(rfc3339(Some(0)), "1970-01-01T00:00:00.000000000Z");
        // 2024-02-29T12:34:56.5Z, a leap day
        assert_eq!(rfc3339(Some(1_709_210_096_500_000_000)), "2024-02-29T12:34:56.500000000Z");
        assert_eq!(rfc3339(None), "0001-01-01T00:00:00Z");
    }

    #[test]
    fn human_durations_match_docker() {
        let s = 1_000_000_000;
        assert_eq!(human(0), "Less than a second");
        assert_eq!(human(s), "1 second");
        assert_eq!(human(5 * s), "5 seconds");
        assert_eq!(human(90 * s), "About a minute");
        assert_eq!(human(300 * s), "5 minutes");
        assert_eq!(human(3 * 3600 * s), "3 hours");
        assert_eq!(human(3 * 86_400 * s), "3 days");
    }
}
