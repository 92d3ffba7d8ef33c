//! The running container, pinned: its first process by pid, held with a
//! pidfd so that a reused pid is noticed, and everything the join copies
//! from it read through `/proc/PID` while it is known to be alive.

use crate::SpawnError;
use crate::process::parse_start_time;
use cove_core::exec::UserDatabase;
use rustix::event::{PollFd, PollFlags, poll};
use rustix::fs::{FileType, Mode, OFlags, ResolveFlags, fstat, openat, openat2};
use rustix::process::{Pid, PidfdFlags, pidfd_open};
use std::io::{self, Read};
use std::os::fd::OwnedFd;

/// The most of a container's `/etc/passwd` or `/etc/group` cove reads: the
/// container owns these files and could make them endless.
const USER_DB_LIMIT: u64 = 8 << 20;

/// Which process to join: the container's first process (host pid) and,
/// when recorded, its start time (`/proc/PID/stat` field 22, clock ticks
/// since boot), which tells a reused pid apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Target {
    /// Host pid of the container's first process.
    pub pid: i32,
    /// Its start time, when known.
    pub start_time: Option<u64>,
}

/// A pinned container process and what the join copies from it.
#[derive(Debug)]
pub struct Pinned {
    /// The host pid.
    pub pid: i32,
    /// A pidfd: `setns` takes the namespaces from it, and pid reuse cannot
    /// redirect it.
    pub(super) pidfd: OwnedFd,
    /// Its root directory (`/proc/PID/root`, `O_PATH`), entered after the join.
    pub(super) root: OwnedFd,
    /// `/proc/PID/cgroup`.
    pub(super) cgroup: String,
    /// `/proc/PID/limits`.
    pub(super) limits: String,
    /// `/proc/PID/ns/*`, for kernels without `setns` on a pidfd.
    pub(super) ns: super::namespaces::Descriptors,
}

/// Pins `target`: fails with [`SpawnError::NotRunning`] when it has exited
/// or its pid now belongs to another process.
pub fn pin(target: &Target) -> Result<Pinned, SpawnError> {
    let pid = target.pid;
    let gone = |why: String| SpawnError::NotRunning { pid, why };
    let raw = Pid::from_raw(pid).ok_or_else(|| gone("not a valid pid".into()))?;
    let pidfd = pidfd_open(raw, PidfdFlags::empty()).map_err(|e| gone(format!("pidfd_open: {e}")))?;
    let dir = rustix::fs::open(format!("/proc/{pid}"), OFlags::DIRECTORY | OFlags::CLOEXEC, Mode::empty())
        .map_err(|e| gone(format!("open /proc/{pid}: {e}")))?;
    // ORDER: the pidfd is checked after /proc/PID is opened: a live process
    // keeps its pid, so the directory is the pidfd's process. Later reads
    // through the directory fail (ESRCH) once that process is gone, even if
    // the pid is reused.
    check_alive(&pidfd, pid)?;
    // A read that fails because the process is exiting says so: its /proc
    // entries vanish (ENOENT, ESRCH) before its pidfd turns readable.
    let failed = |what: String| {
        let pidfd = &pidfd;
        move |e: io::Error| {
            let exiting = e.kind() == io::ErrorKind::NotFound || e.raw_os_error() == Some(libc::ESRCH);
            match check_alive(pidfd, pid) {
                Err(gone) => gone,
                Ok(()) if exiting => SpawnError::NotRunning { pid, why: format!("it is exiting ({what}: {e})") },
                Ok(()) => SpawnError::parent(what)(e),
            }
        }
    };
    let read = |name: &str| read_at(&dir, name).map_err(failed(format!("read /proc/{pid}/{name}")));
    let stat = read("stat")?;
    let started = parse_start_time(&stat).ok_or_else(|| gone(format!("unreadable /proc/{pid}/stat")))?;
    if let Some(want) = target.start_time
        && want != started
    {
        return Err(gone(format!("pid {pid} now belongs to another process (started at {started}, not {want})")));
    }
    let root = openat(&dir, "root", OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC, Mode::empty())
        .map_err(|e| failed(format!("open /proc/{pid}/root"))(e.into()))?;
    let (cgroup, limits) = (read("cgroup")?, read("limits")?);
    let ns = super::namespaces::open(&dir).map_err(failed(format!("open /proc/{pid}/ns")))?;
    check_alive(&pidfd, pid)?;
    Ok(Pinned { pid, pidfd, root, cgroup, limits, ns })
}

impl Pinned {
    /// The container's `/etc/passwd` and `/etc/group`, read inside its root;
    /// missing files are empty. The container owns them and may be hostile
    /// while cove reads: each is opened with one `openat2(RESOLVE_IN_ROOT |
    /// RESOLVE_NO_MAGICLINKS)` (no link, `..` or swap mid-walk leads out of
    /// the root) and non-blocking; anything but a regular file counts as
    /// absent (a fifo cannot hang cove, a link to `/dev/zero` cannot fill
    /// its memory), and more than [`USER_DB_LIMIT`] bytes is an error.
    pub fn user_database(&self) -> Result<UserDatabase, SpawnError> {
        let read = |file: &str| {
            read_user_file(&self.root, file)
                .map_err(SpawnError::parent(format!("read {file} in container process {}", self.pid)))
        };
        Ok(UserDatabase { passwd: read("/etc/passwd")?, group: read("/etc/group")? })
    }
}

/// One user database file inside the container's root (see
/// [`Pinned::user_database`]); `""` when it does not exist.
fn read_user_file(root: &OwnedFd, file: &str) -> io::Result<String> {
    let flags = OFlags::RDONLY | OFlags::CLOEXEC | OFlags::NOCTTY | OFlags::NONBLOCK;
    let resolve = ResolveFlags::IN_ROOT | ResolveFlags::NO_MAGICLINKS;
    let fd = match openat2(root, file.trim_start_matches('/'), flags, Mode::empty(), resolve) {
        Ok(fd) => fd,
        Err(rustix::io::Errno::NOENT) => return Ok(String::new()),
        Err(e) => return Err(e.into()),
    };
    // A fifo, device or directory holds no users: as if absent.
    if FileType::from_raw_mode(fstat(&fd)?.st_mode) != FileType::RegularFile {
        return Ok(String::new());
    }
    let mut bytes = Vec::new();
    std::fs::File::from(fd).take(USER_DB_LIMIT + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > USER_DB_LIMIT {
        return Err(io::Error::new(io::ErrorKind::InvalidData, format!("larger than {USER_DB_LIMIT} bytes")));
    }
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

fn read_at(dir: &OwnedFd, name: &str) -> io::Result<String> {
    let fd = openat(dir, name, OFlags::RDONLY | OFlags::CLOEXEC, Mode::empty())?;
    let mut text = String::new();
    std::fs::File::from(fd).read_to_string(&mut text)?;
    Ok(text)
}

/// A pidfd turns readable when its process exits.
fn check_alive(pidfd: &OwnedFd, pid: i32) -> Result<(), SpawnError> {
    let mut fds = [PollFd::new(pidfd, PollFlags::IN)];
    let zero = rustix::event::Timespec { tv_sec: 0, tv_nsec: 0 };
    match poll(&mut fds, Some(&zero)) {
        Ok(0) => Ok(()),
        Ok(_) => Err(SpawnError::NotRunning { pid, why: "it has exited".into() }),
        Err(e) => Err(SpawnError::parent(format!("poll pidfd of {pid}"))(e.into())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn start_time_after_the_command_name() {
        let stat = "42 (a (b) c) S 1 42 42 0 -1 4194560 1 0 0 0 0 0 0 0 20 0 1 0 98765 1000 10";
        assert_eq!(parse_start_time(stat), Some(98765));
        assert_eq!(parse_start_time("garbage"), None);
    }

    #[test]
    fn pins_a_live_process_and_refuses_a_wrong_start_time() {
        let me = std::process::id() as i32;
        let pinned = pin(&Target { pid: me, start_time: None }).unwrap();
        let stat = std::fs::read_to_string("/proc/self/stat").unwrap();
        let started = parse_start_time(&stat).unwrap();
        assert!(pin(&Target { pid: me, start_time: Some(started) }).is_ok());
        let err = pin(&Target { pid: me, start_time: Some(started + 1) }).unwrap_err();
        assert!(matches!(err, SpawnError::NotRunning { .. }), "{err}");
        assert!(pinned.limits.contains("Max open files"));
        let db = pinned.user_database().unwrap();
        assert!(db.passwd.contains("root:"), "the host's root is this process's root");
    }

    #[test]
    fn a_dead_pid_is_not_running() {
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = child.id() as i32;
        child.wait().unwrap();
        assert!(matches!(pin(&Target { pid, start_time: None }), Err(SpawnError::NotRunning { .. })));
    }
}
