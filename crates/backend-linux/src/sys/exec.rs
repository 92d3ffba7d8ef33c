//! `execve(2)`, `close_range(2)` and fd duplication for the last stage.

use std::ffi::{CStr, CString};
use std::io;

/// Replaces this process image; returns only on failure.
pub fn execve(path: &CStr, argv: &[CString], envp: &[CString]) -> io::Error {
    let mut argv_ptrs: Vec<*const libc::c_char> = argv.iter().map(|a| a.as_ptr()).collect();
    argv_ptrs.push(std::ptr::null());
    let mut env_ptrs: Vec<*const libc::c_char> = envp.iter().map(|e| e.as_ptr()).collect();
    env_ptrs.push(std::ptr::null());
    // SAFETY: every pointer refers to a NUL-terminated string owned by the
    // caller for the duration of the call; both arrays end with NULL.
    unsafe { libc::execve(path.as_ptr(), argv_ptrs.as_ptr(), env_ptrs.as_ptr()) };
    io::Error::last_os_error()
}

/// Marks every descriptor from `first` upwards close-on-exec.
pub fn cloexec_from(first: u32) -> io::Result<()> {
    // SAFETY: close_range takes plain integers; CLOSE_RANGE_CLOEXEC closes nothing now.
    let rc = unsafe { libc::syscall(libc::SYS_close_range, first, u32::MAX, libc::CLOSE_RANGE_CLOEXEC) };
    if rc == -1 { Err(io::Error::last_os_error()) } else { Ok(()) }
}

/// Drops every capability whose bit is not in `keep` from the bounding set,
/// including numbers newer than cove knows (EINVAL past the kernel's last).
pub fn drop_bounding(keep: u64) -> io::Result<()> {
    for cap in 0..64u32 {
        if keep & (1 << cap) != 0 {
            continue;
        }
        // SAFETY: prctl(PR_CAPBSET_DROP) takes plain integers.
        let rc = unsafe { libc::prctl(libc::PR_CAPBSET_DROP, cap as libc::c_ulong, 0, 0, 0) };
        if rc == -1 {
            let err = io::Error::last_os_error();
            if err.raw_os_error() != Some(libc::EINVAL) {
                return Err(err);
            }
        }
    }
    Ok(())
}

/// Raises capability number `cap` in the ambient set (it must be permitted
/// and inheritable already).
pub fn raise_ambient(cap: u32) -> io::Result<()> {
    // SAFETY: prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE) takes plain integers.
    let rc = unsafe {
        libc::prctl(libc::PR_CAP_AMBIENT, libc::PR_CAP_AMBIENT_RAISE as libc::c_ulong, cap as libc::c_ulong, 0, 0)
    };
    if rc == -1 { Err(io::Error::last_os_error()) } else { Ok(()) }
}
