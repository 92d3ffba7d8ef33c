//! The Win32 calls (windows-sys), the only `unsafe` in this crate. Each
//! wrapper owns what it creates (RAII: handles close, SIDs and buffers are
//! freed, profiles deleted, ACL entries revoked on drop where said) and
//! returns `std::io::Error` built from the call's error code.

pub mod acl;
pub mod appcontainer;
pub mod argv;
pub mod host;
pub mod job;
pub mod probe;
pub mod process;
pub mod wine;

#[cfg(test)]
mod tests;

use std::os::windows::io::{FromRawHandle, OwnedHandle};
use windows_sys::Win32::Foundation::HANDLE;

/// `s` as a NUL-terminated UTF-16 string.
pub fn wide(s: &str) -> Vec<u16> {
    s.encode_utf16().chain(std::iter::once(0)).collect()
}

/// Takes ownership of a handle a call returned; NULL (and
/// `INVALID_HANDLE_VALUE`) is the call's failure, with `GetLastError`.
fn owned(h: HANDLE) -> std::io::Result<OwnedHandle> {
    if h.is_null() || h as isize == -1 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: `h` is a valid handle just returned to this process by the
    // calling wrapper, owned by nobody else; OwnedHandle closes it once.
    Ok(unsafe { OwnedHandle::from_raw_handle(h) })
}

/// A `BOOL` result: nonzero is success, otherwise `GetLastError`.
fn check(ok: windows_sys::core::BOOL) -> std::io::Result<()> {
    if ok != 0 { Ok(()) } else { Err(std::io::Error::last_os_error()) }
}

/// A `WIN32_ERROR` result (0 is success).
fn win32(code: u32) -> std::io::Result<()> {
    if code == 0 { Ok(()) } else { Err(std::io::Error::from_raw_os_error(code as i32)) }
}

/// An `HRESULT` result; `HRESULT_FROM_WIN32` codes become that Win32 error.
fn hresult(hr: windows_sys::core::HRESULT) -> std::io::Result<()> {
    match hr {
        0.. => Ok(()),
        _ if (hr as u32) & 0xFFFF_0000 == 0x8007_0000 => Err(std::io::Error::from_raw_os_error(hr & 0xFFFF)),
        _ => Err(std::io::Error::other(format!("HRESULT {:#010x}", hr as u32))),
    }
}
