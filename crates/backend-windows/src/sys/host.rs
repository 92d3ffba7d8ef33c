//! Host processes and the monitor's standard handles: process creation
//! times (liveness across CLI calls), termination, committed memory, the
//! machine's memory, leaving the console, and swapping the standard handles
//! for pipes.

use super::{check, owned};
use std::os::windows::io::{AsRawHandle, OwnedHandle};
use windows_sys::Win32::Foundation::{FILETIME, HANDLE, WAIT_TIMEOUT};
use windows_sys::Win32::System::Console::{FreeConsole, STD_HANDLE, SetStdHandle};
use windows_sys::Win32::System::Pipes::CreatePipe;
use windows_sys::Win32::System::ProcessStatus::{K32GetProcessMemoryInfo, PROCESS_MEMORY_COUNTERS_EX};
use windows_sys::Win32::System::SystemInformation::{GlobalMemoryStatusEx, MEMORYSTATUSEX};
use windows_sys::Win32::System::Threading::{
    GetProcessTimes, OpenProcess, PROCESS_QUERY_LIMITED_INFORMATION, PROCESS_SYNCHRONIZE, PROCESS_TERMINATE,
    TerminateProcess, WaitForSingleObject,
};

fn open_process(pid: u32, access: u32) -> std::io::Result<OwnedHandle> {
    // SAFETY: plain arguments; the returned handle (or NULL) is owned here.
    owned(unsafe { OpenProcess(access, 0, pid) })
}

/// The creation time of the live process `pid` (100 ns units since 1601);
/// `None` when there is no such process or it has ended.
pub fn start_time(pid: u32) -> Option<u64> {
    let h = open_process(pid, PROCESS_QUERY_LIMITED_INFORMATION | PROCESS_SYNCHRONIZE).ok()?;
    // SAFETY: a valid process handle; a zero timeout only polls.
    if unsafe { WaitForSingleObject(h.as_raw_handle(), 0) } != WAIT_TIMEOUT {
        return None;
    }
    let mut t = [FILETIME::default(); 4];
    let [created, exited, kernel, user] = &mut t;
    // SAFETY: a valid handle and four writable FILETIMEs.
    check(unsafe { GetProcessTimes(h.as_raw_handle(), created, exited, kernel, user) }).ok()?;
    Some((u64::from(t[0].dwHighDateTime) << 32) | u64::from(t[0].dwLowDateTime))
}

/// Ends process `pid` with exit code `code`.
pub fn terminate(pid: u32, code: u32) -> std::io::Result<()> {
    let h = open_process(pid, PROCESS_TERMINATE)?;
    // SAFETY: a valid handle with terminate rights.
    check(unsafe { TerminateProcess(h.as_raw_handle(), code) })
}

/// The committed (private) memory of process `pid` in bytes: what a job's
/// memory limit counts.
pub fn committed_memory(pid: u32) -> Option<u64> {
    let h = open_process(pid, PROCESS_QUERY_LIMITED_INFORMATION).ok()?;
    let mut c = PROCESS_MEMORY_COUNTERS_EX { cb: size_of::<PROCESS_MEMORY_COUNTERS_EX>() as u32, ..Default::default() };
    // SAFETY: a valid handle and a writable struct whose size is in `cb`.
    check(unsafe { K32GetProcessMemoryInfo(h.as_raw_handle(), (&raw mut c).cast(), c.cb) }).ok()?;
    Some(c.PrivateUsage as u64)
}

/// The machine's physical memory in bytes (0 if unknown).
pub fn physical_memory() -> u64 {
    let mut m = MEMORYSTATUSEX { dwLength: size_of::<MEMORYSTATUSEX>() as u32, ..Default::default() };
    // SAFETY: a writable struct with its size in `dwLength`.
    if unsafe { GlobalMemoryStatusEx(&mut m) } != 0 { m.ullTotalPhys } else { 0 }
}

/// Leaves the console this process shares with the CLI that started it,
/// so closing that window does not end the monitor.
pub fn leave_console() {
    // SAFETY: no arguments; failing (no console) leaves nothing to undo.
    unsafe { FreeConsole() };
}

/// An anonymous pipe: (read end, write end).
pub fn pipe() -> std::io::Result<(OwnedHandle, OwnedHandle)> {
    let (mut r, mut w): (HANDLE, HANDLE) = (std::ptr::null_mut(), std::ptr::null_mut());
    // SAFETY: two writable out pointers; default security (not inheritable).
    check(unsafe { CreatePipe(&mut r, &mut w, std::ptr::null(), 0) })?;
    Ok((owned(r)?, owned(w)?))
}

/// Makes `h` this process's standard handle `which` (borrowed: the caller
/// keeps it open while it is the standard handle).
pub fn set_std_handle(which: STD_HANDLE, h: &OwnedHandle) -> std::io::Result<()> {
    // SAFETY: a valid handle owned by this process.
    check(unsafe { SetStdHandle(which, h.as_raw_handle()) })
}
