//! Foreground `cove run` is a stored container, as with Docker (issue 5):
//! visible to `ps`, `exec`, `inspect`, `stop` while it runs, kept as
//! exited with its exit code and logs afterwards (`start` and `rm` work on
//! it), removed at exit with `--rm`, a taken name refused with 125, and a
//! CLI killed with SIGKILL leaves a record `ps -a` shows as exited and
//! `rm -f` cleans. Each test uses its own store.

mod common;

use common::store::{Store, assert_gone};
use common::*;
use std::time::Duration;

/// Waits (bounded, in the container's own /tmp) until `exec … touch /tmp/go`.
const GATE: &str = "i=0; while [ ! -e /tmp/go ] && [ $i -lt 600 ]; do sleep 0.05; i=$((i+1)); done";

fn store_is_empty(s: &Store) {
    let left: Vec<_> = std::fs::read_dir(s.root.join("containers")).unwrap().flatten().map(|e| e.file_name()).collect();
    assert_eq!(left, vec![std::ffi::OsString::from(".lock")], "store not empty");
}

/// Polls until the container (which a foreground CLI may not have stored
/// yet) runs; its `inspect`.
fn until_running(s: &Store, name: &str) -> serde_json::Value {
    let end = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let out = s.cove(&["inspect", name]);
        if out.code == Some(0) {
            let v: serde_json::Value = serde_json::from_str(&out.stdout()).unwrap();
            if v[0]["State"]["Running"] == true {
                return v[0].clone();
            }
        }
        assert!(std::time::Instant::now() < end, "{name} not running within 20 s: {}", out.stdout());
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Lets the container past [`GATE`]; the exec may be killed with it (137).
fn release(s: &Store, name: &str) {
    let out = s.cove(&["exec", name, "touch", "/tmp/go"]);
    assert!(matches!(out.code, Some(0 | 137)), "{}: {:?} {}", out.desc, out.code, out.stderr());
}

fn foreground(s: &Store, args: &[&str]) -> Running {
    cove(s.mode)
        .env("COVE_ROOT", s.root.to_str().unwrap())
        .arg("run")
        .args(args)
        .timeout(Duration::from_secs(60))
        .spawn()
}

#[test]
fn foreground_run_is_a_stored_container() {
    for mode in modes() {
        let s = Store::new(mode);
        let script = format!("echo out; echo err >&2; {GATE}; exit 7; : {}", s.marker);
        let run = foreground(&s, &["--name", "fg", "--", "sh", "-c", &script]);
        let v = until_running(&s, "fg");
        assert_eq!(v["Cove"]["MonitorPid"].as_i64(), Some(i64::from(run.pid())), "the CLI is the monitor: {v:#}");
        s.cove(&["ps", "--format", "{{.Names}} {{.State}}"]).ok().stdout_is("fg running\n");
        // exec joins the foreground container (its /tmp, its pid 1)
        s.cove(&["exec", "fg", "sh", "-c", "echo joined; ls /tmp"]).ok().stdout_is("joined\n");
        release(&s, "fg");
        let out = run.wait();
        out.code(7).stdout_is("out\n").stderr_is("err\n");
        s.cove(&["ps", "-a", "--format", "{{.Names}} {{.State}}"]).ok().stdout_is("fg exited\n");
        s.cove(&["inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}", "fg"]).ok().stdout_is("exited 7\n");
        s.cove(&["wait", "fg"]).ok().stdout_is("7\n");
        // Docker records foreground output too, each stream as its own
        s.cove(&["logs", "fg"]).ok().stdout_is("out\n").stderr_is("err\n");
        // the name stays taken until rm: Docker's conflict, exit 125
        s.cove(&["run", "--name", "fg", "--", "true"]).code(125).stderr_has("\"fg\" is already in use by container");
        // start runs it again (detached, as Docker's start does)
        s.cove(&["start", "fg"]).ok().stdout_is("fg\n");
        s.until("fg", Duration::from_secs(10), |v| v["State"]["Running"] == true);
        release(&s, "fg");
        s.cove(&["wait", "fg"]).ok().stdout_is("7\n");
        s.cove(&["logs", "fg"]).ok().stdout_is("out\nout\n");
        s.cove(&["rm", "fg"]).ok().stdout_is("fg\n");
        s.cove(&["ps", "-aq"]).ok().stdout_is("");
        s.assert_no_processes();
        store_is_empty(&s);
    }
}

#[test]
fn foreground_rm_and_generated_names() {
    for mode in modes() {
        let s = Store::new(mode);
        // --rm: the exit code is cove's, nothing stays in the store
        s.cove(&["run", "--rm", "--name", "gone", "--", "sh", "-c", "echo hi; exit 3"]).code(3).stdout_is("hi\n");
        s.cove(&["ps", "-aq"]).ok().stdout_is("");
        store_is_empty(&s);
        // no --name: a generated one; a failed exec is recorded as exited 127
        s.cove(&["run", "--", "true"]).ok();
        s.cove(&["run", "--", "/no/such/program"]).code(127).stderr_has("no such file");
        let ps = s.cove(&["ps", "-a", "--format", "{{.Names}} {{.Status}}"]);
        let rows = ps.ok().lines();
        assert_eq!(rows.len(), 2, "{}", ps.stdout());
        for row in &rows {
            let generated = row.split(' ').next().unwrap();
            assert!(
                generated.contains('_') && generated.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
                "{rows:?}"
            );
        }
        assert!(
            rows.iter().any(|r| r.contains("Exited (0)")) && rows.iter().any(|r| r.contains("Exited (127)")),
            "{rows:?}"
        );
        // -t: the pty's output is what the log holds
        s.cove(&["run", "-t", "--name", "tty", "--", "sh", "-c", "echo ttyout"]).ok().stdout_has("ttyout");
        s.cove(&["logs", "tty"]).ok().stdout_is("ttyout\r\n");
        // --cidfile: Docker writes the id of a foreground container too
        let cid = s.root.with_file_name("fg.cid");
        s.cove(&["run", "--rm", "--cidfile", cid.to_str().unwrap(), "--", "true"]).ok();
        let id = std::fs::read_to_string(&cid).unwrap();
        assert!(id.len() == 64 && id.bytes().all(|b| b.is_ascii_hexdigit()), "cidfile {id:?}");
        // --log-driver none: the output is still shown, nothing kept
        s.cove(&["run", "--log-driver", "none", "--name", "quiet", "--", "echo", "shown"]).ok().stdout_is("shown\n");
        s.cove(&["logs", "quiet"]).code(1);
    }
}

#[test]
fn foreground_container_stopped_by_a_verb() {
    for mode in modes() {
        let s = Store::new(mode);
        let run = foreground(&s, &["--name", "stoppable", "--", "sh", "-c", &s.sleeper()]);
        until_running(&s, "stoppable");
        // sh as pid 1 ignores SIGTERM: stop ends it with SIGKILL after -t
        s.cove(&["stop", "-t", "1", "stoppable"]).ok().stdout_is("stoppable\n");
        run.wait().code(137);
        s.cove(&["inspect", "-f", "{{.State.ExitCode}}", "stoppable"]).ok().stdout_is("137\n");
        s.cove(&["rm", "stoppable"]).ok();
        s.assert_no_processes();
        store_is_empty(&s);
    }
}

#[test]
fn killed_foreground_cli_is_reported_and_cleaned() {
    for mode in modes() {
        let s = Store::new(mode);
        let run = foreground(&s, &["--name", "victim", "--", "sh", "-c", &s.sleeper()]);
        let v = until_running(&s, "victim");
        let init = v["State"]["Pid"].as_i64().unwrap();
        run.signal(rustix::process::Signal::KILL);
        let _ = run.wait();
        // the container dies with the CLI (its parent) and shows as exited
        s.assert_no_processes();
        assert_gone(init);
        s.cove(&["ps", "-a", "--format", "{{.Names}} {{.Status}}"]).ok().stdout_is("victim Exited (unknown)\n");
        s.cove(&["rm", "-f", "victim"]).ok().stdout_is("victim\n");
        s.cove(&["ps", "-aq"]).ok().stdout_is("");
        store_is_empty(&s);
    }
}

#[test]
fn foreground_cli_killed_at_many_points() {
    for mode in modes() {
        let s = Store::new(mode);
        for delay_ms in [0u64, 2, 5, 10, 20, 40, 80, 160] {
            let c = cove(mode).env("COVE_ROOT", s.root.to_str().unwrap()).args(["run", "--", "sh", "-c", &s.sleeper()]);
            let mut child =
                c.command().stdout(std::process::Stdio::null()).stderr(std::process::Stdio::null()).spawn().unwrap();
            std::thread::sleep(Duration::from_millis(delay_ms));
            let _ = child.kill();
            let _ = child.wait();
        }
        // nothing outlives its CLI; whatever got stored is truthfully exited
        s.assert_no_processes();
        let ps = s.cove(&["ps", "-a", "--format", "{{.State}} {{.Status}}"]);
        for row in ps.ok().lines() {
            assert_eq!(row, "exited Exited (unknown)", "{}", ps.stdout());
        }
        if let Some(out) = s.remove_all() {
            out.ok();
        }
        s.cove(&["ps", "-aq"]).ok().stdout_is("");
        let left: Vec<_> =
            std::fs::read_dir(s.root.join("containers")).unwrap().flatten().map(|e| e.file_name()).collect();
        assert!(left.iter().all(|n| n == ".lock" || n.to_string_lossy().starts_with(".tmp-")), "{left:?}");
    }
}
