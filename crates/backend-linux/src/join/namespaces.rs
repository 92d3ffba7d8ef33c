//! Entering the container's namespaces: one `setns` on the pidfd with every
//! flag (Linux 5.8, atomic), or, where the kernel refuses that, one `setns`
//! per `/proc/PID/ns/*` descriptor in the join order, the user namespace
//! first.

use crate::spawn::error::{ChildError, at};
use cove_core::plan::Namespace;
use rustix::fd::{AsFd, OwnedFd};
use rustix::fs::{Mode, OFlags, openat};
use rustix::thread::{LinkNameSpaceType, ThreadNameSpaceType};
use std::io;

/// How the namespaces are entered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    /// `setns(pidfd, flags)`, falling back to [`Method::Descriptors`] on
    /// kernels without it (EINVAL).
    Pidfd,
    /// `setns(fd, type)` per namespace, in order.
    Descriptors,
}

/// The `/proc/PID/ns/*` descriptors of a process (opened through its
/// pinned `/proc/PID` directory), for the fallback.
#[derive(Debug)]
pub struct Descriptors(Vec<(Namespace, OwnedFd)>);

/// The file under `/proc/PID/ns/`.
pub fn file(ns: Namespace) -> &'static str {
    match ns {
        Namespace::User => "user",
        Namespace::Mount => "mnt",
        Namespace::Pid => "pid",
        Namespace::Uts => "uts",
        Namespace::Ipc => "ipc",
        Namespace::Net => "net",
        Namespace::Cgroup => "cgroup",
    }
}

/// Opens every namespace of the process whose `/proc/PID` is `dir`.
pub fn open(dir: &OwnedFd) -> io::Result<Descriptors> {
    let all = cove_core::exec::JOIN_ORDER;
    let fds = all.iter().map(|ns| {
        let path = format!("ns/{}", file(*ns));
        openat(dir, path.as_str(), OFlags::RDONLY | OFlags::CLOEXEC, Mode::empty()).map(|fd| (*ns, fd))
    });
    Ok(Descriptors(fds.collect::<Result<_, _>>()?))
}

/// Enters `join` (already in the join order) of the pinned process.
pub fn enter(join: &[Namespace], pidfd: &OwnedFd, fds: &Descriptors, method: Method) -> Result<(), ChildError> {
    let what = || format!("{join:?}");
    if method == Method::Pidfd {
        let flags = join.iter().fold(ThreadNameSpaceType::empty(), |f, ns| f | thread_type(*ns));
        match rustix::thread::move_into_thread_name_spaces(pidfd.as_fd(), flags) {
            Err(rustix::io::Errno::INVAL) => {}
            other => return other.map_err(|e| at("setns", what())(e.into())),
        }
    }
    // ORDER: the user namespace first (JOIN_ORDER): it grants the
    // capabilities, in the container's namespace, that entering each of
    // the others is checked against (setns(2)).
    for ns in join {
        let (_, fd) = fds
            .0
            .iter()
            .find(|(n, _)| n == ns)
            .ok_or_else(|| at("setns", file(*ns))(io::ErrorKind::NotFound.into()))?;
        rustix::thread::move_into_link_name_space(fd.as_fd(), Some(link_type(*ns)))
            .map_err(|e| at("setns", format!("/proc/PID/ns/{}", file(*ns)))(e.into()))?;
    }
    Ok(())
}

fn thread_type(ns: Namespace) -> ThreadNameSpaceType {
    match ns {
        Namespace::User => ThreadNameSpaceType::USER,
        Namespace::Mount => ThreadNameSpaceType::MOUNT,
        Namespace::Pid => ThreadNameSpaceType::PROCESS_ID,
        Namespace::Uts => ThreadNameSpaceType::HOST_NAME_AND_NIS_DOMAIN_NAME,
        Namespace::Ipc => ThreadNameSpaceType::INTER_PROCESS_COMMUNICATION,
        Namespace::Net => ThreadNameSpaceType::NETWORK,
        Namespace::Cgroup => ThreadNameSpaceType::CONTROL_GROUP,
    }
}

pub(crate) fn link_type(ns: Namespace) -> LinkNameSpaceType {
    match ns {
        Namespace::User => LinkNameSpaceType::User,
        Namespace::Mount => LinkNameSpaceType::Mount,
        Namespace::Pid => LinkNameSpaceType::ProcessID,
        Namespace::Uts => LinkNameSpaceType::HostNameAndNISDomainName,
        Namespace::Ipc => LinkNameSpaceType::InterProcessCommunication,
        Namespace::Net => LinkNameSpaceType::Network,
        Namespace::Cgroup => LinkNameSpaceType::ControlGroup,
    }
}
