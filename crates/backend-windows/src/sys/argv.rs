//! The real `CommandLineToArgvW`, to check `cmdline.rs` against.

use super::wide;
use windows_sys::Win32::Foundation::LocalFree;
use windows_sys::Win32::UI::Shell::CommandLineToArgvW;

/// Splits `line` as a child process started with it would.
pub fn split(line: &str) -> std::io::Result<Vec<String>> {
    let w = wide(line);
    let mut n = 0i32;
    // SAFETY: a NUL-terminated string and a valid out pointer.
    let argv = unsafe { CommandLineToArgvW(w.as_ptr(), &mut n) };
    if argv.is_null() {
        return Err(std::io::Error::last_os_error());
    }
    let mut out = Vec::with_capacity(n as usize);
    for i in 0..n as usize {
        // SAFETY: argv holds `n` valid pointers to NUL-terminated strings.
        let p = unsafe { *argv.add(i) };
        let len = (0..).take_while(|&k| {
            // SAFETY: reading up to and including the terminating NUL of `p`.
            unsafe { *p.add(k) != 0 }
        });
        let len = len.count();
        // SAFETY: `len` units before the NUL are initialised.
        out.push(String::from_utf16_lossy(unsafe { std::slice::from_raw_parts(p, len) }));
    }
    // SAFETY: the block was allocated by CommandLineToArgvW for the caller to free once.
    unsafe { LocalFree(argv.cast()) };
    Ok(out)
}
