//! The monitor's log writer: the container's stdout and stderr as
//! json-file lines (`cove_core::container::log`), appended to its log.

use crate::platform::Pipe;
use crate::platform::monitor_io::{self, Stream};
use anyhow::Context;
use cove_core::container::log::{LineSplitter, LogEntry};
use cove_core::container::time;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::Path;

/// The open log and each stream's unfinished line.
pub struct Writer {
    file: File,
    out: LineSplitter,
    err: LineSplitter,
}

impl Writer {
    /// Opens (appends to) the log at `path`.
    pub fn open(path: &Path) -> anyhow::Result<Writer> {
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .with_context(|| format!("open log {}", path.display()))?;
        Ok(Writer { file, out: LineSplitter::default(), err: LineSplitter::default() })
    }

    fn write(&mut self, stream: Stream, text: String) {
        let stream = match stream {
            Stream::Stdout => "stdout",
            Stream::Stderr => "stderr",
        };
        let entry = LogEntry { log: text, stream: stream.to_owned(), time: time::rfc3339(Some(time::now())) };
        if let Ok(mut line) = serde_json::to_vec(&entry) {
            line.push(b'\n');
            // A full disk loses log lines, never the container.
            let _ = self.file.write_all(&line);
        }
    }
}

/// Copies the container's output into the log until both pipes close.
pub fn pump(stdout: Pipe, stderr: Pipe, mut w: Writer) {
    monitor_io::pump(stdout, stderr, &mut |stream, bytes| {
        let lines = match stream {
            Stream::Stdout => w.out.push(bytes),
            Stream::Stderr => w.err.push(bytes),
        };
        for line in lines {
            w.write(stream, line);
        }
    });
    for (stream, rest) in [(Stream::Stdout, w.out.finish()), (Stream::Stderr, w.err.finish())] {
        if let Some(rest) = rest {
            w.write(stream, rest);
        }
    }
}
