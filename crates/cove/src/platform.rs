//! The only place that picks an OS backend.

#[cfg(target_os = "linux")]
pub use cove_backend_linux::LinuxBackend as HostBackend;
#[cfg(target_os = "macos")]
pub use cove_backend_macos::MacosBackend as HostBackend;
#[cfg(windows)]
pub use cove_backend_windows::WindowsBackend as HostBackend;

/// The backend for this host.
pub fn backend() -> HostBackend {
    HostBackend::new()
}

/// Whether the built-in network (`--network bridge`) can run for this caller.
#[cfg(target_os = "linux")]
pub fn bridge_usable() -> bool {
    cove_backend_linux::net::tun_usable()
}

/// Whether the built-in network (`--network bridge`) can run: not on this OS.
#[cfg(not(target_os = "linux"))]
pub fn bridge_usable() -> bool {
    false
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

/// No overlay here: images are stored flattened.
#[cfg(not(target_os = "linux"))]
pub fn overlay_markers() -> Option<std::sync::Arc<dyn cove_core::overlay::OverlayMarkers>> {
    None
}

/// Whether `cove run IMAGE` runs on a private copy of the image instead
/// of an overlay of its layers: where overlayfs cannot be mounted in a
/// user namespace, or when `COVE_IMAGE_ROOT=copy` asks for it.
#[cfg(target_os = "linux")]
pub fn image_copy_fallback() -> bool {
    image_copy_forced() || !cove_backend_linux::probe::overlay_userns()
}

/// Whether `cove run IMAGE` runs on a private copy of the image (only
/// when `COVE_IMAGE_ROOT=copy` asks for it here).
#[cfg(not(target_os = "linux"))]
pub fn image_copy_fallback() -> bool {
    image_copy_forced()
}

/// `COVE_IMAGE_ROOT=copy`: the copy fallback even where overlay works.
pub fn image_copy_forced() -> bool {
    std::env::var("COVE_IMAGE_ROOT").is_ok_and(|v| v == "copy")
}

/// `store` storing new images per layer where this host can.
pub fn with_overlay_markers(store: cove_image::ImageStore) -> cove_image::ImageStore {
    match overlay_markers() {
        Some(m) => store.with_markers(m),
        None => store,
    }
}

/// `store` unpacking, copying and removing in the containers' user
/// namespace, where this caller is rootless with subordinate ranges.
#[cfg(target_os = "linux")]
pub fn with_id_mapper(store: cove_image::ImageStore) -> cove_image::ImageStore {
    match crate::store_helper::HelperMapper::for_caller() {
        Some(m) => store.with_mapper(std::sync::Arc::new(m)),
        None => store,
    }
}

/// Whether image layers keep their owners for this rootless caller.
#[cfg(target_os = "linux")]
pub fn maps_image_ids() -> bool {
    crate::store_helper::HelperMapper::for_caller().is_some()
}

/// Whether image layers keep their owners (only Linux maps ids).
#[cfg(not(target_os = "linux"))]
pub fn maps_image_ids() -> bool {
    false
}

/// `store` as it is: only Linux maps subordinate ids.
#[cfg(not(target_os = "linux"))]
pub fn with_id_mapper(store: cove_image::ImageStore) -> cove_image::ImageStore {
    store
}

/// Host processes the container store refers to (start times, signals).
#[cfg(target_os = "linux")]
pub use cove_backend_linux::process as host_process;
#[cfg(target_os = "macos")]
pub use cove_backend_macos::process as host_process;
#[cfg(windows)]
pub use cove_backend_windows::process as host_process;

#[cfg(target_os = "linux")]
pub use cove_backend_linux::attach_io;
/// The monitor's stdio plumbing (session, pipes, pumping).
#[cfg(target_os = "linux")]
pub use cove_backend_linux::monitor_io;
/// A foreground run's output tee into its log.
#[cfg(target_os = "linux")]
pub use cove_backend_linux::tee_io;
#[cfg(target_os = "macos")]
pub use cove_backend_macos::monitor_io;
#[cfg(windows)]
pub use cove_backend_windows::monitor_io;

/// The read end of a pipe the monitor pumps into the log.
#[cfg(target_os = "macos")]
pub type Pipe = std::os::fd::OwnedFd;
/// The read end of a pipe the monitor pumps into the log.
#[cfg(windows)]
pub type Pipe = std::os::windows::io::OwnedHandle;

/// `cove test` on Windows: the backend's checks, with `cove __probe sleep`
/// as the process that a closed job must kill.
#[cfg(windows)]
pub fn host_checks() -> anyhow::Result<Vec<cove_core::hostcheck::HostCheck>> {
    let exe = std::env::current_exe()?.display().to_string();
    Ok(backend().host_checks(&[exe, "__probe".into(), "sleep".into()]))
}

/// `cove test` on macOS: the backend's checks.
#[cfg(target_os = "macos")]
pub fn host_checks() -> anyhow::Result<Vec<cove_core::hostcheck::HostCheck>> {
    Ok(backend().host_checks())
}

/// Usage counters of running containers (`cove stats`).
#[cfg(target_os = "linux")]
pub use cove_backend_linux::stats as host_stats;
#[cfg(target_os = "macos")]
pub use cove_backend_macos::stats as host_stats;

/// Sends `sig` to the stored container `c` whose first process is `pid`:
/// to that process on Linux (its pid namespace ends with it), to its
/// process group on macOS, and on Windows to its named job (which has no
/// signals: every signal ends the whole job with exit code 128+N).
pub fn signal_container(c: &cove_core::container::Container, pid: i32, sig: i32) -> std::io::Result<()> {
    #[cfg(windows)]
    return cove_backend_windows::stored::signal(&c.id, pid, sig);
    #[cfg(not(windows))]
    {
        let _ = c;
        host_process::signal(pid, sig)
    }
}

/// A usage reading of the running container `c` whose first process is
/// `pid` (on Windows from its named job's accounting).
pub fn sample_container(c: &cove_core::container::Container, pid: i32) -> std::io::Result<cove_core::stats::Sample> {
    #[cfg(windows)]
    return cove_backend_windows::stored::sample(&c.id, pid);
    #[cfg(not(windows))]
    {
        let _ = c;
        host_stats::sample(pid)
    }
}

/// What `rm` removes besides the record: on Windows the container's
/// AppContainer profile (normally gone when its run ended; this catches a
/// monitor that was killed). Nothing elsewhere.
pub fn container_removed(c: &cove_core::container::Container) -> std::io::Result<()> {
    #[cfg(windows)]
    return cove_backend_windows::stored::remove(&c.id);
    #[cfg(not(windows))]
    {
        let _ = c;
        Ok(())
    }
}
