//! The only place that picks an OS backend.

#[cfg(target_os = "linux")]
pub use cove_backend_linux::LinuxBackend as HostBackend;

/// The backend for this host.
#[cfg(target_os = "linux")]
pub fn backend() -> HostBackend {
    HostBackend::new()
}

/// Joining a running container (`cove exec`); a free module until the other
/// backends have it and it moves onto the `Backend` trait.
#[cfg(target_os = "linux")]
pub use cove_backend_linux::join;
