//! cove on a real pseudo-terminal: the test holds the master side of a
//! pty pair, cove gets the slave as its controlling terminal and stdio
//! (through `setsid --ctty`, which execs, so the pid is cove's). Used by
//! the `-t` tests (tests/pty.rs) and `cove attach` (tests/attach.rs).

use super::{Collector, Cove};
use rustix::process::{Pid, Signal, kill_process};
use rustix::pty::{OpenptFlags, grantpt, ioctl_tiocgptpeer, openpt, unlockpt};
use rustix::termios::{Winsize, tcsetwinsize};
use std::fs::File;
use std::io::{self, Write};
use std::os::fd::OwnedFd;
use std::process::{ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// A window size of `rows` × `cols`.
pub fn winsize(rows: u16, cols: u16) -> Winsize {
    Winsize { ws_row: rows, ws_col: cols, ws_xpixel: 0, ws_ypixel: 0 }
}

/// A pty pair: (master, slave) with the given window size.
pub fn pty_pair(rows: u16, cols: u16) -> (OwnedFd, OwnedFd) {
    let flags = OpenptFlags::RDWR | OpenptFlags::NOCTTY | OpenptFlags::CLOEXEC;
    let master = openpt(flags).expect("openpt");
    grantpt(&master).expect("grantpt");
    unlockpt(&master).expect("unlockpt");
    let slave = ioctl_tiocgptpeer(&master, flags).expect("TIOCGPTPEER");
    tcsetwinsize(&master, winsize(rows, cols)).expect("TIOCSWINSZ");
    (master, slave)
}

/// A cove process whose terminal is a pty the test drives. Killed on
/// drop unless its exit status has been collected.
pub struct OnPty {
    desc: String,
    pid: Pid,
    status: mpsc::Receiver<io::Result<ExitStatus>>,
    exited: bool,
    master: OwnedFd,
    input: File,
    /// Everything cove wrote to its terminal.
    pub output: Collector,
}

impl OnPty {
    /// Starts `c` on a new pty of `rows` × `cols`.
    pub fn start(c: &Cove, rows: u16, cols: u16) -> OnPty {
        let (master, slave) = pty_pair(rows, cols);
        let desc = format!("{} (on a pty, via setsid --ctty)", c.describe());
        let mut cmd = c.command_via(&["setsid", "--ctty"]);
        cmd.stdin(Stdio::from(slave.try_clone().unwrap()))
            .stdout(Stdio::from(slave.try_clone().unwrap()))
            .stderr(Stdio::from(slave));
        let mut child = cmd.spawn().unwrap_or_else(|e| panic!("{desc}: cannot start: {e}"));
        drop(cmd); // closes our copies of the slave, so the master sees EOF at the end
        let pid = Pid::from_raw(child.id() as i32).expect("pid > 0");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let _ = tx.send(child.wait());
        });
        let output = Collector::start(File::from(master.try_clone().unwrap()));
        let input = File::from(master.try_clone().unwrap());
        OnPty { desc, pid, status: rx, exited: false, master, input, output }
    }

    /// The command line, for messages.
    pub fn describe(&self) -> &str {
        &self.desc
    }

    /// The master side (for window size and terminal modes).
    pub fn master(&self) -> &OwnedFd {
        &self.master
    }

    /// Types `bytes` at the terminal.
    pub fn send(&self, bytes: &[u8]) {
        (&self.input).write_all(bytes).unwrap_or_else(|e| panic!("{}: write to the pty: {e}", self.desc));
    }

    /// Types `bytes` up to 20 times, each time waiting `each` for `needle`
    /// to appear; whether it did (for state that arrives asynchronously,
    /// like a window size).
    pub fn send_until(&self, bytes: &[u8], needle: &str, each: Duration) -> bool {
        (0..20).any(|_| {
            self.send(bytes);
            self.output.wait_for(needle, each)
        })
    }

    /// What cove wrote so far, without carriage returns.
    pub fn transcript(&self) -> String {
        String::from_utf8_lossy(&self.output.snapshot()).replace('\r', "")
    }

    /// Waits up to `timeout` for cove to exit; `None` when it is still running.
    pub fn wait(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let status = self.status.recv_timeout(timeout).ok()?;
        self.exited = true;
        Some(status.unwrap_or_else(|e| panic!("{}: wait: {e}", self.desc)))
    }

    /// Kills cove and fails the test, showing the transcript.
    pub fn fail(&self, what: &str) -> ! {
        let _ = kill_process(self.pid, Signal::KILL);
        panic!("{}\n  expected: {what}\n  got transcript: {:?}", self.desc, self.transcript());
    }
}

impl Drop for OnPty {
    fn drop(&mut self) {
        if !self.exited && self.status.try_recv().is_err() {
            let _ = kill_process(self.pid, Signal::KILL);
            let _ = self.status.recv_timeout(Duration::from_secs(5));
        }
    }
}
