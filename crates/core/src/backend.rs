//! The `Backend` trait each OS implements, and the `Capabilities` a host
//! reports so requests fail before spawning when they cannot be enforced.

use crate::exit::{CANNOT_EXEC, ExitStatus, NOT_FOUND};
use crate::plan::{HostIdentity, Plan};
use serde::Serialize;

/// An OS backend: carries out a [`Plan`] with the OS's own primitives.
pub trait Backend {
    /// The error type of this backend's operations.
    type Error: std::error::Error + Send + Sync + 'static;

    /// A short name (`linux`, `windows`, `macos`).
    fn name(&self) -> &'static str;

    /// Who is calling, for id mapping.
    fn host_identity(&self) -> HostIdentity;

    /// What this host can enforce, feature by feature (probes the host).
    fn capabilities(&self) -> Capabilities;

    /// Runs a plan in the foreground: the caller's terminal and signals are
    /// connected to the container until its main process ends.
    fn run(&self, plan: &Plan) -> Result<RunOutcome, Self::Error>;

    /// As [`run`](Self::run), telling `observer` when the command has
    /// started (the container monitor records it). Backends without a
    /// better answer report nothing.
    fn run_observed(&self, plan: &Plan, observer: &mut dyn RunObserver) -> Result<RunOutcome, Self::Error> {
        let _ = observer;
        self.run(plan)
    }
}

/// What a run reports while it is under way.
pub trait RunObserver {
    /// The container's command has been executed: `pid` is its first
    /// process on the host, `cgroups` its cgroup directories (empty
    /// without limits).
    fn started(&mut self, pid: i32, cgroups: &[std::path::PathBuf]);

    /// The container's memory limit was hit and the kernel killed a
    /// process for it (reported after the run, before its cgroups go).
    fn oom_killed(&mut self) {}

    /// The published ports are bound (before the container starts), with
    /// the host ports the kernel chose where none was asked for.
    fn ports_bound(&mut self, _ports: &[crate::net::PortSpec]) {}

    /// The container got a terminal (`-t`); `resize(rows, cols)` sets its
    /// window size while it runs (an attached client's terminal).
    fn pty_opened(&mut self, _resize: Box<dyn Fn(u16, u16) + Send>) {}

    /// The stored container this run is (`None`: a foreground run). The
    /// Windows backend names the container's job and AppContainer profile
    /// after it, so that later CLI calls find them.
    fn container(&self) -> Option<&crate::id::ContainerId> {
        None
    }
}

/// How a foreground run ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RunOutcome {
    /// The main process ran and ended.
    Exited(ExitStatus),
    /// It ended and the kernel's OOM killer killed a process of the
    /// container on the way (`--memory`): Docker's `OOMKilled: true`.
    OomKilled(ExitStatus),
    /// The container was set up but its command could not be executed.
    ExecFailed {
        /// The program as given.
        program: String,
        /// Why.
        reason: ExecFailure,
    },
}

/// Why a command could not be executed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExecFailure {
    /// Not found (in `PATH`, or at the given path).
    NotFound,
    /// Found but not executable (permissions, format, a directory).
    NotExecutable(String),
}

impl RunOutcome {
    /// The exit code cove ends with (Docker's conventions).
    pub fn exit_code(&self) -> i32 {
        match self {
            RunOutcome::Exited(status) | RunOutcome::OomKilled(status) => status.code(),
            RunOutcome::ExecFailed { reason: ExecFailure::NotFound, .. } => NOT_FOUND,
            RunOutcome::ExecFailed { reason: ExecFailure::NotExecutable(_), .. } => CANNOT_EXEC,
        }
    }
}

impl RunOutcome {
    /// Whether the OOM killer killed a process of the container (the
    /// monitor's `OOMKilled`).
    pub fn oom_killed(&self) -> bool {
        matches!(self, RunOutcome::OomKilled(_))
    }
}

/// Whether a feature is enforced on this host.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Support {
    /// Works fully.
    Enforced,
    /// Works with a limitation (the reason says which).
    Degraded,
    /// Not available.
    Unavailable,
}

/// One feature's status, with the reason and, when not enforced, the fix.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Feature {
    /// Stable key, e.g. `user_namespaces`.
    pub key: &'static str,
    /// Status.
    pub status: Support,
    /// What was found.
    pub detail: String,
    /// How to enable it, when that is possible.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
}

/// What a host can enforce: facts (kernel, layout) and per-feature status.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Capabilities {
    /// The backend's name.
    pub backend: String,
    /// Host facts shown as-is (kernel version, cgroup layout, ...).
    pub facts: Vec<(String, String)>,
    /// Per-feature status.
    pub features: Vec<Feature>,
}

impl Capabilities {
    /// The status of a feature; `Unavailable` when it was not probed.
    pub fn status(&self, key: &str) -> Support {
        self.features.iter().find(|f| f.key == key).map_or(Support::Unavailable, |f| f.status)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exec_failures_map_to_docker_codes() {
        let nf = RunOutcome::ExecFailed { program: "x".into(), reason: ExecFailure::NotFound };
        assert_eq!(nf.exit_code(), 127);
        let ne = RunOutcome::ExecFailed { program: "x".into(), reason: ExecFailure::NotExecutable("denied".into()) };
        assert_eq!(ne.exit_code(), 126);
        assert_eq!(RunOutcome::Exited(ExitStatus::Signaled(15)).exit_code(), 143);
    }

    #[test]
    fn unknown_features_are_unavailable() {
        let caps = Capabilities::default();
        assert_eq!(caps.status("seccomp"), Support::Unavailable);
    }
}
