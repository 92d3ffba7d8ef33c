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

/// This host's overlay marker writer (per-layer image storage).
#[cfg(target_os = "linux")]
pub fn overlay_markers() -> Option<std::sync::Arc<dyn cove_core::overlay::OverlayMarkers>> {
    Some(std::sync::Arc::new(cove_backend_linux::markers::LinuxOverlayMarkers))
}

/// `store` storing new images per layer where this host can.
pub fn with_overlay_markers(store: cove_image::ImageStore) -> cove_image::ImageStore {
    match overlay_markers() {
        Some(m) => store.with_markers(m),
        None => store,
    }
}

/// Host processes the container store refers to (start times, signals).
#[cfg(target_os = "linux")]
pub use cove_backend_linux::process as host_process;

/// The monitor's stdio plumbing (session, pipes, pumping).
#[cfg(target_os = "linux")]
pub use cove_backend_linux::monitor_io;
/// Usage counters of running containers (`cove stats`).
#[cfg(target_os = "linux")]
pub use cove_backend_linux::stats as host_stats;
