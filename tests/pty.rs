//! `-t`: a real pseudo-terminal, driven from the test through a pty pair
//! whose slave is cove's controlling terminal and stdio.

mod common;

use common::*;
use rustix::pty::{OpenptFlags, grantpt, ioctl_tiocgptpeer, openpt, unlockpt};
use rustix::termios::{LocalModes, Winsize, tcgetattr, tcsetwinsize};
use std::fs::File;
use std::io::Write;
use std::os::fd::OwnedFd;
use std::process::Stdio;
use std::sync::mpsc;
use std::time::Duration;

fn winsize(rows: u16, cols: u16) -> Winsize {
    Winsize { ws_row: rows, ws_col: cols, ws_xpixel: 0, ws_ypixel: 0 }
}

/// A pty pair: (master, slave).
fn pty_pair(rows: u16, cols: u16) -> (OwnedFd, OwnedFd) {
    let flags = OpenptFlags::RDWR | OpenptFlags::NOCTTY | OpenptFlags::CLOEXEC;
    let master = openpt(flags).expect("openpt");
    grantpt(&master).expect("grantpt");
    unlockpt(&master).expect("unlockpt");
    let slave = ioctl_tiocgptpeer(&master, flags).expect("TIOCGPTPEER");
    tcsetwinsize(&master, winsize(rows, cols)).expect("TIOCSWINSZ");
    (master, slave)
}

/// Whether some line of the (CR-stripped) transcript ends with `tail`.
fn has_line_ending_with(text: &str, tail: &str) -> bool {
    text.lines().any(|l| l.trim_end().ends_with(tail))
}

fn is_pts_path(word: &str) -> bool {
    word.strip_prefix("/dev/pts/").is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

#[test]
fn interactive_shell_on_a_pty() {
    for mode in modes() {
        for root in roots(mode) {
            session(mode, &root);
        }
    }
}

fn session(mode: Mode, root: &[String]) {
    let (master, slave) = pty_pair(33, 77);
    let before = tcgetattr(&master).expect("tcgetattr");
    let c = cove(mode).arg("run").arg("-it").args(root).args(["--", "sh"]);
    let desc = format!("{} (on a pty, via setsid --ctty)", c.describe());
    let mut cmd = c.command_via(&["setsid", "--ctty"]);
    cmd.stdin(Stdio::from(slave.try_clone().unwrap()))
        .stdout(Stdio::from(slave.try_clone().unwrap()))
        .stderr(Stdio::from(slave));
    let mut child = cmd.spawn().unwrap_or_else(|e| panic!("{desc}: cannot start: {e}"));
    drop(cmd); // closes our copies of the slave, so the master sees EOF at the end
    let pid = child.id() as i32;
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait());
    });
    let output = Collector::start(File::from(master.try_clone().unwrap()));
    let mut input = File::from(master.try_clone().unwrap());
    let transcript = || String::from_utf8_lossy(&output.snapshot()).replace('\r', "");
    let fail = |what: &str| -> ! {
        if let Some(p) = rustix::process::Pid::from_raw(pid) {
            let _ = rustix::process::kill_process(p, rustix::process::Signal::KILL);
        }
        panic!("{desc}\n  expected: {what}\n  got transcript: {:?}", transcript());
    };

    input.write_all(b"tty; echo $TERM; stty size\n").unwrap();
    if !output.wait_for("33 77", Duration::from_secs(15)) {
        fail("`stty size` printing \"33 77\" (the window size of cove's terminal)");
    }
    let text = transcript();
    if !text.lines().any(|l| l.split_whitespace().last().is_some_and(is_pts_path)) {
        fail("`tty` printing a /dev/pts/N path");
    }
    if !has_line_ending_with(&text, "xterm") {
        fail("TERM=xterm");
    }

    // Resizing the outer terminal reaches the container's terminal.
    tcsetwinsize(&master, winsize(40, 100)).expect("TIOCSWINSZ");
    let mut resized = false;
    for _ in 0..20 {
        input.write_all(b"stty size\n").unwrap();
        if output.wait_for("40 100", Duration::from_millis(250)) {
            resized = true;
            break;
        }
    }
    if !resized {
        fail("\"40 100\" from `stty size` after the window was resized (SIGWINCH propagation)");
    }

    input.write_all(b"exit 7\n").unwrap();
    let status = match rx.recv_timeout(Duration::from_secs(15)) {
        Ok(s) => s.expect("wait"),
        Err(_) => fail("cove to exit after `exit 7`"),
    };
    if status.code() != Some(7) {
        fail(&format!("exit 7, got {status:?}"));
    }
    // cove must give the terminal back as it found it.
    let after = tcgetattr(&master).expect("tcgetattr");
    let keys = LocalModes::ICANON | LocalModes::ECHO | LocalModes::ISIG;
    assert_eq!(
        (after.local_modes & keys, after.input_modes, after.output_modes),
        (before.local_modes & keys, before.input_modes, before.output_modes),
        "{desc}: terminal modes not restored after exit"
    );
}

#[test]
fn tty_sets_term_and_merges_stderr() {
    for mode in modes() {
        let (master, slave) = pty_pair(24, 80);
        let c = cove(mode).args([
            "run",
            "-t",
            "--",
            "sh",
            "-c",
            "echo TERM=$TERM; echo to-stderr >&2; test -t 0 && test -t 1 && echo both-ttys",
        ]);
        let desc = c.describe();
        let mut cmd = c.command_via(&["setsid", "--ctty"]);
        cmd.stdin(Stdio::from(slave.try_clone().unwrap()))
            .stdout(Stdio::from(slave.try_clone().unwrap()))
            .stderr(Stdio::from(slave));
        let mut child = cmd.spawn().unwrap();
        drop(cmd);
        let pid = rustix::process::Pid::from_raw(child.id() as i32).unwrap();
        let output = Collector::start(File::from(master.try_clone().unwrap()));
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let _ = tx.send(child.wait());
        });
        let Ok(status) = rx.recv_timeout(Duration::from_secs(30)) else {
            let _ = rustix::process::kill_process(pid, rustix::process::Signal::KILL);
            panic!("{desc}\n  expected: exit\n  got: still running after 30 s (killed it)");
        };
        let status = status.unwrap();
        let text = String::from_utf8_lossy(&output.finish(Duration::from_secs(5))).replace('\r', "");
        assert_eq!(status.code(), Some(0), "{desc}: exit status; transcript {text:?}");
        assert_eq!(text, "TERM=xterm\nto-stderr\nboth-ttys\n", "{desc}: transcript");
    }
}
