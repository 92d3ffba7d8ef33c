//! Waking a verb that polls a container's record (`wait`, `stop`, `rm -f`)
//! as soon as the record changes, instead of at the end of its backoff
//! pause: on Linux an inotify watch on the container's directory, where
//! every record write ends with a rename (`IN_MOVED_TO`) and `rm` moves
//! the directory away (`IN_MOVE_SELF`). The pause stays the upper bound,
//! since some changes are not writes (a monitor that died is observed, not
//! recorded), so a watch that cannot be set up only costs latency.

use std::path::Path;
use std::time::Duration;

/// A watch on one container directory (or none: then `pause` sleeps).
pub struct Watch {
    #[cfg(target_os = "linux")]
    fd: Option<std::os::fd::OwnedFd>,
}

#[cfg(target_os = "linux")]
impl Watch {
    /// Watches `dir`; without inotify (or the directory), `pause` sleeps.
    pub fn new(dir: &Path) -> Self {
        use rustix::fs::inotify::{self, CreateFlags, WatchFlags};
        let flags = WatchFlags::MOVED_TO | WatchFlags::MOVE_SELF | WatchFlags::DELETE_SELF | WatchFlags::ONLYDIR;
        let fd = inotify::init(CreateFlags::CLOEXEC | CreateFlags::NONBLOCK)
            .ok()
            .filter(|fd| inotify::add_watch(fd, dir, flags).is_ok());
        Self { fd }
    }

    /// Waits up to `most`, returning early when the directory changed.
    /// Events are drained, so each change wakes one pause; one that came
    /// between the caller's read and this call returns at once.
    pub fn pause(&self, most: Duration) {
        use rustix::event::{PollFd, PollFlags, Timespec, poll};
        let Some(fd) = &self.fd else { return std::thread::sleep(most) };
        let timeout = Timespec { tv_sec: most.as_secs() as i64, tv_nsec: i64::from(most.subsec_nanos()) };
        let mut fds = [PollFd::new(fd, PollFlags::IN)];
        if poll(&mut fds, Some(&timeout)).is_err() {
            return std::thread::sleep(most);
        }
        let mut buf = [0u8; 1024];
        while rustix::io::read(fd, &mut buf).is_ok_and(|n| n > 0) {}
    }
}

#[cfg(not(target_os = "linux"))]
impl Watch {
    /// No watch here: `pause` sleeps.
    pub fn new(_dir: &Path) -> Self {
        Self {}
    }

    /// Sleeps for `most`.
    pub fn pause(&self, most: Duration) {
        std::thread::sleep(most)
    }
}
