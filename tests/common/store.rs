//! A private container store for lifecycle tests: cove with `COVE_ROOT`
//! set, inspect/poll helpers, and a drop guard that removes every
//! container and kills whatever carries the store's marker.

use super::*;
use serde_json::Value;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// A private store for one mode; dropping it removes every container in it.
pub struct Store {
    pub mode: Mode,
    _dir: TestDir,
    pub root: PathBuf,
    pub marker: String,
}

impl Store {
    pub fn new(mode: Mode) -> Store {
        let dir = TestDir::new(mode, "lifecycle");
        let root = dir.join("store");
        Store { mode, _dir: dir, root, marker: unique("cove-lc-marker") }
    }

    pub fn cove(&self, args: &[&str]) -> Out {
        self.cove_with(args, Duration::from_secs(30))
    }

    pub fn cove_with(&self, args: &[&str], limit: Duration) -> Out {
        cove(self.mode).env("COVE_ROOT", self.root.to_str().unwrap()).args(args).timeout(limit).run()
    }

    /// A long-running command that carries this store's marker.
    pub fn sleeper(&self) -> String {
        format!("sleep 60; : {}", self.marker)
    }

    pub fn inspect(&self, name: &str) -> Value {
        let out = self.cove(&["inspect", name]);
        out.ok();
        let v: Value = serde_json::from_str(&out.stdout()).unwrap_or_else(|e| out.fail(&format!("JSON ({e})")));
        v[0].clone()
    }

    /// Polls `inspect` until `f` holds (at most `limit`).
    pub fn until(&self, name: &str, limit: Duration, f: impl Fn(&Value) -> bool) -> Value {
        let end = Instant::now() + limit;
        loop {
            let v = self.inspect(name);
            if f(&v) {
                return v;
            }
            assert!(Instant::now() < end, "[{}] {name}: condition not reached in {limit:?}: {v:#}", self.mode.label());
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn ids(&self) -> Vec<String> {
        let out = self.cove(&["ps", "-aq", "--no-trunc"]);
        out.ok();
        out.lines()
    }

    /// `rm -f` of every container in this store; `None` when it has none.
    pub fn remove_all(&self) -> Option<Out> {
        let ids = self.ids();
        if ids.is_empty() {
            return None;
        }
        let mut args = vec!["rm", "-f"];
        args.extend(ids.iter().map(String::as_str));
        Some(self.cove(&args))
    }

    /// Nothing of this store runs any more.
    pub fn assert_no_processes(&self) {
        let end = Instant::now() + Duration::from_secs(5);
        while !processes_with(&self.marker).is_empty() {
            assert!(Instant::now() < end, "processes left: {:?}", processes_with(&self.marker));
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// Waits up to 5 s for host process `pid` to be gone (reaped).
pub fn assert_gone(pid: i64) {
    let end = Instant::now() + Duration::from_secs(5);
    while std::path::Path::new(&format!("/proc/{pid}")).exists() {
        assert!(Instant::now() < end, "process {pid} still exists 5 s later");
        std::thread::sleep(Duration::from_millis(20));
    }
}

impl Drop for Store {
    fn drop(&mut self) {
        let _ = self.remove_all();
        for (pid, _) in processes_with(&self.marker) {
            if let Some(p) = rustix::process::Pid::from_raw(pid) {
                let _ = rustix::process::kill_process(p, rustix::process::Signal::KILL);
            }
        }
    }
}
