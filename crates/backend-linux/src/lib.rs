//! cove's Linux backend: turns a `Plan` into namespaces, mounts, `pivot_root`
//! and an `execve`, and probes what this host can enforce.
//!
//! What belongs here: the spawn pipeline (`spawn/`, one stage per file), the
//! host probe (`probe/`), the built-in user-mode network (`net/`), and pure translators (id maps, capability names,
//! mount flags) that are unit-tested on any OS. All `unsafe` lives in `sys/`.
//! Policy (which mounts, which capabilities) is decided in `cove-core`'s
//! `Plan`, never here.

#[cfg(target_os = "linux")]
pub mod attach_io;
pub mod caps;
pub mod cgroup;
mod error;
pub mod idmap;
#[cfg(target_os = "linux")]
pub mod join;
#[cfg(target_os = "linux")]
pub mod mapped;
pub mod markers;
#[cfg(target_os = "linux")]
pub mod monitor_io;
#[cfg(target_os = "linux")]
pub mod net;
pub mod probe;
#[cfg(target_os = "linux")]
pub mod process;
#[cfg(target_os = "linux")]
pub mod rlimit;
pub mod seccomp;
#[cfg(target_os = "linux")]
mod spawn;
/// OCI runtime mode: create up to the start gate, then start.
#[cfg(target_os = "linux")]
pub use spawn::create as oci;
/// One OCI hook run (the runtime's own points use it as the container's do).
pub use spawn::hooks::run as run_hook;
#[cfg(target_os = "linux")]
pub mod stats;
#[cfg(target_os = "linux")]
#[allow(unsafe_code)]
mod sys;
#[cfg(target_os = "linux")]
pub mod tee_io;

pub use error::SpawnError;
/// The single syscalls `cove test` attempts from inside its containers.
#[cfg(target_os = "linux")]
pub use sys::probe as selftest;

use cove_core::backend::{Backend, Capabilities, RunObserver, RunOutcome};
use cove_core::plan::{HostIdentity, Plan};

/// An observer that hears nothing (plain foreground runs).
#[cfg(target_os = "linux")]
struct NoObserver;

#[cfg(target_os = "linux")]
impl RunObserver for NoObserver {
    fn started(&mut self, _pid: i32, _cgroups: &[std::path::PathBuf]) {}
}

/// The Linux backend.
#[derive(Debug, Default)]
pub struct LinuxBackend;

impl LinuxBackend {
    /// The backend for this process.
    pub fn new() -> Self {
        LinuxBackend
    }
}

#[cfg(target_os = "linux")]
impl Backend for LinuxBackend {
    type Error = SpawnError;

    fn name(&self) -> &'static str {
        "linux"
    }

    fn host_identity(&self) -> HostIdentity {
        let (uid, gid) = (rustix::process::getuid().as_raw(), rustix::process::getgid().as_raw());
        HostIdentity { uid, gid, subids: probe::caller_subids(uid) }
    }

    fn capabilities(&self) -> Capabilities {
        probe::probe()
    }

    fn run(&self, plan: &Plan) -> Result<RunOutcome, SpawnError> {
        spawn::run(plan, &mut NoObserver)
    }

    fn run_observed(&self, plan: &Plan, observer: &mut dyn RunObserver) -> Result<RunOutcome, SpawnError> {
        spawn::run(plan, observer)
    }
}
