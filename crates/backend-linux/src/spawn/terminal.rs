//! The caller's side of `-t`: raw mode on cove's own terminal (restored on
//! drop) and window-size propagation to the container's pty.

use rustix::termios::{OptionalActions, Termios, tcgetattr, tcgetwinsize, tcsetattr, tcsetwinsize};
use std::os::fd::{AsFd, OwnedFd};

/// Puts stdin's terminal into raw mode until dropped.
pub struct RawMode {
    saved: Option<Termios>,
}

impl RawMode {
    /// Raw mode when stdin is a terminal; a no-op otherwise.
    pub fn enter() -> RawMode {
        let stdin = rustix::stdio::stdin();
        let saved = tcgetattr(stdin).ok();
        if let Some(saved) = &saved {
            let mut raw = saved.clone();
            raw.make_raw();
            let _ = tcsetattr(stdin, OptionalActions::Now, &raw);
        }
        RawMode { saved }
    }
}

impl Drop for RawMode {
    fn drop(&mut self) {
        if let Some(saved) = &self.saved {
            let _ = tcsetattr(rustix::stdio::stdin(), OptionalActions::Now, saved);
        }
    }
}

/// Copies the caller's window size (from stdin, else stdout) to `master`.
pub fn copy_window_size(master: &OwnedFd) {
    let size = tcgetwinsize(rustix::stdio::stdin()).or_else(|_| tcgetwinsize(rustix::stdio::stdout()));
    if let Ok(size) = size {
        let _ = tcsetwinsize(master.as_fd(), size);
    }
}

/// Sets `master`'s window size (a resize from an attached client).
pub fn set_window_size(master: &OwnedFd, rows: u16, cols: u16) {
    let size = rustix::termios::Winsize { ws_row: rows, ws_col: cols, ws_xpixel: 0, ws_ypixel: 0 };
    let _ = tcsetwinsize(master.as_fd(), size);
}
