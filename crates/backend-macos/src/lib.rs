//! cove's macOS backend: a container is the command run by
//! `sandbox-exec -p PROFILE` under a generated Seatbelt profile (deny by
//! default), with its own files in a per-container directory.
//!
//! What belongs here: pure translators, tested on any OS (`sbpl.rs`: SBPL
//! quoting and rules; `profile.rs`: the container's profile; `translate.rs`:
//! a plan to profile, directories, program and environment; `probe.rs`:
//! judging host evidence), and the spawn (`spawn.rs`), which is plain Unix
//! code: it compiles and is tested on Linux with a stand-in `sandbox-exec`.
//! Stored containers: `process.rs` (pids, start times, signals to a
//! container's process group), `monitor_io.rs` (the monitor's pipes) and
//! `stats.rs` (usage); the libproc calls these need are in `sys.rs`, the
//! only `unsafe`, compiled on macOS only. Policy is decided in
//! `cove-core`'s `Plan`.

#[cfg(unix)]
pub mod monitor_io;
pub mod probe;
#[cfg(unix)]
pub mod process;
pub mod profile;
pub mod sbpl;
#[cfg(unix)]
pub mod selftest;
#[cfg(unix)]
pub mod spawn;
#[cfg(target_os = "macos")]
pub mod stats;
#[cfg(target_os = "macos")]
#[allow(unsafe_code)]
mod sys;
pub mod translate;

use std::path::PathBuf;

/// Where macOS keeps `sandbox-exec`.
pub const SANDBOX_EXEC: &str = "/usr/bin/sandbox-exec";

/// The macOS backend.
#[derive(Debug)]
pub struct MacosBackend {
    /// The `sandbox-exec` to run (tests use a stand-in).
    pub sandbox_exec: PathBuf,
}

impl Default for MacosBackend {
    fn default() -> Self {
        MacosBackend { sandbox_exec: PathBuf::from(SANDBOX_EXEC) }
    }
}

impl MacosBackend {
    /// The backend for this process.
    pub fn new() -> Self {
        MacosBackend::default()
    }
}

#[cfg(target_os = "macos")]
mod backend_impl {
    use super::*;
    use cove_core::backend::{Backend, Capabilities, RunOutcome};
    use cove_core::hostcheck::HostCheck;
    use cove_core::plan::{HostIdentity, Plan};

    impl Backend for MacosBackend {
        type Error = spawn::SpawnError;

        fn name(&self) -> &'static str {
            "macos"
        }

        fn host_identity(&self) -> HostIdentity {
            // The uid only picks the store's place (never root's: the
            // command runs as the caller either way).
            let uid = spawn::caller_uid();
            HostIdentity { uid, gid: uid, subids: None }
        }

        fn capabilities(&self) -> Capabilities {
            probe::capabilities(&spawn::facts(&self.sandbox_exec))
        }

        fn run(&self, plan: &Plan) -> Result<RunOutcome, spawn::SpawnError> {
            spawn::run(plan, &self.capabilities(), &self.sandbox_exec, None)
        }

        fn run_observed(
            &self,
            plan: &Plan,
            observer: &mut dyn cove_core::backend::RunObserver,
        ) -> Result<RunOutcome, spawn::SpawnError> {
            spawn::run(plan, &self.capabilities(), &self.sandbox_exec, Some(observer))
        }
    }

    impl MacosBackend {
        /// `cove test` on macOS: checks that the generated profile confines.
        pub fn host_checks(&self) -> Vec<HostCheck> {
            selftest::run(&self.sandbox_exec)
        }
    }
}
