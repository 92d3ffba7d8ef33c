//! The single syscalls that `cove test` attempts from inside a container
//! (and the few host-side helpers it needs to set a probe up). Each wrapper
//! makes exactly one attempt and returns the kernel's answer; deciding
//! whether that answer is a pass is the caller's job.
//!
//! Nothing here may change the host when it succeeds: mounts are made
//! detached (never attached anywhere), keys go to the probe's own process
//! keyring, module images are garbage the loader rejects, and files opened
//! for writing are closed unwritten.

use rustix::fs::{Mode, OFlags};
use rustix::mount::{FsMountFlags, FsOpenFlags, MountAttrFlags, OpenTreeFlags};
use rustix::net::{AddressFamily, SocketType};
use std::ffi::CStr;
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::process::Command;

pub use libc::{
    CLONE_NEWCGROUP, CLONE_NEWIPC, CLONE_NEWNET, CLONE_NEWNS, CLONE_NEWPID, CLONE_NEWUSER, CLONE_NEWUTS, EACCES,
    EAFNOSUPPORT, EINVAL, ENOENT, ENOSPC, ENOSYS, EPERM, EPROTONOSUPPORT, EROFS, ESRCH,
};

/// `KEY_SPEC_PROCESS_KEYRING` (linux/keyctl.h): the caller's own process keyring.
const KEY_SPEC_PROCESS_KEYRING: libc::c_long = -2;
/// `KEYCTL_JOIN_SESSION_KEYRING` (linux/keyctl.h).
const KEYCTL_JOIN_SESSION_KEYRING: libc::c_long = 1;
/// `PTRACE_SEIZE` (ptrace(2)); the type of libc's constant differs by libc.
const PTRACE_SEIZE: libc::c_long = 0x4206;

fn check(rc: libc::c_long) -> io::Result<libc::c_long> {
    if rc == -1 { Err(io::Error::last_os_error()) } else { Ok(rc) }
}

/// `unshare(2)` with `flags` (only `CLONE_NEW*` namespace flags).
pub fn unshare(flags: libc::c_int) -> io::Result<()> {
    if flags & libc::CLONE_FILES != 0 {
        return Err(io::Error::from_raw_os_error(libc::EINVAL));
    }
    let flags = rustix::thread::UnshareFlags::from_bits_retain(flags as u32);
    // SAFETY: rustix marks unshare unsafe only for CLONE_FILES, which could
    // leave other threads with descriptors from an unshared table; it was
    // refused above, and namespace flags touch no memory or descriptors.
    unsafe { rustix::thread::unshare_unsafe(flags) }.map_err(Into::into)
}

/// `ptrace(PTRACE_SEIZE, pid)`: attaches without stopping the tracee. The
/// tracee is released when the calling process exits.
pub fn ptrace_seize(pid: i32) -> io::Result<()> {
    // SAFETY: PTRACE_SEIZE with addr and data 0 reads and writes no memory
    // of ours; all arguments are plain integers.
    let rc = unsafe { libc::syscall(libc::SYS_ptrace, PTRACE_SEIZE, pid as libc::c_long, 0usize, 0usize) };
    check(rc).map(drop)
}

/// `add_key(2)` of a `user` key into the caller's process keyring (which
/// disappears with the process).
pub fn add_process_key(description: &CStr, payload: &[u8]) -> io::Result<i32> {
    // SAFETY: both strings are NUL-terminated and live for the call; the
    // payload pointer is valid for `payload.len()` bytes; the kernel copies
    // them and keeps no pointer.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_add_key,
            c"user".as_ptr(),
            description.as_ptr(),
            payload.as_ptr(),
            payload.len(),
            KEY_SPEC_PROCESS_KEYRING,
        )
    };
    check(rc).map(|id| id as i32)
}

/// `keyctl(KEYCTL_JOIN_SESSION_KEYRING, NULL)`: a new anonymous session
/// keyring for the caller.
pub fn join_new_session_keyring() -> io::Result<i32> {
    // SAFETY: a NULL name asks for an anonymous keyring; no memory is passed.
    let rc = unsafe { libc::syscall(libc::SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, std::ptr::null::<libc::c_char>()) };
    check(rc).map(|id| id as i32)
}

/// `init_module(2)` with `image`, which should be garbage: the call tells
/// whether the capability check passed (any error but `EPERM`).
pub fn init_module(image: &[u8]) -> io::Result<()> {
    // SAFETY: the image pointer is valid for its length and the parameter
    // string is NUL-terminated; the kernel copies both.
    let rc = unsafe { libc::syscall(libc::SYS_init_module, image.as_ptr(), image.len(), c"".as_ptr()) };
    check(rc).map(drop)
}

/// `finit_module(2)` on `fd` (for example `/dev/null`).
pub fn finit_module(fd: BorrowedFd<'_>) -> io::Result<()> {
    // SAFETY: the descriptor is borrowed for the call and the parameter
    // string is NUL-terminated; flags are 0.
    let rc = unsafe { libc::syscall(libc::SYS_finit_module, fd.as_raw_fd(), c"".as_ptr(), 0) };
    check(rc).map(drop)
}

/// `ioctl(fd, TIOCSTI, &byte)`: pushes `byte` into the terminal's input
/// queue as if typed (ioctl_tty(2)).
pub fn tiocsti(fd: BorrowedFd<'_>, byte: u8) -> io::Result<()> {
    let c = byte as libc::c_char;
    // SAFETY: TIOCSTI reads one byte through the pointer, which points to a
    // live local; the descriptor is borrowed for the call.
    let rc = unsafe { libc::ioctl(fd.as_raw_fd(), libc::TIOCSTI, &c as *const libc::c_char) };
    check(rc as libc::c_long).map(drop)
}

/// A new tmpfs made with `fsopen`/`fsmount` and never attached: success
/// means the caller may mount filesystems.
pub fn detached_tmpfs() -> io::Result<OwnedFd> {
    let fs = rustix::mount::fsopen("tmpfs", FsOpenFlags::FSOPEN_CLOEXEC)?;
    rustix::mount::fsconfig_create(&fs)?;
    Ok(rustix::mount::fsmount(&fs, FsMountFlags::FSMOUNT_CLOEXEC, MountAttrFlags::empty())?)
}

/// A detached clone of the mount at `/` (`open_tree(OPEN_TREE_CLONE)`).
pub fn detached_clone_of_root() -> io::Result<OwnedFd> {
    let flags = OpenTreeFlags::OPEN_TREE_CLONE | OpenTreeFlags::OPEN_TREE_CLOEXEC;
    Ok(rustix::mount::open_tree(rustix::fs::CWD, "/", flags)?)
}

/// `socket(family, SOCK_RAW, protocol)`.
pub fn raw_socket(family: RawFamily) -> io::Result<OwnedFd> {
    let (af, proto) = match family {
        RawFamily::Inet => (AddressFamily::INET, rustix::net::ipproto::ICMP),
        RawFamily::Packet => (AddressFamily::PACKET, rustix::net::Protocol::from_raw(ETH_P_ALL_BE)),
    };
    Ok(rustix::net::socket_with(af, SocketType::RAW, rustix::net::SocketFlags::CLOEXEC, Some(proto))?)
}

/// `htons(ETH_P_ALL)`: every protocol, as packet(7) wants it.
const ETH_P_ALL_BE: std::num::NonZeroU32 = match std::num::NonZeroU32::new((libc::ETH_P_ALL as u16).to_be() as u32) {
    Some(p) => p,
    None => panic!("ETH_P_ALL is not zero"),
};

/// The raw socket families a probe tries.
#[derive(Clone, Copy, Debug)]
pub enum RawFamily {
    /// `AF_INET`, `IPPROTO_ICMP`.
    Inet,
    /// `AF_PACKET`, every protocol.
    Packet,
}

/// Opens `path` with `O_PATH` (no access to the contents, but a handle a
/// later `/proc/self/fd/N` reopen can use).
pub fn open_path(path: &str) -> io::Result<OwnedFd> {
    Ok(rustix::fs::open(path, OFlags::PATH | OFlags::CLOEXEC, Mode::empty())?)
}

/// Sends `signal` to `pid` (kill(2)).
pub fn kill(pid: i32, signal: i32) -> io::Result<()> {
    let pid = rustix::process::Pid::from_raw(pid).ok_or_else(|| io::Error::from_raw_os_error(libc::ESRCH))?;
    let sig =
        rustix::process::Signal::from_named_raw(signal).ok_or_else(|| io::Error::from_raw_os_error(libc::EINVAL))?;
    Ok(rustix::process::kill_process(pid, sig)?)
}

/// Asks the kernel to kill this process when its parent exits
/// (`PR_SET_PDEATHSIG`), so that a helper never outlives `cove test`.
pub fn die_with_parent() -> io::Result<()> {
    Ok(rustix::process::set_parent_process_death_signal(Some(rustix::process::Signal::KILL))?)
}

/// `SIGKILL`, for [`kill`].
pub const SIGKILL: i32 = libc::SIGKILL;

/// Switches this (single-threaded) process to `uid`/`gid` for real,
/// effective and saved ids.
pub fn switch_user(uid: u32, gid: u32) -> io::Result<()> {
    let (uid, gid) = (rustix::process::Uid::from_raw(uid), rustix::process::Gid::from_raw(gid));
    rustix::thread::set_thread_res_gid(gid, gid, gid)?;
    Ok(rustix::thread::set_thread_res_uid(uid, uid, uid)?)
}

/// A duplicate of `fd` at number 10 or above that is *not* close-on-exec,
/// so that a spawned process inherits it.
pub fn inheritable_dup(fd: BorrowedFd<'_>) -> io::Result<OwnedFd> {
    let dup = rustix::io::fcntl_dupfd_cloexec(fd, 10)?;
    rustix::io::fcntl_setfd(&dup, rustix::io::FdFlags::empty())?;
    Ok(dup)
}

/// A new pseudo-terminal: (master, slave), both close-on-exec and neither
/// becoming this process's controlling terminal.
pub fn pty_pair() -> io::Result<(OwnedFd, OwnedFd)> {
    use rustix::pty::{OpenptFlags, grantpt, openpt, ptsname, unlockpt};
    let master = openpt(OpenptFlags::RDWR | OpenptFlags::NOCTTY | OpenptFlags::CLOEXEC)?;
    grantpt(&master)?;
    unlockpt(&master)?;
    let name = ptsname(&master, Vec::new())?;
    let slave = rustix::fs::open(name.as_c_str(), OFlags::RDWR | OFlags::NOCTTY | OFlags::CLOEXEC, Mode::empty())?;
    Ok((master, slave))
}

/// Whether `fd` is a terminal.
pub fn is_terminal(fd: impl AsFd) -> bool {
    rustix::termios::isatty(fd)
}

/// Makes `cmd` start in a new session whose controlling terminal is its
/// stdin (which must be a terminal slave), as a login shell's would be.
pub fn controlling_terminal_on_stdin(cmd: &mut Command) {
    // SAFETY: the hook runs in the forked child before execve, where only
    // async-signal-safe work is allowed: it makes two raw syscalls (setsid,
    // ioctl TIOCSCTTY), allocates nothing and takes no locks. Descriptor 0
    // is valid there: std has installed the child's stdin before the hook.
    unsafe {
        cmd.pre_exec(|| {
            rustix::process::setsid()?;
            rustix::process::ioctl_tiocsctty(BorrowedFd::borrow_raw(0))?;
            Ok(())
        });
    }
}

/// Syscalls the default seccomp profile refuses (Docker's list: kernel
/// attack surface, the host's clock, modules and keyrings, new mounts and
/// namespaces), by name, for [`zero_args_syscall`]. None of them changes
/// anything when called with every argument 0 (a NULL pointer faults, a
/// zero request is a no-op or invalid), so a success only shows that the
/// filter let it through. `clone3` is expected to answer ENOSYS (libc then
/// falls back to `clone`, which the filter can inspect).
pub const REFUSED_SYSCALLS: &[(&str, libc::c_long)] = &[
    ("io_uring_setup", libc::SYS_io_uring_setup),
    ("io_uring_enter", libc::SYS_io_uring_enter),
    ("io_uring_register", libc::SYS_io_uring_register),
    ("userfaultfd", libc::SYS_userfaultfd),
    ("bpf", libc::SYS_bpf),
    ("perf_event_open", libc::SYS_perf_event_open),
    ("kexec_load", libc::SYS_kexec_load),
    ("kexec_file_load", libc::SYS_kexec_file_load),
    ("open_by_handle_at", libc::SYS_open_by_handle_at),
    ("keyctl", libc::SYS_keyctl),
    ("add_key", libc::SYS_add_key),
    ("request_key", libc::SYS_request_key),
    ("mount", libc::SYS_mount),
    ("umount2", libc::SYS_umount2),
    ("pivot_root", libc::SYS_pivot_root),
    ("setns", libc::SYS_setns),
    ("open_tree", libc::SYS_open_tree),
    ("move_mount", libc::SYS_move_mount),
    ("fsopen", libc::SYS_fsopen),
    ("fsmount", libc::SYS_fsmount),
    ("fspick", libc::SYS_fspick),
    ("mount_setattr", libc::SYS_mount_setattr),
    ("init_module", libc::SYS_init_module),
    ("delete_module", libc::SYS_delete_module),
    ("swapon", libc::SYS_swapon),
    ("swapoff", libc::SYS_swapoff),
    ("reboot", libc::SYS_reboot),
    ("settimeofday", libc::SYS_settimeofday),
    ("clock_settime", libc::SYS_clock_settime),
    ("syslog", libc::SYS_syslog),
    ("lookup_dcookie", libc::SYS_lookup_dcookie),
    ("fanotify_init", libc::SYS_fanotify_init),
    ("quotactl", libc::SYS_quotactl),
    ("vhangup", libc::SYS_vhangup),
    ("kcmp", libc::SYS_kcmp),
    ("pidfd_getfd", libc::SYS_pidfd_getfd),
    ("mbind", libc::SYS_mbind),
    ("set_mempolicy", libc::SYS_set_mempolicy),
    ("move_pages", libc::SYS_move_pages),
    ("clone3", libc::SYS_clone3),
];

/// One of [`REFUSED_SYSCALLS`] (by its number) with every argument 0.
pub fn zero_args_syscall(nr: libc::c_long) -> io::Result<libc::c_long> {
    if !REFUSED_SYSCALLS.iter().any(|(_, n)| *n == nr) {
        return Err(io::Error::from_raw_os_error(libc::EINVAL));
    }
    // SAFETY: only the listed syscalls, each with every argument 0: no
    // pointer is passed (NULL faults with EFAULT), no descriptor but 0 is
    // named, and none of them changes the process or host with zeros.
    check(unsafe { libc::syscall(nr, 0usize, 0usize, 0usize, 0usize, 0usize, 0usize) })
}

/// The symbolic name of an errno value (`EPERM`), or its number.
pub fn errno_name(errno: i32) -> String {
    let known = [
        (libc::EPERM, "EPERM"),
        (libc::ENOENT, "ENOENT"),
        (libc::ESRCH, "ESRCH"),
        (libc::EIO, "EIO"),
        (libc::ENXIO, "ENXIO"),
        (libc::EBADF, "EBADF"),
        (libc::EACCES, "EACCES"),
        (libc::EBUSY, "EBUSY"),
        (libc::EEXIST, "EEXIST"),
        (libc::ENOTDIR, "ENOTDIR"),
        (libc::EINVAL, "EINVAL"),
        (libc::ENOTTY, "ENOTTY"),
        (libc::ETXTBSY, "ETXTBSY"),
        (libc::ENOSPC, "ENOSPC"),
        (libc::EROFS, "EROFS"),
        (libc::ENOSYS, "ENOSYS"),
        (libc::ENOEXEC, "ENOEXEC"),
        (libc::EAFNOSUPPORT, "EAFNOSUPPORT"),
        (libc::EPROTONOSUPPORT, "EPROTONOSUPPORT"),
        (libc::EKEYREJECTED, "EKEYREJECTED"),
        (libc::EBADMSG, "EBADMSG"),
        (libc::EOPNOTSUPP, "EOPNOTSUPP"),
        (libc::EDQUOT, "EDQUOT"),
    ];
    known.iter().find(|(n, _)| *n == errno).map_or_else(|| format!("errno {errno}"), |(_, name)| (*name).to_owned())
}
