//! Signals sent to cove reach the container, and `--init` reaps zombies.

mod common;

use common::*;
use rustix::process::Signal;
use std::time::Duration;

const FORWARDED: &[(Signal, &str)] = &[
    (Signal::INT, "INT"),
    (Signal::TERM, "TERM"),
    (Signal::HUP, "HUP"),
    (Signal::QUIT, "QUIT"),
    (Signal::USR1, "USR1"),
    (Signal::USR2, "USR2"),
];

/// Starts a shell that traps `name`, waits until it is ready, signals cove
/// and checks that the trap ran and set the exit code.
fn trapped(mode: Mode, root: &[String], flags: &[&str], sig: Signal, name: &str) {
    let script = format!("trap 'echo got-{name}; exit 3' {name}; echo ready; while :; do sleep 0.05; done");
    let c =
        cove(mode).arg("run").args(root).args(flags).args(["--", "sh", "-c", &script]).timeout(Duration::from_secs(15));
    let running = c.spawn();
    running.expect_stdout("ready\n");
    running.signal(sig);
    let out = running.wait();
    out.code(3).stdout_is(&format!("ready\ngot-{name}\n"));
}

#[test]
fn signals_reach_a_trapping_shell_under_init() {
    for mode in modes() {
        for (sig, name) in FORWARDED {
            trapped(mode, &[], &["--init"], *sig, name);
        }
    }
}

#[test]
fn signals_reach_a_trapping_shell_as_pid_1() {
    for mode in modes() {
        for (sig, name) in FORWARDED {
            trapped(mode, &[], &[], *sig, name);
        }
    }
}

#[test]
fn signals_in_a_rootfs() {
    for mode in modes() {
        let Some(root) = busybox(mode) else { continue };
        let root = vec!["--rootfs".to_owned(), root.display().to_string()];
        for flags in [&["--init"][..], &[][..]] {
            trapped(mode, &root, flags, Signal::TERM, "TERM");
            trapped(mode, &root, flags, Signal::INT, "INT");
        }
    }
}

#[test]
fn an_untrapped_signal_kills_the_command_under_init() {
    for mode in modes() {
        let running = cove(mode).args(["run", "--init", "--", "sh", "-c", "echo ready; exec sleep 30"]).spawn();
        running.expect_stdout("ready\n");
        std::thread::sleep(Duration::from_millis(50)); // let the shell exec sleep
        running.signal(Signal::TERM);
        running.wait().code(143);
    }
}

#[test]
fn init_is_pid_1_and_reaps_zombies() {
    // Orphans that exit at once become zombies unless pid 1 reaps them.
    let script = "for i in 1 2 3; do (sleep 0 &); done; sleep 0.3; echo $$; cat /proc/1/comm; \
                  for f in /proc/[0-9]*/stat; do read -r l < $f && echo \"${l##*) }\" | cut -c1; done";
    for mode in modes() {
        for root in roots(mode) {
            let out = sh_root(mode, &root, &["--init"], script);
            out.ok();
            let lines = out.lines();
            if lines.len() < 3 {
                out.fail("the shell's pid, pid 1's name and one state per process");
            }
            if lines[0] == "1" {
                out.fail("with --init, the command is not pid 1");
            }
            if lines[1] == "sh" || lines[1] == "sleep" {
                out.fail("with --init, pid 1 is cove's init, not the command");
            }
            if lines[2..].iter().any(|s| s == "Z") {
                out.fail("no zombie (state Z) processes");
            }
        }
    }
}

#[test]
fn busybox_ps_shows_no_zombies_under_init() {
    for mode in modes() {
        let Some(root) = busybox(mode) else { continue };
        let out = sh_in(mode, root, &["--init"], "for i in 1 2 3; do (sleep 0 &) ; done; sleep 0.3; ps -o stat,pid");
        out.ok();
        let stats: Vec<String> =
            out.lines().iter().skip(1).filter_map(|l| l.split_whitespace().next().map(str::to_owned)).collect();
        if stats.is_empty() || stats.iter().any(|s| s.starts_with('Z')) {
            out.fail("ps listing processes and none in state Z");
        }
    }
}
