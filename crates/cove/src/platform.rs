//! The only place that picks an OS backend.

#[cfg(target_os = "linux")]
pub use cove_backend_linux::LinuxBackend as HostBackend;

/// The backend for this host.
#[cfg(target_os = "linux")]
pub fn backend() -> HostBackend {
    HostBackend::new()
}

/// Host processes the container store refers to (start times, signals).
#[cfg(target_os = "linux")]
pub use cove_backend_linux::process as host_process;

/// The monitor's stdio plumbing (session, pipes, pumping).
#[cfg(target_os = "linux")]
pub use cove_backend_linux::monitor_io;
