//! The socket factory of published TCP ports: a process forked from cove
//! (while cove is still single-threaded) that enters the container's user
//! and network namespaces and makes unconnected TCP sockets there on
//! request, handing them over with `SCM_RIGHTS`. A socket stays in the
//! namespace it was made in, so cove's `connect()` on it reaches the
//! container's own address directly, and published traffic never crosses
//! the user-mode stack.
//!
//! Why a process: rootless, cove cannot `setns` into the container's
//! network namespace (that needs `CAP_SYS_ADMIN` in the namespace's owner,
//! the container's user namespace), and a multithreaded process cannot
//! enter a user namespace. The factory holds none of cove's descriptors
//! (closed after the fork), dies with cove (`PR_SET_PDEATHSIG`) and exits
//! when its socket closes; dropping [`Factory`] also kills and reaps it.

use crate::SpawnError;
use crate::sys::clone::{Forked, clone_process, close_all_except, exit_now, send_signal};
use rustix::event::{PollFd, PollFlags, Timespec, poll};
use rustix::net::{
    AddressFamily, RecvAncillaryBuffer, RecvAncillaryMessage, RecvFlags, SendAncillaryBuffer, SendAncillaryMessage,
    SendFlags, SocketFlags, SocketType, recvmsg, sendmsg, socket_with, socketpair,
};
use rustix::process::{Pid, WaitOptions, waitpid};
use std::io::{self, IoSlice, IoSliceMut};
use std::mem::MaybeUninit;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::os::unix::fs::MetadataExt;

/// Sockets asked for at once (one message carries them all).
pub const BATCH: usize = 16;
/// How long the factory may take to enter the namespaces.
const READY_WITHIN_MS: i64 = 5000;

/// cove's end of a running factory.
pub struct Factory {
    sock: OwnedFd,
    pid: i32,
}

/// What the factory sends: 0, or the errno of its failed step, and that
/// step's index in [`STEPS`].
const STEPS: [&str; 4] = ["setns user namespace", "setns network namespace", "close inherited descriptors", "socket"];

impl Factory {
    /// Forks the factory into the namespaces of `pid` (the container's
    /// first process). The caller must be single-threaded.
    pub fn start(pid: i32) -> Result<Factory, SpawnError> {
        let open = |ns: &str| {
            let path = format!("/proc/{pid}/ns/{ns}");
            std::fs::File::open(&path).map_err(|e| failed(format!("open {path}"), e))
        };
        let (user, net) = (open("user")?, open("net")?);
        let ours = std::fs::metadata("/proc/self/ns/user").map_err(|e| failed("stat /proc/self/ns/user".into(), e))?;
        let theirs = user.metadata().map_err(|e| failed(format!("stat /proc/{pid}/ns/user"), e))?;
        // setns into the user namespace one is already in is EINVAL (root without one).
        let user = ((ours.dev(), ours.ino()) != (theirs.dev(), theirs.ino())).then_some(user);
        let (ours, theirs) = socketpair(AddressFamily::UNIX, SocketType::SEQPACKET, SocketFlags::CLOEXEC, None)
            .map_err(|e| failed("create socketpair".into(), e.into()))?;
        let parent = rustix::process::getpid();
        let child = match clone_process(0).map_err(|e| failed("fork".into(), e))? {
            Forked::Child => {
                drop(ours);
                serve(theirs, user.as_ref().map(|u| u.as_fd()), net.as_fd(), parent)
            }
            Forked::Parent(child) => child,
        };
        drop(theirs);
        let factory = Factory { sock: ours, pid: child };
        factory.await_ready(pid)?;
        Ok(factory)
    }

    /// Waits (bounded) for the factory's first word: ready, or the step that failed.
    fn await_ready(&self, pid: i32) -> Result<(), SpawnError> {
        let mut fds = [PollFd::new(&self.sock, PollFlags::IN)];
        let ts = Timespec { tv_sec: READY_WITHIN_MS / 1000, tv_nsec: 0 };
        let timeout = || failed(format!("enter the network namespace of {pid}"), io::ErrorKind::TimedOut.into());
        loop {
            match poll(&mut fds, Some(&ts)) {
                Ok(0) => return Err(timeout()),
                Ok(_) => break,
                Err(rustix::io::Errno::INTR) => continue,
                Err(e) => return Err(failed("poll".into(), e.into())),
            }
        }
        match self.recv(&mut Vec::new()) {
            Ok(()) => Ok(()),
            Err((step, e)) => Err(failed(format!("{step} of {pid}"), e)),
        }
    }

    /// The descriptor to poll for replies.
    pub fn fd(&self) -> BorrowedFd<'_> {
        self.sock.as_fd()
    }

    /// Asks for [`BATCH`] sockets (non-blocking: at most one request is
    /// outstanding, and the socket buffer holds many).
    pub fn request(&self) -> io::Result<()> {
        sendmsg(&self.sock, &[IoSlice::new(&[BATCH as u8])], &mut SendAncillaryBuffer::default(), SendFlags::DONTWAIT)?;
        Ok(())
    }

    /// Receives one reply, adding its sockets to `pool`; the error names
    /// the factory's failed step, or says it is gone.
    pub fn recv(&self, pool: &mut Vec<OwnedFd>) -> Result<(), (&'static str, io::Error)> {
        let mut word = [0u8; 8];
        let mut space = [MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(BATCH))];
        let mut control = RecvAncillaryBuffer::new(&mut space);
        let got = loop {
            match recvmsg(&self.sock, &mut [IoSliceMut::new(&mut word)], &mut control, RecvFlags::CMSG_CLOEXEC) {
                Err(rustix::io::Errno::INTR) => continue,
                other => break other.map_err(|e| ("receive from the socket factory", e.into()))?,
            }
        };
        for m in control.drain() {
            if let RecvAncillaryMessage::ScmRights(fds) = m {
                pool.extend(fds);
            }
        }
        if got.bytes != 8 {
            return Err(("receive from the socket factory", io::Error::other("the factory has exited")));
        }
        let (errno, step) = (i32::from_ne_bytes(word[..4].try_into().expect("4")), word[4] as usize);
        match errno {
            0 => Ok(()),
            _ => Err((STEPS.get(step).copied().unwrap_or("socket factory"), io::Error::from_raw_os_error(errno))),
        }
    }
}

impl Drop for Factory {
    fn drop(&mut self) {
        let _ = send_signal(self.pid, libc::SIGKILL);
        if let Some(p) = Pid::from_raw(self.pid) {
            let _ = waitpid(Some(p), WaitOptions::empty());
        }
    }
}

fn failed(what: String, source: io::Error) -> SpawnError {
    SpawnError::Network { what: format!("published ports: {what}"), hint: String::new(), source }
}

/// The factory itself: enter the namespaces, report, then answer each
/// request with that many sockets until cove's end closes.
fn serve(sock: OwnedFd, user: Option<BorrowedFd>, net: BorrowedFd, parent: rustix::process::Pid) -> ! {
    use rustix::thread::{LinkNameSpaceType, move_into_link_name_space};
    // ORDER: the death signal before the parent check, so a parent that
    // died in between is seen; user namespace before network namespace
    // (entering the user one grants the capability the other is checked against).
    let _ = rustix::process::set_parent_process_death_signal(Some(rustix::process::Signal::KILL));
    if rustix::process::getppid() != Some(parent) {
        exit_now(1);
    }
    let _ = rustix::process::set_dumpable_behavior(rustix::process::DumpableBehavior::NotDumpable);
    let step = |i: u8, r: io::Result<()>| {
        if let Err(e) = r {
            reply(&sock, e.raw_os_error().unwrap_or(libc::EIO), i, &[]);
            exit_now(1);
        }
    };
    if let Some(user) = user {
        step(0, move_into_link_name_space(user, Some(LinkNameSpaceType::User)).map_err(Into::into));
    }
    step(1, move_into_link_name_space(net, Some(LinkNameSpaceType::Network)).map_err(Into::into));
    step(2, close_all_except(&[sock.as_raw_fd()]));
    reply(&sock, 0, 0, &[]);
    let mut req = [0u8; 1];
    loop {
        match rustix::net::recv(&sock, &mut req, RecvFlags::empty()) {
            Ok((0, _)) => exit_now(0),
            Ok(_) => {}
            Err(rustix::io::Errno::INTR) => continue,
            Err(_) => exit_now(1),
        }
        let mut made = Vec::with_capacity(BATCH);
        for _ in 0..usize::from(req[0]).min(BATCH) {
            match socket_with(
                AddressFamily::INET,
                SocketType::STREAM,
                SocketFlags::NONBLOCK | SocketFlags::CLOEXEC,
                None,
            ) {
                Ok(s) => made.push(s),
                Err(e) if made.is_empty() => {
                    reply(&sock, e.raw_os_error(), 3, &[]);
                    exit_now(1)
                }
                Err(_) => break,
            }
        }
        let fds: Vec<BorrowedFd> = made.iter().map(|s| s.as_fd()).collect();
        if !reply(&sock, 0, 0, &fds) {
            exit_now(1);
        }
    }
}

/// Sends (errno, step) with `fds` attached; false when cove's end is gone.
fn reply(sock: &OwnedFd, errno: i32, step: u8, fds: &[BorrowedFd]) -> bool {
    let mut word = [0u8; 8];
    word[..4].copy_from_slice(&errno.to_ne_bytes());
    word[4] = step;
    let mut space = [MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(BATCH))];
    let mut control = SendAncillaryBuffer::new(&mut space);
    if !fds.is_empty() {
        control.push(SendAncillaryMessage::ScmRights(fds));
    }
    sendmsg(sock, &[IoSlice::new(&word)], &mut control, SendFlags::NOSIGNAL).is_ok()
}
