//! `-t`: a real pseudo-terminal, driven from the test through a pty pair
//! whose slave is cove's controlling terminal and stdio.

mod common;

use common::pty::{OnPty, winsize};
use common::*;
use rustix::termios::{LocalModes, tcgetattr, tcsetwinsize};
use std::time::Duration;

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
    let mut t = OnPty::start(&cove(mode).arg("run").arg("-it").args(root).args(["--", "sh"]), 33, 77);
    let before = tcgetattr(t.master()).expect("tcgetattr");

    t.send(b"tty; echo $TERM; stty size\n");
    if !t.output.wait_for("33 77", Duration::from_secs(15)) {
        t.fail("`stty size` printing \"33 77\" (the window size of cove's terminal)");
    }
    let text = t.transcript();
    if !text.lines().any(|l| l.split_whitespace().last().is_some_and(is_pts_path)) {
        t.fail("`tty` printing a /dev/pts/N path");
    }
    if !has_line_ending_with(&text, "xterm") {
        t.fail("TERM=xterm");
    }

    // Resizing the outer terminal reaches the container's terminal.
    tcsetwinsize(t.master(), winsize(40, 100)).expect("TIOCSWINSZ");
    if !t.send_until(b"stty size\n", "40 100", Duration::from_millis(250)) {
        t.fail("\"40 100\" from `stty size` after the window was resized (SIGWINCH propagation)");
    }

    t.send(b"exit 7\n");
    let Some(status) = t.wait(Duration::from_secs(15)) else {
        t.fail("cove to exit after `exit 7`");
    };
    if status.code() != Some(7) {
        t.fail(&format!("exit 7, got {status:?}"));
    }
    // cove must give the terminal back as it found it.
    let after = tcgetattr(t.master()).expect("tcgetattr");
    let keys = LocalModes::ICANON | LocalModes::ECHO | LocalModes::ISIG;
    assert_eq!(
        (after.local_modes & keys, after.input_modes, after.output_modes),
        (before.local_modes & keys, before.input_modes, before.output_modes),
        "{}: terminal modes not restored after exit",
        t.describe()
    );
}

#[test]
fn tty_sets_term_and_merges_stderr() {
    for mode in modes() {
        let c = cove(mode).args([
            "run",
            "-t",
            "--",
            "sh",
            "-c",
            "echo TERM=$TERM; echo to-stderr >&2; test -t 0 && test -t 1 && echo both-ttys",
        ]);
        let mut t = OnPty::start(&c, 24, 80);
        let Some(status) = t.wait(Duration::from_secs(30)) else {
            t.fail("exit within 30 s (killed it)");
        };
        let text = String::from_utf8_lossy(&t.output.finish(Duration::from_secs(5))).replace('\r', "");
        let desc = t.describe();
        assert_eq!(status.code(), Some(0), "{desc}: exit status; transcript {text:?}");
        assert_eq!(text, "TERM=xterm\nto-stderr\nboth-ttys\n", "{desc}: transcript");
    }
}
