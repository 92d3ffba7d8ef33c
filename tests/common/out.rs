//! How a cove run ended, with assertions that explain themselves.

use super::*;

/// How a cove run ended and what it printed.
#[derive(Clone)]
pub struct Out {
    /// The command line.
    pub desc: String,
    /// Exit code, when cove exited.
    pub code: Option<i32>,
    /// Signal, when cove itself was killed.
    pub signal: Option<i32>,
    /// stdout bytes.
    pub stdout: Vec<u8>,
    /// stderr bytes.
    pub stderr: Vec<u8>,
}

/// Bytes for a message: lossy text, cut to a readable length.
pub fn show(b: &[u8]) -> String {
    let s = String::from_utf8_lossy(b);
    if s.chars().count() > 1500 {
        format!("{:?}… ({} bytes)", s.chars().take(1500).collect::<String>(), b.len())
    } else {
        format!("{s:?}")
    }
}

impl Out {
    /// stdout as text.
    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }

    /// stderr as text.
    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.stderr).into_owned()
    }

    /// stdout lines.
    pub fn lines(&self) -> Vec<String> {
        self.stdout().lines().map(str::to_owned).collect()
    }

    /// How it ended, for messages.
    pub fn status(&self) -> String {
        match (self.code, self.signal) {
            (Some(c), _) => format!("exit {c}"),
            (None, Some(s)) => format!("killed by signal {s}"),
            _ => "unknown status".to_owned(),
        }
    }

    /// Fails the test with a message naming the command, what was expected and what came back.
    #[track_caller]
    pub fn fail(&self, expected: &str) -> ! {
        panic!(
            "{}\n  expected: {expected}\n  got: {}\n  stdout: {}\n  stderr: {}",
            self.desc,
            self.status(),
            show(&self.stdout),
            show(&self.stderr)
        )
    }

    /// Asserts the exit code.
    #[track_caller]
    pub fn code(&self, want: i32) -> &Self {
        if self.code != Some(want) {
            self.fail(&format!("exit {want}"));
        }
        self
    }

    /// Asserts exit 0.
    #[track_caller]
    pub fn ok(&self) -> &Self {
        self.code(0)
    }

    /// Asserts a non-zero exit code (the command itself failed).
    #[track_caller]
    pub fn failed(&self) -> &Self {
        if matches!(self.code, Some(0) | None) {
            self.fail("a non-zero exit");
        }
        self
    }

    /// Asserts the exact stdout.
    #[track_caller]
    pub fn stdout_is(&self, want: &str) -> &Self {
        if self.stdout != want.as_bytes() {
            self.fail(&format!("stdout {want:?}"));
        }
        self
    }

    /// Asserts the exact stderr.
    #[track_caller]
    pub fn stderr_is(&self, want: &str) -> &Self {
        if self.stderr != want.as_bytes() {
            self.fail(&format!("stderr {want:?}"));
        }
        self
    }

    /// Asserts that stderr contains `needle`.
    #[track_caller]
    pub fn stderr_has(&self, needle: &str) -> &Self {
        if !contains(&self.stderr, needle.as_bytes()) {
            self.fail(&format!("stderr containing {needle:?}"));
        }
        self
    }

    /// Asserts that stdout contains `needle`.
    #[track_caller]
    pub fn stdout_has(&self, needle: &str) -> &Self {
        if !contains(&self.stdout, needle.as_bytes()) {
            self.fail(&format!("stdout containing {needle:?}"));
        }
        self
    }

    /// Asserts cove's own error: exit 125 and a `cove: ` message containing `needle`.
    #[track_caller]
    pub fn cove_error(&self, needle: &str) -> &Self {
        self.code(125);
        if !self.stderr().contains(needle) {
            self.fail(&format!("exit 125 with stderr containing {needle:?}"));
        }
        self
    }
}
