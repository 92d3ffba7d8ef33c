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

const SIGINT: i32 = 2;

/// Whether process `pid` blocks SIGINT (the attach client's signal proxy is set up).
fn blocks_sigint(pid: i32) -> bool {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let mask = status.lines().find_map(|l| l.strip_prefix("SigBlk:")).map(str::trim).unwrap_or("0");
    u64::from_str_radix(mask, 16).is_ok_and(|m| m & (1 << (SIGINT - 1)) != 0)
}

#[test]
fn attach_proxies_signals_unless_told_not_to() {
    for mode in modes() {
        let s = Store::new(mode);
        let script = format!("trap 'echo got-int; exit 5' INT; while :; do sleep 0.1; done; : {}", s.marker);
        s.cove(&["run", "-d", "--name", "trapper", "--", "sh", "-c", &script]).ok();
        let attach = |flags: &[&str]| {
            cove(mode)
                .env("COVE_ROOT", s.root.to_str().unwrap())
                .arg("attach")
                .args(flags)
                .arg("trapper")
                .timeout(Duration::from_secs(20))
                .spawn()
        };
        // --sig-proxy=false: SIGINT ends the client, the container runs on
        let client = attach(&["--sig-proxy=false"]);
        std::thread::sleep(Duration::from_millis(300));
        assert!(!blocks_sigint(client.pid()), "--sig-proxy=false blocks SIGINT");
        client.signal(rustix::process::Signal::INT);
        let out = client.wait();
        assert_eq!(out.signal, Some(SIGINT), "{}: {:?} {}", out.desc, out.code, out.stderr());
        s.cove(&["inspect", "-f", "{{.State.Running}}", "trapper"]).ok().stdout_is("true\n");
        // the default: SIGINT reaches the container, whose trap ends it
        let client = attach(&[]);
        let end = std::time::Instant::now() + Duration::from_secs(10);
        while !blocks_sigint(client.pid()) {
            assert!(std::time::Instant::now() < end, "the attach client never set up its signal proxy");
            std::thread::sleep(Duration::from_millis(20));
        }
        client.signal(rustix::process::Signal::INT);
        client.wait().code(5).stdout_is("got-int\n");
        s.cove(&["wait", "trapper"]).ok().stdout_is("5\n");
        s.assert_no_processes();
    }
}
