//! `cove attach` and `start -a -i` (issue 5): input piped through the
//! monitor's socket into a detached container, output and exit code
//! back; with `-t`, a real pty on the test's side: the window size
//! arrives and ctrl-p,ctrl-q detaches without stopping the container.

mod common;

use common::pty::OnPty;
use common::store::Store;
use common::*;
use std::time::Duration;

#[test]
fn piped_input_reaches_a_detached_container() {
    for mode in modes() {
        let s = Store::new(mode);
        let script = format!("read a; echo got $a; read b; echo got $b >&2; exit 4; : {}", s.marker);
        s.cove(&["run", "-d", "-i", "--name", "reader", "--", "sh", "-c", &script]).ok();
        let out = cove(mode)
            .env("COVE_ROOT", s.root.to_str().unwrap())
            .args(["attach", "reader"])
            .stdin("one\ntwo\n")
            .timeout(Duration::from_secs(20))
            .run();
        out.code(4).stdout_is("got one\n").stderr_is("got two\n");
        s.cove(&["logs", "reader"]).ok().stdout_is("got one\n");
        s.cove(&["attach", "reader"]).code(1).stderr_has("not running");
        // --no-stdin: the input stays with the caller.
        let script = format!("cat & sleep 2; kill $!; echo end; : {}", s.marker);
        s.cove(&["run", "-d", "-i", "--name", "waiter", "--", "sh", "-c", &script]).ok();
        s.cove(&["attach", "--detach-keys", "ctrl-1", "waiter"]).code(125).stderr_has("detach key");
        let out = cove(mode)
            .env("COVE_ROOT", s.root.to_str().unwrap())
            .args(["attach", "--no-stdin", "waiter"])
            .stdin("ignored\n")
            .timeout(Duration::from_secs(20))
            .run();
        out.code(0).stdout_is("end\n");
        s.assert_no_processes();
    }
}

#[test]
fn start_attach_interactive_closes_stdin_at_end_of_input() {
    for mode in modes() {
        let s = Store::new(mode);
        s.cove(&["create", "-i", "--name", "cat", "--", "sh", "-c", "cat; echo done; exit 3"]).ok();
        let run = |input: &str| {
            cove(mode)
                .env("COVE_ROOT", s.root.to_str().unwrap())
                .args(["start", "-a", "-i", "cat"])
                .stdin(input)
                .timeout(Duration::from_secs(20))
                .run()
        };
        run("a\nb\n").code(3).stdout_is("a\nb\ndone\n");
        // again: a new monitor, a new socket, the same record
        run("x").code(3).stdout_is("xdone\n");
        // output that starts at once is not lost (the monitor holds it for the client)
        s.cove(&["create", "--name", "quick", "--", "sh", "-c", "echo first; exit 2"]).ok();
        s.cove(&["start", "-a", "quick"]).code(2).stdout_is("first\n");
        s.cove(&["start", "-a", "cat", "quick"]).code(125).stderr_has("multiple containers");
        // start -a of a running container attaches to it
        let late = format!("sleep 1; echo late; exit 6; : {}", s.marker);
        s.cove(&["run", "-d", "--name", "late", "--", "sh", "-c", &late]).ok();
        s.cove_with(&["start", "-a", "late"], Duration::from_secs(15)).code(6).stdout_is("late\n");
    }
}

#[test]
fn tty_attach_sizes_the_terminal_and_detaches_on_ctrl_p_ctrl_q() {
    for mode in modes() {
        let s = Store::new(mode);
        let script = format!("while :; do read -r line || exit 9; eval \"$line\"; done; : {}", s.marker);
        s.cove(&["run", "-dit", "--name", "term", "--", "sh", "-c", &script]).ok();
        let c = cove(mode).env("COVE_ROOT", s.root.to_str().unwrap()).args(["attach", "term"]);
        let mut t = OnPty::start(&c, 31, 91);
        // The size arrives from the client shortly after it connects.
        let sized = t.send_until(b"stty size; echo $((6*7))\n", "31 91", Duration::from_millis(300));
        if !sized || !t.output.wait_for("42", Duration::from_secs(5)) {
            t.fail("\"31 91\" from stty size and 42 from the shell, through the monitor");
        }
        t.send(&[0x10, 0x11]);
        let Some(status) = t.wait(Duration::from_secs(10)) else {
            t.fail("attach to end after ctrl-p ctrl-q");
        };
        if status.code() != Some(1) || !t.output.wait_for("read escape sequence", Duration::from_secs(2)) {
            t.fail(&format!("exit 1 with \"read escape sequence\" (Docker's), got {status:?}"));
        }
        s.cove(&["inspect", "-f", "{{.State.Status}}", "term"]).ok().stdout_is("running\n");
        s.cove(&["rm", "-f", "term"]).ok();
        s.assert_no_processes();
    }
}
