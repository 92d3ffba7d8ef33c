//! Whether this process runs under Wine: ntdll exports `wine_get_version`
//! there and nowhere else.

use super::wide;
use std::ffi::{CStr, c_char};
use windows_sys::Win32::System::LibraryLoader::{GetModuleHandleW, GetProcAddress};

/// Wine's version, or `None` on Windows.
pub fn version() -> Option<String> {
    let ntdll = wide("ntdll.dll");
    // SAFETY: a NUL-terminated module name; ntdll is loaded in every process,
    // and the handle is not reference-counted (nothing to release).
    let module = unsafe { GetModuleHandleW(ntdll.as_ptr()) };
    if module.is_null() {
        return None;
    }
    // SAFETY: a valid module handle and a NUL-terminated export name.
    let proc = unsafe { GetProcAddress(module, c"wine_get_version".as_ptr().cast()) }?;
    // SAFETY: Wine's `const char *wine_get_version(void)` has this C
    // signature; the function pointer came from its export table.
    let get: unsafe extern "C" fn() -> *const c_char = unsafe { std::mem::transmute(proc) };
    // SAFETY: it returns a static NUL-terminated string (or NULL, checked).
    let text = unsafe { get() };
    if text.is_null() {
        return Some("unknown".to_owned());
    }
    // SAFETY: non-NULL, NUL-terminated and static, as above.
    Some(unsafe { CStr::from_ptr(text) }.to_string_lossy().into_owned())
}
