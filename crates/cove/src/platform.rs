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
