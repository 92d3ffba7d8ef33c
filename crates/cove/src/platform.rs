//! The only place that picks an OS backend.

#[cfg(target_os = "linux")]
pub use cove_backend_linux::LinuxBackend as HostBackend;

/// The backend for this host.
#[cfg(target_os = "linux")]
pub fn backend() -> HostBackend {
    HostBackend::new()
}

/// Whether the built-in network (`--network bridge`) can run for this caller.
#[cfg(target_os = "linux")]
pub fn bridge_usable() -> bool {
    cove_backend_linux::net::tun_usable()
}
