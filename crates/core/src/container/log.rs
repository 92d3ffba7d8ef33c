//! Container logs in Docker's json-file shape: one JSON object per line,
//! `{"log":"text\n","stream":"stdout","time":"2026-...Z"}`. Lines longer
//! than [`MAX_LINE`] are split into several entries without `\n`.

use serde::{Deserialize, Serialize};

/// The longest entry (Docker's json-file splits at 16 KiB too).
pub const MAX_LINE: usize = 16 * 1024;

/// One entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogEntry {
    /// The text, with its `\n` when the line was complete.
    pub log: String,
    /// `stdout` or `stderr`.
    pub stream: String,
    /// RFC 3339 with nanoseconds, UTC.
    pub time: String,
}

/// Cuts one stream's output into entries: complete lines, or
/// [`MAX_LINE`]-sized pieces of a longer one.
#[derive(Debug, Default)]
pub struct LineSplitter {
    pending: Vec<u8>,
}

impl LineSplitter {
    /// Adds output; returns the entries' texts that are now complete.
    pub fn push(&mut self, bytes: &[u8]) -> Vec<String> {
        self.pending.extend_from_slice(bytes);
        let mut done = Vec::new();
        loop {
            let cut = match self.pending.iter().position(|&b| b == b'\n') {
                Some(i) if i < MAX_LINE => i + 1,
                _ if self.pending.len() >= MAX_LINE => MAX_LINE,
                _ => break,
            };
            let line: Vec<u8> = self.pending.drain(..cut).collect();
            done.push(String::from_utf8_lossy(&line).into_owned());
        }
        done
    }

    /// What is left at end-of-file (a last line without `\n`).
    pub fn finish(&mut self) -> Option<String> {
        (!self.pending.is_empty()).then(|| String::from_utf8_lossy(&std::mem::take(&mut self.pending)).into_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_lines_and_long_runs() {
        let mut s = LineSplitter::default();
        assert_eq!(s.push(b"a\nb"), vec!["a\n"]);
        assert_eq!(s.push(b"c\n\n"), vec!["bc\n", "\n"]);
        let long = vec![b'x'; MAX_LINE + 3];
        let parts = s.push(&long);
        assert_eq!(parts.len(), 1);
        assert_eq!(parts[0].len(), MAX_LINE);
        assert_eq!(s.finish().as_deref(), Some("xxx"));
        assert_eq!(s.finish(), None);
    }
}
