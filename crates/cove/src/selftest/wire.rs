//! What a probe prints: one JSON line with every attempt it made, read back
//! by the check that started it.

use serde::{Deserialize, Serialize};
use std::io;

/// Everything one probe tried, in order.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct ProbeReport {
    /// The attempts.
    pub attempts: Vec<Attempt>,
}

/// One thing a probe tried, and how the kernel answered.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Attempt {
    /// What was tried, e.g. `unshare(CLONE_NEWUSER)`.
    pub what: String,
    /// The errno it failed with (-1: an error without one); `None`: it worked.
    pub errno: Option<i32>,
    /// What it found or did when it worked (bytes read, pids seen, …), or
    /// the error text when it failed.
    #[serde(default)]
    pub found: Vec<String>,
}

impl Attempt {
    /// An attempt that worked and found `found`.
    pub fn found(what: impl Into<String>, found: Vec<String>) -> Attempt {
        Attempt { what: what.into(), errno: None, found }
    }

    /// An attempt from the result of the call; `describe` turns a success
    /// into what it found.
    pub fn of<T>(what: impl Into<String>, result: io::Result<T>, describe: impl FnOnce(T) -> Vec<String>) -> Attempt {
        match result {
            Ok(v) => Attempt::found(what, describe(v)),
            Err(e) => Attempt::failed(what, &e),
        }
    }

    /// An attempt that failed with `err`.
    pub fn failed(what: impl Into<String>, err: &io::Error) -> Attempt {
        Attempt { what: what.into(), errno: Some(err.raw_os_error().unwrap_or(-1)), found: vec![err.to_string()] }
    }

    /// Whether the attempt worked.
    pub fn succeeded(&self) -> bool {
        self.errno.is_none()
    }
}

impl ProbeReport {
    /// Adds an attempt.
    pub fn push(&mut self, attempt: Attempt) {
        self.attempts.push(attempt);
    }

    /// The first attempt whose description starts with `what`.
    pub fn get(&self, what: &str) -> Option<&Attempt> {
        self.attempts.iter().find(|a| a.what.starts_with(what))
    }
}
