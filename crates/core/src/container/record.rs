//! One container's record: what it runs (fixed at create) and its state
//! (changed by the monitor and the verbs).

use super::Liveness;
use crate::id::ContainerId;
use crate::spec::RunSpec;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// Where a container is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Created, never started (or its start failed before the command ran).
    Created,
    /// The main process runs.
    Running,
    /// Waiting to be started again by its restart policy.
    Restarting,
    /// The main process ended (or its monitor died).
    Exited,
}

impl Status {
    /// Docker's name for the status.
    pub fn name(self) -> &'static str {
        match self {
            Status::Created => "created",
            Status::Running => "running",
            Status::Restarting => "restarting",
            Status::Exited => "exited",
        }
    }
}

/// `--restart`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "name")]
pub enum RestartPolicy {
    /// Never restart (the default).
    #[default]
    No,
    /// Restart after a non-zero exit, at most `max` times (0: no limit).
    OnFailure {
        /// The most restarts.
        max: u32,
    },
    /// Restart whenever it ends, unless stopped by a verb.
    Always,
    /// Like `always`, but not after it was stopped by a verb.
    UnlessStopped,
}

impl RestartPolicy {
    /// Parses Docker's `no`, `on-failure[:N]`, `always`, `unless-stopped`.
    pub fn parse(s: &str) -> Option<Self> {
        match s.split_once(':') {
            Some(("on-failure", n)) => n.parse().ok().map(|max| RestartPolicy::OnFailure { max }),
            Some(_) => None,
            None => match s {
                "no" | "" => Some(RestartPolicy::No),
                "on-failure" => Some(RestartPolicy::OnFailure { max: 0 }),
                "always" => Some(RestartPolicy::Always),
                "unless-stopped" => Some(RestartPolicy::UnlessStopped),
                _ => None,
            },
        }
    }

    /// Docker's name (`Name` in `HostConfig.RestartPolicy`).
    pub fn name(self) -> &'static str {
        match self {
            RestartPolicy::No => "no",
            RestartPolicy::OnFailure { .. } => "on-failure",
            RestartPolicy::Always => "always",
            RestartPolicy::UnlessStopped => "unless-stopped",
        }
    }

    /// Whether a main process that ended with `code`, after `restarts`
    /// restarts so far, is started again. Never after a stop by a verb.
    pub fn restarts(self, code: i32, restarts: u32, stopped_by_user: bool) -> bool {
        if stopped_by_user {
            return false;
        }
        match self {
            RestartPolicy::No => false,
            RestartPolicy::OnFailure { max } => code != 0 && (max == 0 || restarts < max),
            RestartPolicy::Always | RestartPolicy::UnlessStopped => true,
        }
    }
}

/// A process cove started, identified by pid and start time (so that a
/// reused pid or a reboot is never mistaken for it).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProcessRef {
    /// The host pid.
    pub pid: i32,
    /// The start time the OS reports for it (Linux: clock ticks since boot).
    pub start_time: u64,
    /// The boot it ran in.
    pub boot_id: String,
}

/// Everything that changes while a container lives. Fields missing from
/// an older record take their defaults, so new ones can be added.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct State {
    /// The status as last recorded (see [`Container::observed`]).
    pub status: Option<Status>,
    /// Unix time in nanoseconds of the last start.
    pub started_at: Option<u64>,
    /// Unix time in nanoseconds of the last end.
    pub finished_at: Option<u64>,
    /// Exit code of the last run (128+N for signal N); `None` when unknown.
    pub exit_code: Option<i32>,
    /// The kernel's OOM killer ended the last run.
    pub oom_killed: bool,
    /// Why the last start failed or the last run ended abnormally.
    pub error: Option<String>,
    /// The monitor holding the container's stdio and exit status.
    pub monitor: Option<ProcessRef>,
    /// The container's first process (its pid 1) on the host.
    pub init: Option<ProcessRef>,
    /// The container's cgroup directories on the host (empty without limits).
    pub cgroups: Vec<PathBuf>,
    /// Restarts done by the restart policy.
    pub restart_count: u32,
    /// A verb stopped it (`stop`, `kill`, `rm -f`): no restart.
    pub stopped_by_user: bool,
    /// The published ports of the last start as bound, with the host
    /// ports the kernel chose (`-p 80`, `-P`).
    pub ports: Vec<crate::net::PortSpec>,
    /// `State.Health` of a container with a health check (since its last start).
    pub health: Option<super::Health>,
}

impl State {
    /// Records the end of a run, now: `status` (`Exited`, or `Restarting`
    /// when the policy starts it again), its exit code (128+N for signal
    /// N), why it ended abnormally and whether the OOM killer ended it. Its
    /// init and cgroups are gone.
    pub fn ended(&mut self, status: Status, code: i32, error: Option<String>, oom: bool) {
        self.status = Some(status);
        self.exit_code = Some(code);
        self.error = error;
        self.oom_killed = oom;
        self.finished_at = Some(super::time::now());
        self.init = None;
        self.cgroups.clear();
    }
}

/// One stored container.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Container {
    /// 64 hex digits.
    pub id: ContainerId,
    /// Unique name.
    pub name: String,
    /// The image as the user named it (empty for the zero-setup sandbox).
    pub image: String,
    /// The image's id (`sha256:…`) at create; empty without an image (and
    /// in records written before it was kept). `cove rmi` refuses it.
    #[serde(default)]
    pub image_id: String,
    /// What runs, fully resolved at create.
    pub spec: RunSpec,
    /// Unix time in nanoseconds of the create.
    pub created: u64,
    /// `--restart`.
    pub restart: RestartPolicy,
    /// `--rm`: removed when it ends.
    pub auto_remove: bool,
    /// `--stop-signal`, as a number (default SIGTERM).
    pub stop_signal: Option<i32>,
    /// `--stop-timeout` in seconds (default 10).
    pub stop_timeout: Option<u32>,
    /// `--label` and `--label-file` (Docker's `Config.Labels`; `ps --filter label=`).
    #[serde(default)]
    pub labels: std::collections::BTreeMap<String, String>,
    /// Docker's `StdinOnce`: created with `-i` but not `-d`, so the
    /// container's stdin closes when an attached client's input ends
    /// (`start -a -i`); a `run -d -i` container's stays open.
    #[serde(default)]
    pub stdin_once: bool,
    /// `--log-driver` and `--log-opt` (json-file without rotation by default).
    #[serde(default)]
    pub log: super::log::LogConfig,
    /// The health check (`--health-*` over the image's); `None` without one.
    #[serde(default)]
    pub healthcheck: Option<super::HealthConfig>,
    /// Changing state.
    pub state: State,
}

impl Container {
    /// The published ports: as bound at the last start (real host ports),
    /// else as asked for at create (0 where the kernel is to choose).
    pub fn published_ports(&self) -> Vec<crate::net::PortSpec> {
        if !self.state.ports.is_empty() {
            return self.state.ports.clone();
        }
        match &self.spec.network {
            crate::spec::NetworkMode::Bridge(b) => b.ports.clone(),
            _ => Vec::new(),
        }
    }

    /// The ports `ps` and `port` show for a container in `status`: as
    /// bound while it runs, none otherwise (Docker clears them on stop).
    pub fn live_ports(&self, status: Status) -> Vec<crate::net::PortSpec> {
        if matches!(status, Status::Running | Status::Restarting) { self.published_ports() } else { Vec::new() }
    }

    /// The status as it really is: a container whose monitor is gone while
    /// the record says it runs ended without anyone recording how.
    pub fn observed(&self, live: &dyn Liveness) -> Status {
        let recorded = self.state.status.unwrap_or(Status::Created);
        match (&self.state.monitor, recorded) {
            (_, Status::Exited) => Status::Exited,
            (Some(m), _) if !live.alive(m) => Status::Exited,
            _ => recorded,
        }
    }

    /// The init process while the container runs and its monitor is alive.
    pub fn running_init(&self, live: &dyn Liveness) -> Option<&ProcessRef> {
        if self.observed(live) != Status::Running {
            return None;
        }
        self.state.init.as_ref().filter(|p| live.alive(p))
    }

    /// Whether the monitor died without recording an end.
    pub fn monitor_lost(&self, live: &dyn Liveness) -> bool {
        let recorded = self.state.status.unwrap_or(Status::Created);
        recorded != Status::Exited && self.state.monitor.as_ref().is_some_and(|m| !live.alive(m))
    }

    /// The stop signal (SIGTERM unless `--stop-signal`).
    pub fn stop_signal(&self) -> i32 {
        self.stop_signal.unwrap_or(15)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn restart_policies() {
        assert_eq!(RestartPolicy::parse("on-failure:3"), Some(RestartPolicy::OnFailure { max: 3 }));
        assert_eq!(RestartPolicy::parse("always"), Some(RestartPolicy::Always));
        assert_eq!(RestartPolicy::parse("sometimes"), None);
        assert_eq!(RestartPolicy::parse("always:2"), None);
        let p = RestartPolicy::OnFailure { max: 2 };
        assert!(p.restarts(1, 1, false));
        assert!(!p.restarts(1, 2, false));
        assert!(!p.restarts(0, 0, false));
        assert!(RestartPolicy::Always.restarts(0, 99, false));
        assert!(!RestartPolicy::Always.restarts(0, 0, true));
        assert!(!RestartPolicy::No.restarts(1, 0, false));
    }
}
