//! cove's Windows backend: a container is an AppContainer token (its own
//! SID, no capabilities beyond the network mode's) plus a named Job Object
//! (limits, kill-on-close), started suspended, assigned, then resumed.
//!
//! What belongs here: pure translators from a `Plan` to what Windows needs
//! (`appcontainer.rs`: profile name, SID, capability SIDs; `acl.rs`: access
//! entries; `job.rs`: job limits; `envblock.rs`: the environment block;
//! `cmdline.rs`: command-line quoting; `exit.rs`: exit codes;
//! `translate.rs`: all of it for one plan; `probe.rs`: judging host
//! evidence), which compile and are tested on any OS; and, on Windows only,
//! the spawn (`spawn.rs`) and the Win32 calls (`sys/`, the only `unsafe`).
//! Stored containers: `process.rs` (pids, creation times, signal names),
//! `monitor_io.rs` (the monitor's pipes) and `stored.rs` (the container's
//! named job opened by later CLI calls: stop, kill, stats; rm).
//! Policy is decided in `cove-core`'s `Plan`, never here.

pub mod acl;
pub mod appcontainer;
pub mod cmdline;
pub mod envblock;
pub mod exit;
pub mod job;
#[cfg(windows)]
pub mod monitor_io;
pub mod probe;
pub mod process;
pub mod stored;
pub mod translate;

#[cfg(windows)]
mod selftest;
#[cfg(windows)]
mod spawn;
#[cfg(windows)]
#[allow(unsafe_code)]
mod sys;

#[cfg(windows)]
pub use spawn::SpawnError;

/// The Windows backend.
#[derive(Debug, Default)]
pub struct WindowsBackend;

impl WindowsBackend {
    /// The backend for this process.
    pub fn new() -> Self {
        WindowsBackend
    }
}

#[cfg(windows)]
mod backend_impl {
    use super::*;
    use cove_core::backend::{Backend, Capabilities, RunOutcome};
    use cove_core::hostcheck::HostCheck;
    use cove_core::plan::{HostIdentity, Plan};

    /// Windows has no uids: ids are only used to plan a (unused) id map, and
    /// must not look like root (that would pick root's store paths).
    const NO_UID: u32 = 65534;

    impl Backend for WindowsBackend {
        type Error = SpawnError;

        fn name(&self) -> &'static str {
            "windows"
        }

        fn host_identity(&self) -> HostIdentity {
            HostIdentity { uid: NO_UID, gid: NO_UID, subids: None }
        }

        fn capabilities(&self) -> Capabilities {
            probe::capabilities(&sys::probe::facts())
        }

        fn run(&self, plan: &Plan) -> Result<RunOutcome, SpawnError> {
            spawn::run(plan, &self.capabilities(), None)
        }

        fn run_observed(
            &self,
            plan: &Plan,
            observer: &mut dyn cove_core::backend::RunObserver,
        ) -> Result<RunOutcome, SpawnError> {
            spawn::run(plan, &self.capabilities(), Some(observer))
        }
    }

    impl WindowsBackend {
        /// `cove exec`: runs `plan` (the container's spec with the exec's
        /// command) in the running stored container `id` (its named job).
        pub fn exec(&self, plan: &Plan, id: &cove_core::id::ContainerId) -> Result<RunOutcome, SpawnError> {
            spawn::exec(plan, &self.capabilities(), id)
        }

        /// `cove test` on Windows: checks of the host's isolation primitives;
        /// `sleeper` is a command that runs for a while (`cove __probe sleep`).
        pub fn host_checks(&self, sleeper: &[String]) -> Vec<HostCheck> {
            selftest::run(sleeper)
        }
    }
}
