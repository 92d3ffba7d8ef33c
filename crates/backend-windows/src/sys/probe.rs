//! The evidence behind `cove info` on Windows.

use super::{appcontainer, job::Job, wine};
use crate::job::{JobLimits, LIMIT_KILL_ON_JOB_CLOSE};
use crate::probe::HostFacts;
use windows_sys::Win32::System::SystemInformation::GetSystemWindowsDirectoryW;
use windows_sys::Win32::System::Threading::{ALL_PROCESSOR_GROUPS, GetActiveProcessorCount};

/// Logical processors in all groups.
pub fn cpus() -> u32 {
    // SAFETY: no pointers; returns 0 on failure.
    unsafe { GetActiveProcessorCount(ALL_PROCESSOR_GROUPS) }.max(1)
}

/// `%SystemRoot%`, from the system rather than the caller's environment.
pub fn system_root() -> std::io::Result<String> {
    let mut buf = vec![0u16; 512];
    // SAFETY: a writable buffer of the given length.
    let n = unsafe { GetSystemWindowsDirectoryW(buf.as_mut_ptr(), buf.len() as u32) } as usize;
    if n == 0 || n >= buf.len() {
        return Err(std::io::Error::last_os_error());
    }
    Ok(String::from_utf16_lossy(&buf[..n]))
}

/// Gathers the evidence. Under Wine the AppContainer API is never called:
/// its stubs abort the process.
pub fn facts() -> HostFacts {
    let wine = wine::version();
    let appcontainer = match &wine {
        Some(_) => Err("not probed under Wine".to_owned()),
        None => appcontainer::derive_sid("cove.probe")
            .map(|_| ())
            .map_err(|e| format!("DeriveAppContainerSidFromAppContainerName: {e}")),
    };
    let limits = JobLimits { flags: LIMIT_KILL_ON_JOB_CLOSE, job_memory: 0, active_processes: 0, cpu_rate: None };
    let job = Job::create(None, &limits).map(drop).map_err(|e| format!("CreateJobObjectW with kill-on-close: {e}"));
    HostFacts { os_version: "Windows".to_owned(), wine, cpus: cpus(), appcontainer, job }
}
