//! Fork-style `clone(2)` into new namespaces.

use std::io;

/// What `clone_process` returned in this process.
pub enum Forked {
    /// We are the parent; this is the child's pid (in our pid namespace).
    Parent(i32),
    /// We are the child.
    Child,
}

/// `clone(flags | SIGCHLD)` without a new stack: the child continues from
/// here like `fork(2)`, in the namespaces `flags` asks for (see clone(2)).
///
/// The caller must be single-threaded, as after `fork`: the child has a copy
/// of this thread only, so no lock may be held by another thread.
pub fn clone_process(flags: libc::c_int) -> io::Result<Forked> {
    let flags = (flags | libc::SIGCHLD) as libc::c_ulong;
    // SAFETY: the raw clone syscall with a NULL stack behaves like fork: the
    // child gets a copy-on-write copy of this address space and continues on
    // the same (copied) stack. The remaining arguments (parent_tid,
    // child_tid, tls) are unused for these flags. cove calls this while it
    // is single-threaded, so the child's heap and locks are consistent.
    let ret =
        unsafe { libc::syscall(libc::SYS_clone, flags, std::ptr::null_mut::<libc::c_void>(), 0usize, 0usize, 0usize) };
    match ret {
        -1 => Err(io::Error::last_os_error()),
        0 => Ok(Forked::Child),
        pid => Ok(Forked::Parent(pid as i32)),
    }
}

/// Ends this process at once, without running exit handlers or flushing
/// stdio buffers that belong to the parent (for forked children).
pub fn exit_now(code: i32) -> ! {
    // SAFETY: _exit takes no pointers and never returns.
    unsafe { libc::_exit(code) }
}

/// Sends `sig` to `pid`.
pub fn send_signal(pid: i32, sig: i32) -> io::Result<()> {
    // SAFETY: kill takes plain integers.
    if unsafe { libc::kill(pid, sig) } == -1 { Err(io::Error::last_os_error()) } else { Ok(()) }
}

/// `unshare(CLONE_NEWCGROUP)`: a new cgroup namespace rooted at this
/// process's current cgroups (cgroup_namespaces(7)).
pub fn unshare_cgroup_namespace() -> io::Result<()> {
    // SAFETY: rustix marks unshare unsafe because of CLONE_FILES (threads
    // could see fds from another table); CLONE_NEWCGROUP changes only the
    // cgroup view and touches no memory or fds.
    unsafe { rustix::thread::unshare_unsafe(rustix::thread::UnshareFlags::NEWCGROUP) }.map_err(io::Error::from)
}

/// Closes every descriptor of this process except those in `keep` (for a
/// forked helper, which must hold none of its parent's pipes, listeners or
/// terminals: a reader waiting for their EOF would wait as long as it lives).
pub fn close_all_except(keep: &[std::os::fd::RawFd]) -> io::Result<()> {
    let mut keep: Vec<u32> = keep.iter().map(|&k| k as u32).collect();
    keep.sort_unstable();
    let mut first = 0u32;
    for k in keep.into_iter().chain(std::iter::once(u32::MAX)) {
        if k > first {
            let last = if k == u32::MAX { u32::MAX } else { k - 1 };
            // SAFETY: close_range takes plain integers; no descriptor in the
            // range is used again by this (forked, single-threaded) process.
            let rc = unsafe { libc::syscall(libc::SYS_close_range, first, last, 0) };
            if rc == -1 {
                return Err(io::Error::last_os_error());
            }
        }
        first = k.saturating_add(1);
    }
    Ok(())
}
