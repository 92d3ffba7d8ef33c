//! The monitor's log writer: the container's stdout and stderr as
//! json-file lines (`cove_core::container::log`), appended to its log and
//! rotated as Docker's json-file driver does (`max-size`, `max-file`).

#[cfg(target_os = "linux")]
use crate::platform::attach_io::{self, Stream};
#[cfg(not(target_os = "linux"))]
use crate::platform::{
    Pipe,
    monitor_io::{self, Stream},
};
use anyhow::Context;
use cove_core::container::log::{self, LineSplitter, LogConfig};
use cove_core::container::time;
use std::fs::{File, OpenOptions};
use std::io::Write;
#[cfg(target_os = "linux")]
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};

/// The open log (none with `--log-driver none`) and each stream's
/// unfinished line.
pub struct Writer {
    file: Option<File>,
    path: PathBuf,
    /// Bytes in the log, `pending` included.
    size: u64,
    config: LogConfig,
    out: LineSplitter,
    err: LineSplitter,
    /// Lines not yet written: one write per chunk of output, not per line
    /// (`seq 1 1000000` is a million lines).
    pending: Vec<u8>,
}

impl Writer {
    /// Opens (appends to) the log at `path`.
    pub fn open(path: &Path, config: LogConfig) -> anyhow::Result<Writer> {
        let file = if config.disabled { None } else { Some(append(path)?) };
        let size = file.as_ref().and_then(|f| f.metadata().ok()).map_or(0, |m| m.len());
        let (out, err) = (LineSplitter::default(), LineSplitter::default());
        Ok(Writer { file, path: path.to_path_buf(), size, config, out, err, pending: Vec::new() })
    }

    /// Writes the pending lines (a full disk loses them, never the container).
    fn flush(&mut self) {
        if let Some(file) = &mut self.file
            && !self.pending.is_empty()
        {
            let _ = file.write_all(&self.pending);
        }
        self.pending.clear();
    }

    /// Shifts `x.log.N` to `.N+1` (dropping the oldest), `x.log` to
    /// `x.log.1`, and starts an empty `x.log` (with `max-file=1`: empties it).
    fn rotate(&mut self) {
        // ORDER: what is pending belongs to the file being rotated away.
        self.flush();
        let keep = self.config.max_file.max(1);
        for n in (1..keep).rev() {
            let from = if n == 1 { self.path.clone() } else { log::rotated(&self.path, n - 1) };
            let _ = std::fs::rename(&from, log::rotated(&self.path, n));
        }
        // A log that cannot be reopened loses lines, never the container.
        if keep == 1 {
            if self.file.as_ref().is_some_and(|f| f.set_len(0).is_err()) {
                self.file = None;
            }
        } else {
            self.file = append(&self.path).ok();
        }
        self.size = 0;
    }

    /// Adds one entry, rotating first when it would pass `max-size`.
    fn write(&mut self, stream: Stream, text: &[u8], at: &str) {
        if self.file.is_none() {
            return;
        }
        let stream = match stream {
            Stream::Stdout => "stdout",
            Stream::Stderr => "stderr",
        };
        let start = self.pending.len();
        log::encode(&mut self.pending, text, stream, at);
        let len = (self.pending.len() - start) as u64;
        if self.config.rotates(self.size, len) {
            // ORDER: the new entry goes to the file that follows the rotation.
            let entry = self.pending.split_off(start);
            self.rotate();
            self.pending.extend_from_slice(&entry);
        }
        self.size += len;
    }
}

fn append(path: &Path) -> anyhow::Result<File> {
    OpenOptions::new().create(true).append(true).open(path).with_context(|| format!("open log {}", path.display()))
}

/// Copies the container's output into the log (and to attached clients)
/// until both pipes close.
#[cfg(target_os = "linux")]
pub fn pump(stdout: OwnedFd, stderr: OwnedFd, hub: attach_io::Hub, mut w: Writer) {
    attach_io::serve(stdout, stderr, hub, &mut |stream, bytes| write_out(&mut w, stream, bytes));
    finish(w);
}

/// Copies the container's output into the log until both pipes close.
#[cfg(not(target_os = "linux"))]
pub fn pump(stdout: Pipe, stderr: Pipe, mut w: Writer) {
    monitor_io::pump(stdout, stderr, &mut |stream, bytes| write_out(&mut w, stream, bytes));
    finish(w);
}

pub(crate) fn write_out(w: &mut Writer, stream: Stream, bytes: &[u8]) {
    // The lines of one chunk arrived at the same moment.
    let at = time::rfc3339(Some(time::now()));
    let mut splitter = std::mem::take(match stream {
        Stream::Stdout => &mut w.out,
        Stream::Stderr => &mut w.err,
    });
    splitter.push(bytes, |line| w.write(stream, line, &at));
    match stream {
        Stream::Stdout => w.out = splitter,
        Stream::Stderr => w.err = splitter,
    }
    w.flush();
}

/// Writes each stream's unfinished last line.
pub(crate) fn finish(mut w: Writer) {
    let at = time::rfc3339(Some(time::now()));
    for (stream, rest) in [(Stream::Stdout, w.out.finish()), (Stream::Stderr, w.err.finish())] {
        if let Some(rest) = rest {
            w.write(stream, &rest, &at);
        }
    }
    w.flush();
}
