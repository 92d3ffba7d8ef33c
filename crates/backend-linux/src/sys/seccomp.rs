//! `seccomp(2)` with `SECCOMP_SET_MODE_FILTER`, which rustix lacks.

use std::io;

/// Installs a classic-BPF seccomp filter on the calling thread, with
/// `SECCOMP_FILTER_FLAG_*` `flags`. Unlike `seccompiler::apply_filter`, it
/// does not set `no_new_privs`: that is the plan's decision, made earlier.
pub fn set_mode_filter(program: &[libc::sock_filter], flags: libc::c_ulong) -> io::Result<()> {
    let len = u16::try_from(program.len()).map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))?;
    let prog = libc::sock_fprog { len, filter: program.as_ptr().cast_mut() };
    // SAFETY: `prog` points at `len` initialised instructions owned by
    // `program`, which outlives the call; the kernel copies them before
    // returning and never writes through the pointer (seccomp(2)).
    let rc = unsafe {
        libc::syscall(libc::SYS_seccomp, libc::SECCOMP_SET_MODE_FILTER, flags, &prog as *const libc::sock_fprog)
    };
    if rc == -1 { Err(io::Error::last_os_error()) } else { Ok(()) }
}
