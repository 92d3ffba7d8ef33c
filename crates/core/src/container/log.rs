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
        // Linear: each byte is looked at once and the rest moved once.
        let mut start = 0;
        loop {
            let rest = &self.pending[start..];
            let cut = match rest[..rest.len().min(MAX_LINE)].iter().position(|&b| b == b'\n') {
                Some(i) => i + 1,
                None if rest.len() >= MAX_LINE => MAX_LINE,
                None => break,
            };
            done.push(String::from_utf8_lossy(&rest[..cut]).into_owned());
            start += cut;
        }
        self.pending.drain(..start);
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

/// `--log-driver` with its `--log-opt`s, kept in the container's record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogConfig {
    /// `none`: nothing is written and `cove logs` refuses (Docker's).
    #[serde(default)]
    pub disabled: bool,
    /// `max-size` in bytes: the log is rotated before it would grow past it.
    #[serde(default)]
    pub max_size: Option<u64>,
    /// `max-file`: how many files in all, the current one included (≥ 1).
    #[serde(default = "one")]
    pub max_file: u32,
}

fn one() -> u32 {
    1
}

impl Default for LogConfig {
    fn default() -> Self {
        LogConfig { disabled: false, max_size: None, max_file: 1 }
    }
}

impl LogConfig {
    /// Docker's json-file driver (`local` too, with its defaults of
    /// 20 MiB × 5 files; cove writes json-file lines for both), `none`;
    /// `opts` are `KEY=VALUE` with Docker's json-file meanings. `size`
    /// parses Docker's sizes (`10m`).
    pub fn parse(
        driver: Option<&str>,
        opts: &[String],
        size: impl Fn(&str) -> Option<u64>,
    ) -> Result<LogConfig, String> {
        let mut c = LogConfig::default();
        match driver.unwrap_or("json-file") {
            "json-file" | "" => {}
            "local" => (c.max_size, c.max_file) = (Some(20 << 20), 5),
            "none" => c.disabled = true,
            other => return Err(format!("--log-driver {other} is not supported: json-file, local and none are")),
        }
        let mut max_file_set = false;
        for opt in opts {
            let (k, v) = opt.split_once('=').ok_or_else(|| format!("invalid --log-opt {opt:?}: expected KEY=VALUE"))?;
            match k {
                _ if c.disabled => return Err(format!("--log-opt {k}: the none log driver takes no options")),
                "max-size" if v == "-1" => c.max_size = None,
                "max-size" => {
                    c.max_size =
                        Some(size(v).filter(|&n| n > 0).ok_or_else(|| format!("invalid --log-opt max-size={v}"))?)
                }
                "max-file" => {
                    c.max_file = v
                        .parse()
                        .ok()
                        .filter(|&n| n >= 1)
                        .ok_or_else(|| format!("invalid --log-opt max-file={v}: a number of files, at least 1"))?;
                    max_file_set = true;
                }
                "compress" if v == "false" => {}
                _ => return Err(format!("--log-opt {k} is not supported: max-size, max-file and compress=false are")),
            }
        }
        if max_file_set && c.max_file > 1 && c.max_size.is_none() {
            return Err("--log-opt max-file needs max-size (Docker's)".into());
        }
        Ok(c)
    }

    /// Whether writing `len` more bytes to a log of `size` bytes rotates it first.
    pub fn rotates(&self, size: u64, len: u64) -> bool {
        self.max_size.is_some_and(|max| size > 0 && size + len > max)
    }
}

/// The rotated files of the log at `current`, oldest first, then itself
/// (`x.log.2`, `x.log.1`, `x.log`): the order `cove logs` reads them in.
pub fn files_oldest_first(current: &std::path::Path, max_file: u32) -> Vec<std::path::PathBuf> {
    let mut files: Vec<std::path::PathBuf> = (1..max_file).rev().map(|i| rotated(current, i)).collect();
    files.push(current.to_path_buf());
    files
}

/// `current` with `.N` appended.
pub fn rotated(current: &std::path::Path, n: u32) -> std::path::PathBuf {
    let mut name = current.as_os_str().to_owned();
    name.push(format!(".{n}"));
    std::path::PathBuf::from(name)
}

#[cfg(test)]
mod config_tests {
    use super::*;

    fn size(s: &str) -> Option<u64> {
        let (n, mult) = match s.strip_suffix('k') {
            Some(n) => (n, 1024),
            None => (s, 1),
        };
        n.parse::<u64>().ok().map(|n| n * mult)
    }

    #[test]
    fn parses_docker_json_file_options() {
        let c = LogConfig::parse(None, &["max-size=2k".into(), "max-file=3".into()], size).unwrap();
        assert_eq!((c.disabled, c.max_size, c.max_file), (false, Some(2048), 3));
        assert_eq!(LogConfig::parse(Some("local"), &[], size).unwrap().max_file, 5);
        assert!(LogConfig::parse(Some("none"), &[], size).unwrap().disabled);
        assert!(LogConfig::parse(Some("syslog"), &[], size).unwrap_err().contains("not supported"));
        assert!(LogConfig::parse(None, &["max-file=2".into()], size).unwrap_err().contains("needs max-size"));
        assert!(LogConfig::parse(None, &["max-file=0".into(), "max-size=1".into()], size).is_err());
        assert!(LogConfig::parse(None, &["compress=true".into()], size).is_err());
        assert!(LogConfig::parse(Some("none"), &["max-size=1k".into()], size).is_err());
        let c = LogConfig::parse(None, &["max-size=10".into()], size).unwrap();
        assert!(!c.rotates(0, 100) && !c.rotates(5, 5) && c.rotates(5, 6));
    }

    #[test]
    fn rotated_files_are_read_oldest_first() {
        let p = std::path::Path::new("/s/x-json.log");
        let names: Vec<String> = files_oldest_first(p, 3).iter().map(|p| p.display().to_string()).collect();
        assert_eq!(names, ["/s/x-json.log.2", "/s/x-json.log.1", "/s/x-json.log"]);
        assert_eq!(files_oldest_first(p, 1), vec![p.to_path_buf()]);
    }
}
