//! Joining existing namespaces named by path (OCI
//! `linux.namespaces[].path`) before the container's own are made.
//!
//! An intermediate process enters them, then clones the container with
//! `CLONE_PARENT`, so the container is still cove's child while its new
//! namespaces are made inside the joined ones (a new mount namespace made
//! inside a joined user namespace is owned by it, as it must be for the
//! container's root to mount there). The intermediate reports the
//! container's pid, or the failed `setns`, over a pipe and exits; cove's own
//! namespaces never change.

use crate::SpawnError;
use crate::sys::clone::{Forked, clone_process, exit_now};
use cove_core::plan::JoinedNamespace;
use rustix::fd::{AsFd, OwnedFd};
use rustix::fs::{Mode, OFlags};
use rustix::process::{Pid, WaitOptions, waitpid};
use std::io;
use std::os::unix::fs::MetadataExt;

/// `clone(flags)` from inside `joins` (already in the join order: user
/// first). Without joins, a plain clone.
pub(super) fn clone_joined(flags: libc::c_int, joins: &[JoinedNamespace]) -> Result<Forked, SpawnError> {
    if joins.is_empty() {
        return clone_process(flags).map_err(SpawnError::parent("clone"));
    }
    // The files are opened here, so a missing one is named before anything starts.
    let mut fds = Vec::new();
    for j in joins {
        let op = || format!("open namespace {}", j.path.display());
        let fd = rustix::fs::open(&j.path, OFlags::RDONLY | OFlags::CLOEXEC, Mode::empty())
            .map_err(|e| SpawnError::parent(op())(e.into()))?;
        refuse_initial_user_namespace(j, &fd)?;
        fds.push((j, fd));
    }
    let (read, write) = rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC)
        .map_err(|e| SpawnError::parent("create pipe")(e.into()))?;
    let helper = match clone_process(0).map_err(SpawnError::parent("fork namespace joiner"))? {
        Forked::Child => {
            drop(read);
            match intermediate(flags, &fds) {
                Ok(Forked::Child) => return Ok(Forked::Child),
                Ok(Forked::Parent(pid)) => report(&write, 0, pid, 0),
                Err((index, errno)) => report(&write, 1, errno, index),
            }
            exit_now(0)
        }
        Forked::Parent(pid) => pid,
    };
    drop(write);
    let mut buf = [0u8; 12];
    let got = read_full(&read, &mut buf);
    if let Some(p) = Pid::from_raw(helper) {
        let _ = waitpid(Some(p), WaitOptions::empty());
    }
    got.map_err(SpawnError::parent("read from namespace joiner"))?;
    let word = |i: usize| i32::from_ne_bytes(buf[i * 4..i * 4 + 4].try_into().expect("4 bytes"));
    match word(0) {
        0 => Ok(Forked::Parent(word(1))),
        _ => {
            let Some(j) = joins.get(word(2) as usize) else {
                return Err(SpawnError::parent("clone")(io::Error::from_raw_os_error(word(1))));
            };
            let op = format!("setns {:?} namespace {}", j.kind, j.path.display());
            Err(SpawnError::parent(op)(io::Error::from_raw_os_error(word(1))))
        }
    }
}

/// The host's initial user namespace (`PROC_USER_INIT_INO`, fixed by the
/// kernel): a container in it has no user namespace of its own, so its
/// capabilities would count on the host. cove never allows that.
const INITIAL_USER_NS_INO: u64 = 0xEFFF_FFFD;

fn refuse_initial_user_namespace(j: &JoinedNamespace, fd: &OwnedFd) -> Result<(), SpawnError> {
    let op = || format!("join user namespace {}", j.path.display());
    let st = rustix::fs::fstat(fd).map_err(|e| SpawnError::parent(op())(e.into()))?;
    if j.kind == cove_core::plan::Namespace::User && st.st_ino == INITIAL_USER_NS_INO {
        let why = "it is the host's initial user namespace: the container's capabilities would count on the host";
        return Err(SpawnError::parent(op())(io::Error::new(io::ErrorKind::PermissionDenied, why)));
    }
    Ok(())
}

/// In the intermediate: enter each namespace, then clone the container.
/// ORDER: the user namespace first (the list's order): entering it grants
/// the capabilities that entering the others is checked against, and the
/// namespaces made by the clone are then owned by it.
fn intermediate(flags: libc::c_int, fds: &[(&JoinedNamespace, OwnedFd)]) -> Result<Forked, (u32, i32)> {
    let errno = |e: io::Error| e.raw_os_error().unwrap_or(libc::EINVAL);
    for (index, (j, fd)) in fds.iter().enumerate() {
        let file = format!("/proc/self/ns/{}", crate::join::namespaces::file(j.kind));
        let same = |a: &std::fs::Metadata, b: &std::fs::Metadata| a.dev() == b.dev() && a.ino() == b.ino();
        // setns into the user namespace one is already in is EINVAL: skip it.
        if let (Ok(a), Ok(b)) = (std::fs::metadata(&file), std::fs::metadata(&j.path))
            && same(&a, &b)
        {
            continue;
        }
        rustix::thread::move_into_link_name_space(fd.as_fd(), Some(crate::join::namespaces::link_type(j.kind)))
            .map_err(|e| (index as u32, errno(e.into())))?;
    }
    clone_process(flags | libc::CLONE_PARENT).map_err(|e| (u32::MAX, errno(e)))
}

fn report(w: &OwnedFd, tag: i32, value: i32, index: u32) {
    let mut buf = [0u8; 12];
    buf[..4].copy_from_slice(&tag.to_ne_bytes());
    buf[4..8].copy_from_slice(&value.to_ne_bytes());
    buf[8..].copy_from_slice(&index.to_ne_bytes());
    let _ = rustix::io::write(w, &buf);
}

fn read_full(fd: &OwnedFd, buf: &mut [u8]) -> io::Result<()> {
    let mut done = 0;
    while done < buf.len() {
        match rustix::io::read(fd, &mut buf[done..]) {
            Ok(0) => return Err(io::ErrorKind::UnexpectedEof.into()),
            Ok(n) => done += n,
            Err(rustix::io::Errno::INTR) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}
