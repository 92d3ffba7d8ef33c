//! A closed stdout (`cove ps | head -1`): cove ends quietly with 141, the
//! shell status of Docker's CLI dying of SIGPIPE, never with a panic.

mod common;

use common::store::Store;
use common::*;
use std::io::Read;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

/// Waits (at most 30 s, then kills it) and returns the exit code and stderr.
fn finish(mut child: Child, desc: &str) -> (Option<i32>, String) {
    let end = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for cove") {
            break status;
        }
        if Instant::now() > end {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{desc}: still running after 30 s with its reader gone");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut err = String::new();
    let _ = child.stderr.take().expect("piped stderr").read_to_string(&mut err);
    (status.code(), err)
}

fn assert_quiet(desc: &str, (code, err): (Option<i32>, String)) {
    assert!(!err.contains("panicked") && !err.contains("RUST_BACKTRACE"), "{desc}: panicked: {err}");
    assert_eq!(code, Some(141), "{desc}: exit code (stderr: {err})");
    assert_eq!(err, "", "{desc}: nothing on stderr");
}

#[test]
fn closed_stdout_ends_quietly_with_141() {
    for mode in modes() {
        let s = Store::new(mode);
        let root = s.root.to_str().unwrap().to_owned();
        s.cove(&["run", "-d", "--name", "chatty", "--", "sh", "-c", "seq 1 200000"]).ok();
        s.cove(&["wait", "chatty"]).ok().stdout_is("0\n");
        for args in [&["ps", "-a"][..], &["ps", "-a", "--format", "json"], &["images"], &["logs", "chatty"]] {
            let c = cove(mode).env("COVE_ROOT", &root).args(args);
            // A reader gone before the first line...
            let (read, write) = rustix::pipe::pipe().expect("pipe");
            drop(read);
            let mut cmd = c.command();
            cmd.stdin(Stdio::null()).stdout(std::fs::File::from(write)).stderr(Stdio::piped());
            let child = cmd.spawn().expect("start cove");
            assert_quiet(&format!("{} (reader gone)", c.describe()), finish(child, &c.describe()));
        }
        // ... and one that reads a little, then closes (`| head -1`).
        let c = cove(mode).env("COVE_ROOT", &root).args(["logs", "chatty"]);
        let mut cmd = c.command();
        cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("start cove");
        let mut first = [0u8; 2];
        child.stdout.take().expect("piped stdout").read_exact(&mut first).expect("first bytes of the log");
        assert_eq!(&first, b"1\n");
        assert_quiet(&format!("{} | head -1", c.describe()), finish(child, &c.describe()));
        s.cove(&["rm", "chatty"]).ok();
    }
}
