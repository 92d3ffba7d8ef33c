//! `cove logs [-f] [--tail N] [--since T] [-t]`: a container's output from
//! its json-file log, each line to the stream it came from.

use crate::cli::LogsArgs;
use crate::containers::{self, HostLiveness, not_running};
use anyhow::{Context, bail};
use cove_core::container::ContainerStore;
use cove_core::container::log::{self, LogEntry};
use cove_core::id::ContainerId;
use std::io::{BufRead, BufReader, Seek, Write};
use std::time::{Duration, SystemTime};

/// Prints the log; with `-f` keeps printing until the container has ended.
pub fn run(args: LogsArgs) -> anyhow::Result<i32> {
    let tail = match args.tail.as_str() {
        "all" | "-1" => None,
        n => Some(n.parse::<usize>().with_context(|| format!("invalid --tail {n:?}: a number or \"all\""))?),
    };
    let since = args.since.as_deref().map(|s| parse_since(s, "--since")).transpose()?;
    let until = args.until.as_deref().map(|s| parse_since(s, "--until")).transpose()?;
    let (store, _) = containers::open()?;
    let c = containers::find(&store, &args.container)?;
    if c.log.disabled {
        let message = "configured logging driver does not support reading (the container has --log-driver none)";
        return Err(crate::output::Exit { code: 1, message: message.into() }.into());
    }
    let path = store.log_path(&c.id);
    let mut printer = Printer { since, until, timestamps: args.timestamps };
    // Rotated files first (`x.log.2`, `x.log.1`), then the current one.
    let mut lines: Vec<String> = Vec::new();
    let mut buf = String::new();
    let mut current = None;
    for file in log::files_oldest_first(&path, c.log.max_file) {
        let Some(mut reader) = open_log(&file, 0)? else { continue };
        while read_line(&mut reader, &mut buf)? {
            lines.push(std::mem::take(&mut buf));
        }
        buf.clear();
        current = Some(reader);
    }
    let skip = tail.map_or(0, |n| lines.len().saturating_sub(n));
    lines[skip..].iter().try_for_each(|l| printer.print(l))?;
    if args.follow {
        let reader = match current {
            Some(r) => r,
            None => open_log(&path, 0)?.with_context(|| format!("open log {}", path.display()))?,
        };
        follow(&store, &c.id, &path, reader, &mut printer)?;
    }
    Ok(0)
}

fn open_log(path: &std::path::Path, offset: u64) -> anyhow::Result<Option<BufReader<std::fs::File>>> {
    match std::fs::File::open(path) {
        Ok(mut f) => {
            f.seek(std::io::SeekFrom::Start(offset)).with_context(|| format!("seek log {}", path.display()))?;
            Ok(Some(BufReader::new(f)))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("open log {}", path.display())),
    }
}

/// Prints new lines until the container is no longer running; when the
/// monitor rotates the log, finishes the old file and goes on in the new.
fn follow(
    store: &ContainerStore,
    id: &ContainerId,
    path: &std::path::Path,
    mut reader: BufReader<std::fs::File>,
    printer: &mut Printer,
) -> anyhow::Result<()> {
    let live = HostLiveness::new();
    let mut buf = String::new();
    let reader = &mut reader;
    loop {
        let ended = containers::wait_until(store, id, Some(Duration::ZERO), not_running(&live))?;
        while read_line(reader, &mut buf)? {
            printer.print(&std::mem::take(&mut buf))?;
        }
        // max-file=1 empties the file in place: start over from its beginning.
        let len = reader.get_ref().metadata().map_or(0, |m| m.len());
        if reader.stream_position().is_ok_and(|at| at > len) {
            reader.seek(std::io::SeekFrom::Start(0)).context("seek log")?;
            continue;
        }
        if rotated(reader.get_ref(), path)
            && let Some(next) = open_log(path, 0)?
        {
            *reader = next;
            continue;
        }
        if ended {
            // The monitor writes the last lines right after the exit is
            // recorded; one more short look catches them.
            std::thread::sleep(Duration::from_millis(100));
            while read_line(reader, &mut buf)? {
                printer.print(&std::mem::take(&mut buf))?;
            }
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Reads one complete line into `buf` (a partial last line is left for
/// the next call); `false` when there is none yet.
fn read_line(r: &mut BufReader<std::fs::File>, buf: &mut String) -> anyhow::Result<bool> {
    let start = buf.len();
    let n = r.read_line(buf).context("read log")?;
    if n == 0 {
        return Ok(false);
    }
    if !buf.ends_with('\n') {
        // Not complete yet: step back so it is read whole next time.
        r.seek_relative(-(n as i64)).context("seek log")?;
        buf.truncate(start);
        return Ok(false);
    }
    Ok(true)
}

struct Printer {
    since: Option<SystemTime>,
    until: Option<SystemTime>,
    timestamps: bool,
}

impl Printer {
    fn print(&mut self, line: &str) -> anyhow::Result<()> {
        let Ok(entry) = serde_json::from_str::<LogEntry>(line) else { return Ok(()) };
        let at = humantime::parse_rfc3339_weak(&entry.time).ok();
        if self.since.is_some_and(|since| at.is_some_and(|t| t < since))
            || self.until.is_some_and(|until| at.is_some_and(|t| t > until))
        {
            return Ok(());
        }
        let text = if self.timestamps { format!("{} {}", entry.time, entry.log) } else { entry.log };
        let result = if entry.stream == "stderr" {
            std::io::stderr().write_all(text.as_bytes())
        } else {
            let mut out = std::io::stdout().lock();
            out.write_all(text.as_bytes()).and_then(|()| out.flush())
        };
        result.context("write log line")
    }
}

/// `--since`/`--until`: RFC 3339, Unix seconds, or a duration ago (`10m`, `1h30m`).
fn parse_since(s: &str, flag: &str) -> anyhow::Result<SystemTime> {
    if let Ok(t) = humantime::parse_rfc3339_weak(s) {
        return Ok(t);
    }
    if let Ok(secs) = s.parse::<f64>() {
        return Ok(SystemTime::UNIX_EPOCH + Duration::from_secs_f64(secs.max(0.0)));
    }
    match humantime::parse_duration(s) {
        Ok(d) => Ok(SystemTime::now() - d),
        Err(_) => bail!("invalid {flag} {s:?}: use a time (2024-01-02T15:04:05Z), Unix seconds or a duration (10m)"),
    }
}

/// Whether `path` is no longer the file `open` reads (the monitor rotated it).
#[cfg(unix)]
fn rotated(open: &std::fs::File, path: &std::path::Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    let ours = open.metadata().map(|m| (m.dev(), m.ino())).ok();
    std::fs::metadata(path).map(|m| (m.dev(), m.ino())).ok().is_some_and(|now| Some(now) != ours)
}

/// Whether `path` is no longer the file `open` reads: on Windows, a
/// current log shorter than what was read means it was rotated.
#[cfg(not(unix))]
fn rotated(open: &std::fs::File, path: &std::path::Path) -> bool {
    let ours = open.metadata().map_or(0, |m| m.len());
    std::fs::metadata(path).is_ok_and(|m| m.len() < ours)
}
