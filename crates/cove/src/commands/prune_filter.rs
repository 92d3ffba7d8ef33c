//! `container prune --filter`: Docker's `label=`, `label!=` and `until=`.

use anyhow::{Context, bail};
use cove_core::container::Container;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The parsed filters; all must hold.
pub struct Keep {
    labels: Vec<(String, Option<String>, bool)>,
    until: Option<u64>,
}

/// Parses `KEY=VALUE` filters.
pub fn parse(filters: &[String]) -> anyhow::Result<Keep> {
    let mut keep = Keep { labels: Vec::new(), until: None };
    for f in filters {
        if let Some(v) = f.strip_prefix("label!=") {
            keep.labels.push(label(v, false));
        } else if let Some(v) = f.strip_prefix("label=") {
            keep.labels.push(label(v, true));
        } else if let Some(v) = f.strip_prefix("until=") {
            keep.until = Some(until(v).with_context(|| format!("invalid --filter {f:?}"))?);
        } else {
            bail!("invalid --filter {f:?}: cove prunes by label=, label!= and until=");
        }
    }
    Ok(keep)
}

fn label(v: &str, want: bool) -> (String, Option<String>, bool) {
    match v.split_once('=') {
        Some((k, x)) => (k.to_owned(), Some(x.to_owned()), want),
        None => (v.to_owned(), None, want),
    }
}

/// A time (RFC 3339, Unix seconds) or a duration ago, in Unix nanoseconds.
fn until(v: &str) -> anyhow::Result<u64> {
    let at = if let Ok(t) = humantime::parse_rfc3339_weak(v) {
        t
    } else if let Ok(secs) = v.parse::<f64>() {
        UNIX_EPOCH + Duration::from_secs_f64(secs.max(0.0))
    } else {
        SystemTime::now() - humantime::parse_duration(v).context("use a time, Unix seconds or a duration (24h)")?
    };
    Ok(at.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos() as u64))
}

impl Keep {
    /// Whether `c` is to be pruned.
    pub fn matches(&self, c: &Container) -> bool {
        let labels_ok = self.labels.iter().all(|(k, v, want)| {
            let has = match v {
                Some(v) => c.labels.get(k) == Some(v),
                None => c.labels.contains_key(k),
            };
            has == *want
        });
        labels_ok && self.until.is_none_or(|t| c.created < t)
    }
}
