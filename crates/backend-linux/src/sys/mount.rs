//! `mount_setattr(2)`, which rustix lacks.

use std::io;
use std::os::fd::{AsFd, AsRawFd};

/// Mount attribute bits (`MOUNT_ATTR_*`).
pub const ATTR_RDONLY: u64 = 0x1;
/// No setuid.
pub const ATTR_NOSUID: u64 = 0x2;
/// No devices.
pub const ATTR_NODEV: u64 = 0x4;
/// No exec.
pub const ATTR_NOEXEC: u64 = 0x8;

#[repr(C)]
struct MountAttr {
    attr_set: u64,
    attr_clr: u64,
    propagation: u64,
    userns_fd: u64,
}

/// Sets `set` on the mount `fd` refers to (and every mount below it when
/// `recursive`). Flags already locked by a more privileged namespace stay.
pub fn set_attrs(fd: impl AsFd, set: u64, recursive: bool) -> io::Result<()> {
    let attr = MountAttr { attr_set: set, attr_clr: 0, propagation: 0, userns_fd: 0 };
    let mut flags = libc::AT_EMPTY_PATH as libc::c_uint;
    if recursive {
        flags |= libc::AT_RECURSIVE as libc::c_uint;
    }
    // SAFETY: the path is a valid empty C string, `attr` is a live
    // mount_attr of the size passed, and the fd is borrowed for the call.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_mount_setattr,
            fd.as_fd().as_raw_fd(),
            c"".as_ptr(),
            flags,
            &attr as *const MountAttr,
            std::mem::size_of::<MountAttr>(),
        )
    };
    if rc == -1 { Err(io::Error::last_os_error()) } else { Ok(()) }
}
