//! Health checks (`--health-cmd`, an image's `Healthcheck`): the check as
//! configured and Docker's rules for turning probe results into
//! `State.Health` (starting, healthy, unhealthy; the failing streak; the
//! last five results). Running the probes is the monitor's job.

use serde::{Deserialize, Serialize};

/// Docker's defaults: 30 s interval and timeout, 3 retries, 5 s start interval.
const DEFAULT_INTERVAL: u64 = 30_000_000_000;
const DEFAULT_START_INTERVAL: u64 = 5_000_000_000;
const DEFAULT_RETRIES: u32 = 3;
/// Docker keeps this many results, each output cut to this many bytes.
const KEPT_RESULTS: usize = 5;
/// The most output kept of one probe.
pub const MAX_OUTPUT: usize = 4096;

/// A container's health check (Docker's `Config.Healthcheck`; durations in
/// nanoseconds, 0 for the default).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct HealthConfig {
    /// `["CMD", arg…]`, `["CMD-SHELL", command]` or `["NONE"]`.
    pub test: Vec<String>,
    /// Time between probes.
    pub interval: u64,
    /// Time one probe may take.
    pub timeout: u64,
    /// Time after a start during which failures do not count.
    pub start_period: u64,
    /// Time between probes during the start period.
    pub start_interval: u64,
    /// Consecutive failures that make it unhealthy.
    pub retries: u32,
}

impl HealthConfig {
    /// The command to run in the container; `None` when checks are off.
    pub fn command(&self) -> Option<Vec<String>> {
        match self.test.split_first() {
            Some((kind, rest)) if kind == "CMD" && !rest.is_empty() => Some(rest.to_vec()),
            Some((kind, [cmd])) if kind == "CMD-SHELL" => Some(vec!["/bin/sh".into(), "-c".into(), cmd.clone()]),
            _ => None,
        }
    }

    /// Time between probes, `in_start_period` or after.
    pub fn interval_ns(&self, in_start_period: bool) -> u64 {
        match (in_start_period, self.start_interval, self.interval) {
            (true, 0, _) => DEFAULT_START_INTERVAL,
            (true, si, _) => si,
            (false, _, 0) => DEFAULT_INTERVAL,
            (false, _, i) => i,
        }
    }

    /// Time one probe may take.
    pub fn timeout_ns(&self) -> u64 {
        if self.timeout == 0 { DEFAULT_INTERVAL } else { self.timeout }
    }

    fn retries(&self) -> u32 {
        if self.retries == 0 { DEFAULT_RETRIES } else { self.retries }
    }
}

/// Docker's health states.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HealthStatus {
    /// No probe has passed yet (and not enough have failed).
    #[default]
    Starting,
    /// The last probe passed.
    Healthy,
    /// `retries` probes in a row failed.
    Unhealthy,
}

impl HealthStatus {
    /// Docker's name.
    pub fn name(self) -> &'static str {
        match self {
            HealthStatus::Starting => "starting",
            HealthStatus::Healthy => "healthy",
            HealthStatus::Unhealthy => "unhealthy",
        }
    }
}

/// One probe's result (Docker's `State.Health.Log` entry; times RFC 3339
/// as Docker prints them).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct HealthResult {
    /// When it began.
    pub start: String,
    /// When it ended.
    pub end: String,
    /// 0 passed; -1 timed out; anything else failed.
    pub exit_code: i32,
    /// Its output (stdout and stderr), at most [`MAX_OUTPUT`] bytes.
    pub output: String,
}

/// `State.Health`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct Health {
    /// The state.
    pub status: HealthStatus,
    /// Failed probes in a row (that counted).
    pub failing_streak: u32,
    /// The last results, oldest first.
    pub log: Vec<HealthResult>,
}

impl Health {
    /// Applies one result: a pass makes it healthy, a failure outside the
    /// start period (or once healthy) extends the streak, and `retries`
    /// failures in a row make it unhealthy.
    pub fn record(&mut self, result: HealthResult, cfg: &HealthConfig, in_start_period: bool) {
        if result.exit_code == 0 {
            self.failing_streak = 0;
            self.status = HealthStatus::Healthy;
        } else if !(in_start_period && self.status == HealthStatus::Starting) {
            self.failing_streak += 1;
            if self.failing_streak >= cfg.retries() {
                self.status = HealthStatus::Unhealthy;
            }
        }
        self.log.push(result);
        let extra = self.log.len().saturating_sub(KEPT_RESULTS);
        self.log.drain(..extra);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(code: i32) -> HealthResult {
        HealthResult { exit_code: code, ..HealthResult::default() }
    }

    #[test]
    fn streaks_start_period_and_log() {
        let cfg = HealthConfig { test: vec!["CMD-SHELL".into(), "true".into()], retries: 2, ..Default::default() };
        let mut h = Health::default();
        h.record(result(1), &cfg, true);
        assert_eq!((h.status, h.failing_streak), (HealthStatus::Starting, 0), "start period: not counted");
        h.record(result(1), &cfg, false);
        assert_eq!((h.status, h.failing_streak), (HealthStatus::Starting, 1));
        h.record(result(-1), &cfg, false);
        assert_eq!((h.status, h.failing_streak), (HealthStatus::Unhealthy, 2));
        h.record(result(0), &cfg, false);
        assert_eq!((h.status, h.failing_streak), (HealthStatus::Healthy, 0));
        h.record(result(1), &cfg, true);
        assert_eq!(h.failing_streak, 1, "once healthy, the start period no longer excuses");
        for _ in 0..4 {
            h.record(result(0), &cfg, false);
        }
        assert_eq!(h.log.len(), 5);
        assert_eq!(h.log[0].exit_code, 1);
    }

    #[test]
    fn commands_and_defaults() {
        let shell = HealthConfig { test: vec!["CMD-SHELL".into(), "test -f /x".into()], ..Default::default() };
        assert_eq!(shell.command().unwrap(), ["/bin/sh", "-c", "test -f /x"]);
        let exec = HealthConfig { test: vec!["CMD".into(), "true".into()], ..Default::default() };
        assert_eq!(exec.command().unwrap(), ["true"]);
        assert_eq!(HealthConfig { test: vec!["NONE".into()], ..Default::default() }.command(), None);
        assert_eq!(shell.interval_ns(false), 30_000_000_000);
        assert_eq!(shell.interval_ns(true), 5_000_000_000);
        assert_eq!(shell.timeout_ns(), 30_000_000_000);
    }
}
