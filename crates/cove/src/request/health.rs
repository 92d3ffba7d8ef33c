//! The health check of a stored container: the image's `Healthcheck`
//! with `--health-*` laid over it, or none (`--no-healthcheck`, `NONE`).

use crate::cli::CompatArgs;
use anyhow::Context;
use cove_core::container::HealthConfig;

/// The `--health-*` flags, taken before the run request is resolved.
pub struct Flags {
    off: bool,
    cmd: Option<String>,
    durations: [(&'static str, Option<String>); 4],
    retries: Option<u32>,
}

/// Takes the `--health-*` flags.
pub fn flags(c: &CompatArgs) -> Flags {
    Flags {
        off: c.no_healthcheck,
        cmd: c.health_cmd.clone(),
        durations: [
            ("--health-interval", c.health_interval.clone()),
            ("--health-timeout", c.health_timeout.clone()),
            ("--health-start-period", c.health_start_period.clone()),
            ("--health-start-interval", c.health_start_interval.clone()),
        ],
        retries: c.health_retries,
    }
}

/// Docker's rules: `--no-healthcheck` turns it off, `--health-cmd` is a
/// `CMD-SHELL` test replacing the image's, every other flag replaces that
/// one setting. `None` when no test remains.
pub fn config(c: &Flags, image: Option<&serde_json::Value>) -> anyhow::Result<Option<HealthConfig>> {
    if c.off {
        return Ok(None);
    }
    let mut cfg: HealthConfig = match image {
        Some(v) => serde_json::from_value(v.clone()).context("the image's Healthcheck")?,
        None => HealthConfig::default(),
    };
    if let Some(cmd) = &c.cmd {
        cfg.test = vec!["CMD-SHELL".into(), cmd.clone()];
    }
    let [interval, timeout, start_period, start_interval] = &c.durations;
    let slots = [
        (interval, &mut cfg.interval),
        (timeout, &mut cfg.timeout),
        (start_period, &mut cfg.start_period),
        (start_interval, &mut cfg.start_interval),
    ];
    for ((flag, v), slot) in slots {
        if let Some(v) = v {
            *slot = nanos(v).with_context(|| format!("invalid {flag} {v:?}"))?;
        }
    }
    if let Some(r) = c.retries {
        cfg.retries = r;
    }
    // Docker's floor: an image with a 1 ns interval would have cove run
    // `exec` after `exec` without pause.
    let durations = [
        ("Interval", cfg.interval),
        ("Timeout", cfg.timeout),
        ("StartPeriod", cfg.start_period),
        ("StartInterval", cfg.start_interval),
    ];
    for (name, ns) in durations {
        anyhow::ensure!(ns == 0 || ns >= 1_000_000, "{name} in Healthcheck cannot be less than 1ms");
    }
    Ok(cfg.command().is_some().then_some(cfg))
}

/// A Go duration (`1m30s`, `500ms`, `0`) in nanoseconds.
fn nanos(v: &str) -> anyhow::Result<u64> {
    if v == "0" {
        return Ok(0);
    }
    let d = humantime::parse_duration(v).context("expected a duration such as 30s, 1m30s or 500ms")?;
    u64::try_from(d.as_nanos()).context("duration too long")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(cmd: Option<&str>, interval: Option<&str>, off: bool) -> CompatArgs {
        CompatArgs {
            health_cmd: cmd.map(str::to_owned),
            health_interval: interval.map(str::to_owned),
            no_healthcheck: off,
            ..CompatArgs::default()
        }
    }

    #[test]
    fn flags_over_the_image_healthcheck() {
        let image = serde_json::json!({"Test": ["CMD", "/bin/check"], "Interval": 10_000_000_000u64, "Retries": 5});
        let cfg = config(&flags(&args(None, Some("1m30s"), false)), Some(&image)).unwrap().unwrap();
        assert_eq!(cfg.test, ["CMD", "/bin/check"]);
        assert_eq!((cfg.interval, cfg.retries), (90_000_000_000, 5));
        let cfg = config(&flags(&args(Some("true"), None, false)), Some(&image)).unwrap().unwrap();
        assert_eq!(
            (cfg.test.as_slice(), cfg.interval),
            (&["CMD-SHELL".to_owned(), "true".to_owned()][..], 10_000_000_000)
        );
        assert_eq!(config(&flags(&args(None, None, true)), Some(&image)).unwrap(), None);
        let none = serde_json::json!({"Test": ["NONE"]});
        assert_eq!(config(&flags(&args(None, None, false)), Some(&none)).unwrap(), None);
        assert_eq!(config(&flags(&args(None, Some("500ms"), false)), None).unwrap(), None);
    }
}
