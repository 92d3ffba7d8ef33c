//! Shared harness for cove's black-box CLI tests.
//!
//! - [`modes`]: who runs cove. As root: root itself and the unprivileged
//!   user `covetest` (through `setpriv`); as anyone else: only that user.
//!   A mode that cannot run is reported with a loud `SKIP(...)` line on the
//!   real stderr (not swallowed by the test runner); with
//!   `COVE_TEST_STRICT=1` (set by `scripts/test-all` as root) a skip fails.
//! - [`cove`]: a command builder that runs the binary in a mode, with a
//!   timeout, collecting stdout and stderr; [`Out`] has assertions whose
//!   messages name the command, the expectation and what came back.
//! - [`busybox`]: the busybox root filesystem, built once per mode by
//!   `scripts/mkrootfs-busybox` under `target/tmp`.
//! - [`TestDir`]: a unique scratch directory owned by the mode's user.
#![allow(dead_code)]

use std::collections::BTreeSet;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_cove");
/// Cargo's scratch directory for integration tests (`target/tmp`).
pub const TARGET_TMP: &str = env!("CARGO_TARGET_TMPDIR");
/// The unprivileged user that rootless runs use when the tests run as root.
pub const TEST_USER: &str = "covetest";
/// Docker's default `PATH`, which cove sets in every container.
pub const DEFAULT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
/// A variable set in cove's own environment on every run; it must never
/// appear inside a container.
pub const HOST_MARKER: &str = "COVE_TEST_HOST_MARKER";
/// Default time limit of one cove run.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// Who runs cove.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// The real root user.
    Root,
    /// An unprivileged user (`covetest` when the tests run as root).
    Rootless,
}

impl Mode {
    /// A short label for messages.
    pub fn label(self) -> &'static str {
        match self {
            Mode::Root => "root",
            Mode::Rootless => "rootless",
        }
    }

    /// The host (uid, gid) that cove runs as in this mode.
    pub fn host_ids(self) -> (u32, u32) {
        match self {
            Mode::Root => (0, 0),
            Mode::Rootless if is_root() => test_user().expect("rootless mode without covetest").ids(),
            Mode::Rootless => (rustix::process::getuid().as_raw(), rustix::process::getgid().as_raw()),
        }
    }
}

/// Whether the tests run as root.
pub fn is_root() -> bool {
    rustix::process::geteuid().is_root()
}

/// Whether skips are failures (`COVE_TEST_STRICT=1`).
pub fn strict() -> bool {
    std::env::var_os("COVE_TEST_STRICT").is_some_and(|v| v == "1")
}

/// Reports a skipped check loudly on the real stderr (bypassing the test
/// runner's capture), or fails when skips are not allowed.
pub fn skip(what: &str, why: &str) {
    if strict() {
        panic!("SKIP({what}) is not allowed with COVE_TEST_STRICT=1: {why}");
    }
    // Once per test binary and reason: loud, not a flood.
    static SHOWN: Mutex<BTreeSet<String>> = Mutex::new(BTreeSet::new());
    let line = format!("*** SKIP({what}): {why} ***");
    if SHOWN.lock().unwrap().insert(line.clone()) {
        let _ = writeln!(std::io::stderr(), "\n{line}");
    }
}

/// A user from the host's `/etc/passwd`.
#[derive(Clone, Debug)]
pub struct HostUser {
    /// uid.
    pub uid: u32,
    /// Primary gid.
    pub gid: u32,
    /// Home directory.
    pub home: String,
}

impl HostUser {
    fn ids(&self) -> (u32, u32) {
        (self.uid, self.gid)
    }
}

/// `covetest` from the host's `/etc/passwd`, when it exists.
pub fn test_user() -> Option<HostUser> {
    static USER: OnceLock<Option<HostUser>> = OnceLock::new();
    USER.get_or_init(|| {
        let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
        passwd.lines().find_map(|l| {
            let f: Vec<&str> = l.split(':').collect();
            if f.len() < 7 || f[0] != TEST_USER {
                return None;
            }
            Some(HostUser { uid: f[2].parse().ok()?, gid: f[3].parse().ok()?, home: f[5].to_owned() })
        })
    })
    .clone()
}

/// The modes every behavioural test runs in (see the module docs).
pub fn modes() -> Vec<Mode> {
    /// The modes, and (mode, reason) for each skipped one.
    type Modes = (Vec<Mode>, Vec<(String, String)>);
    static MODES: OnceLock<Modes> = OnceLock::new();
    let (modes, skips) = MODES.get_or_init(|| {
        let mut modes = Vec::new();
        let mut skips = Vec::new();
        if is_root() {
            modes.push(Mode::Root);
            match rootless_problem() {
                None => modes.push(Mode::Rootless),
                Some(why) => skips.push(("rootless".to_owned(), why)),
            }
        } else {
            match unprivileged_userns_problem() {
                None => modes.push(Mode::Rootless),
                Some(why) => skips.push(("rootless".to_owned(), why)),
            }
            skips.push((
                "root".to_owned(),
                "the tests are not running as root — run scripts/test-all as root for both modes".to_owned(),
            ));
        }
        (modes, skips)
    });
    for (what, why) in skips {
        skip(what, why);
    }
    modes.clone()
}

/// Why `covetest` cannot run the binary in a user namespace (as root).
fn rootless_problem() -> Option<String> {
    if test_user().is_none() {
        return Some(format!("user {TEST_USER} does not exist — run scripts/test-all (as root it creates it)"));
    }
    let check = format!(
        "test -x '{BIN}' || {{ echo 'cannot execute {BIN}: make the target dir traversable (scripts/test-all does)'; exit 1; }}; \
         test -r '{TARGET_TMP}' -a -x '{TARGET_TMP}' || {{ echo 'cannot read {TARGET_TMP}'; exit 1; }}; \
         unshare --user true || {{ echo 'unshare --user failed: unprivileged user namespaces are off'; exit 1; }}"
    );
    let out = Command::new("setpriv")
        .args(["--reuid", TEST_USER, "--regid", TEST_USER, "--init-groups", "--", "sh", "-c", &check])
        .stdin(Stdio::null())
        .output();
    match out {
        Err(e) => Some(format!("cannot run setpriv ({e}) — install util-linux")),
        Ok(o) if o.status.success() => None,
        Ok(o) => Some(format!(
            "{TEST_USER} cannot run cove: {}{}",
            String::from_utf8_lossy(&o.stdout).trim(),
            String::from_utf8_lossy(&o.stderr).trim()
        )),
    }
}

/// Why this unprivileged user cannot create a user namespace.
fn unprivileged_userns_problem() -> Option<String> {
    match Command::new("unshare").args(["--user", "true"]).stdin(Stdio::null()).output() {
        Err(e) => Some(format!("cannot run unshare ({e}) — install util-linux")),
        Ok(o) if o.status.success() => None,
        Ok(o) => Some(format!(
            "unprivileged user namespaces are not available: {}",
            String::from_utf8_lossy(&o.stderr).trim()
        )),
    }
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// A name unique to this test process and call.
pub fn unique(tag: &str) -> String {
    format!("{tag}-{}-{}", std::process::id(), COUNTER.fetch_add(1, Ordering::Relaxed))
}

mod cgroups;
mod command;
mod fixture;
mod host;
mod out;
pub mod pty;
pub mod store;

// Each test binary uses a different part of the harness.
#[allow(unused_imports)]
pub use {cgroups::*, command::*, fixture::*, host::*, out::*};

/// The roots a behaviour is checked in: the zero-setup sandbox (no flags)
/// and, when the fixture exists, the busybox rootfs (`--rootfs DIR`).
pub fn roots(mode: Mode) -> Vec<Vec<String>> {
    let mut v = vec![Vec::new()];
    if let Some(r) = busybox(mode) {
        v.push(vec!["--rootfs".to_owned(), r.display().to_string()]);
    }
    v
}

/// `cove run ROOT_FLAGS… FLAGS… -- sh -c SCRIPT`.
pub fn sh_root(mode: Mode, root: &[String], flags: &[&str], script: &str) -> Out {
    cove(mode).arg("run").args(root).args(flags).args(["--", "sh", "-c", script]).run()
}
