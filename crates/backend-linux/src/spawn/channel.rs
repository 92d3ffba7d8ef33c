//! The typed parent↔child channel: one JSON message per SOCK_SEQPACKET
//! datagram, optionally carrying one fd (SCM_RIGHTS).

use crate::SpawnError;
use rustix::net::{
    AddressFamily, RecvAncillaryBuffer, RecvAncillaryMessage, RecvFlags, SendAncillaryBuffer, SendAncillaryMessage,
    SendFlags, SocketFlags, SocketType, recvmsg, sendmsg, socketpair,
};
use serde::{Deserialize, Serialize};
use std::io::{self, IoSlice, IoSliceMut};
use std::mem::MaybeUninit;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};

/// Every message that crosses between cove and the container's processes.
#[derive(Debug, Serialize, Deserialize)]
pub enum Message {
    /// Parent → child: uid/gid maps are written; the child may go on.
    MapsWritten,
    /// Parent → joining process (`cove exec`): it is in the container's
    /// cgroups (or, to the forked process, its pid is known); go on.
    Proceed,
    /// Joining process → parent: it forked the exec process (this host
    /// pid), which is cove's child (`CLONE_PARENT`).
    Forked {
        /// Host pid of the exec process.
        pid: i32,
    },
    /// Child → parent: the pseudo-terminal's master side (the fd rides along).
    PtyMaster,
    /// Child → parent: the TUN device of `--network bridge`, made and
    /// configured in the container's network namespace (the fd rides along).
    NetDevice,
    /// Child → parent (OCI `create`): the namespaces and mounts stand, the
    /// root is not yet pivoted into; run the createRuntime and prestart hooks.
    RuntimeHooks,
    /// Parent → child (OCI `create`): those hooks ran; the state JSON for the
    /// container's own hooks (createContainer now, startContainer at `start`).
    HooksRan {
        /// The runtime-spec state for createContainer (`creating`).
        state: String,
        /// The state for startContainer (`created`).
        start_state: String,
    },
    /// Child → parent (or to `start`, over the gate): a hook run by the
    /// container failed; the child exits 125.
    HookFailed {
        /// createContainer or startContainer.
        point: String,
        /// Its index in the config's list.
        index: usize,
        /// Its path.
        path: String,
        /// The exit status and stderr, a timeout, or the start error.
        why: String,
    },
    /// Child → parent (OCI `create`): set up, waiting at the start gate.
    Created,
    /// Child → parent: a setup step failed; the child exits 125.
    SetupFailed {
        /// The step.
        step: String,
        /// Its path.
        path: String,
        /// errno.
        errno: i32,
    },
    /// Child → parent: `execve` failed; the child exits 126 or 127.
    ExecFailed {
        /// The program as given.
        program: String,
        /// errno of the last attempt that mattered.
        errno: i32,
    },
}

impl Message {
    pub(crate) fn name(&self) -> &'static str {
        match self {
            Message::MapsWritten => "MapsWritten",
            Message::Proceed => "Proceed",
            Message::Forked { .. } => "Forked",
            Message::PtyMaster => "PtyMaster",
            Message::NetDevice => "NetDevice",
            Message::RuntimeHooks => "RuntimeHooks",
            Message::HooksRan { .. } => "HooksRan",
            Message::HookFailed { .. } => "HookFailed",
            Message::Created => "Created",
            Message::SetupFailed { .. } => "SetupFailed",
            Message::ExecFailed { .. } => "ExecFailed",
        }
    }
}

/// One end of the channel.
pub struct Channel {
    fd: OwnedFd,
}

/// A connected pair: (parent's end, child's end), both close-on-exec.
pub fn pair() -> io::Result<(Channel, Channel)> {
    let (a, b) = socketpair(AddressFamily::UNIX, SocketType::SEQPACKET, SocketFlags::CLOEXEC, None)?;
    Ok((Channel { fd: a }, Channel { fd: b }))
}

impl AsFd for Channel {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

impl Channel {
    /// Sends `msg`, with `fd` attached when given.
    pub fn send(&self, msg: &Message, fd: Option<BorrowedFd<'_>>) -> io::Result<()> {
        let bytes = serde_json::to_vec(msg).map_err(io::Error::other)?;
        let mut space = [MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(1))];
        let mut control = SendAncillaryBuffer::new(&mut space);
        let fds;
        if let Some(fd) = fd {
            fds = [fd];
            control.push(SendAncillaryMessage::ScmRights(&fds));
        }
        sendmsg(&self.fd, &[IoSlice::new(&bytes)], &mut control, SendFlags::NOSIGNAL)?;
        Ok(())
    }

    /// Receives one message; `None` at end of stream (the peer closed or exec'd).
    pub fn recv(&self) -> Result<Option<(Message, Option<OwnedFd>)>, SpawnError> {
        // Large enough for any message (paths are at most PATH_MAX).
        let mut buf = vec![0u8; 64 << 10];
        let mut space = [MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(1))];
        let mut control = RecvAncillaryBuffer::new(&mut space);
        let got = loop {
            match recvmsg(&self.fd, &mut [IoSliceMut::new(&mut buf)], &mut control, RecvFlags::CMSG_CLOEXEC) {
                Err(rustix::io::Errno::INTR) => continue,
                // A peer that exits with unread data resets the connection.
                Err(rustix::io::Errno::CONNRESET) => return Ok(None),
                other => break other.map_err(|e| SpawnError::parent("receive from container")(e.into()))?,
            }
        };
        if got.bytes == 0 {
            return Ok(None);
        }
        let mut fd = None;
        for m in control.drain() {
            if let RecvAncillaryMessage::ScmRights(mut fds) = m {
                fd = fds.next();
            }
        }
        let msg = serde_json::from_slice(&buf[..got.bytes])
            .map_err(|e| SpawnError::Protocol { expected: "a message", got: e.to_string() })?;
        Ok(Some((msg, fd)))
    }

    /// Waits for `MapsWritten`.
    pub fn expect_maps_written(&self) -> Result<(), SpawnError> {
        self.expect("MapsWritten", |m| matches!(m, Message::MapsWritten))
    }

    /// Waits for `Proceed` (`cove exec`).
    pub fn expect_proceed(&self) -> Result<(), SpawnError> {
        self.expect("Proceed", |m| matches!(m, Message::Proceed))
    }

    fn expect(&self, expected: &'static str, want: impl Fn(&Message) -> bool) -> Result<(), SpawnError> {
        match self.recv()? {
            Some((m, _)) if want(&m) => Ok(()),
            Some((other, _)) => Err(SpawnError::Protocol { expected, got: other.name().into() }),
            None => Err(SpawnError::Protocol { expected, got: "end of stream".into() }),
        }
    }
}
