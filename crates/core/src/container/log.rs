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
    /// Adds output and hands `each` every entry that is now complete.
    pub fn push(&mut self, bytes: &[u8], mut each: impl FnMut(&[u8])) {
        // Output that ends with its lines needs no copy (the usual case).
        let rest = if self.pending.is_empty() {
            let used = cut_entries(bytes, &mut each);
            &bytes[used..]
        } else {
            self.pending.extend_from_slice(bytes);
            let used = cut_entries(&self.pending, &mut each);
            self.pending.drain(..used);
            return;
        };
        self.pending.extend_from_slice(rest);
    }

    /// What is left at end-of-file (a last line without `\n`).
    pub fn finish(&mut self) -> Option<Vec<u8>> {
        (!self.pending.is_empty()).then(|| std::mem::take(&mut self.pending))
    }
}

/// Hands `each` the complete entries at the start of `bytes`; returns how
/// many bytes they took. Linear: each byte is looked at once.
fn cut_entries(bytes: &[u8], each: &mut impl FnMut(&[u8])) -> usize {
    let mut start = 0;
    loop {
        let rest = &bytes[start..];
        let cut = match memchr::memchr(b'\n', &rest[..rest.len().min(MAX_LINE)]) {
            Some(i) => i + 1,
            None if rest.len() >= MAX_LINE => MAX_LINE,
            None => return start,
        };
        each(&rest[..cut]);
        start += cut;
    }
}

/// Appends one entry as a json-file line (with its `\n`) to `out`: the
/// bytes `serde_json` writes for a [`LogEntry`] of the same fields, without
/// building one (a million-line output is a million entries). Text that is
/// not UTF-8 is written lossily, as `String::from_utf8_lossy` does.
pub fn encode(out: &mut Vec<u8>, text: &[u8], stream: &str, time: &str) {
    out.extend_from_slice(b"{\"log\":");
    // Writing a str into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, &*String::from_utf8_lossy(text));
    out.extend_from_slice(b",\"stream\":\"");
    out.extend_from_slice(stream.as_bytes());
    out.extend_from_slice(b"\",\"time\":\"");
    out.extend_from_slice(time.as_bytes());
    out.extend_from_slice(b"\"}\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn push(s: &mut LineSplitter, bytes: &[u8]) -> Vec<Vec<u8>> {
        let mut v = Vec::new();
        s.push(bytes, |l| v.push(l.to_vec()));
        v
    }

    #[test]
    fn splits_lines_and_long_runs() {
        let mut s = LineSplitter::default();
        assert_eq!(push(&mut s, b"a\nb"), vec![b"a\n".to_vec()]);
        assert_eq!(push(&mut s, b"c\n\n"), vec![b"bc\n".to_vec(), b"\n".to_vec()]);
        let long = vec![b'x'; MAX_LINE + 3];
        let parts = push(&mut s, &long);
        assert_eq!(parts.len(), 1);
        assert_eq!(parts[0].len(), MAX_LINE);
        assert_eq!(s.finish().as_deref(), Some(&b"xxx"[..]));
        assert_eq!(s.finish(), None);
    }

    #[test]
    fn encodes_what_serde_writes_for_an_entry() {
        let texts: [&[u8]; 5] =
            [b"plain\n", b"q\"uo\\te\t\r\x01\x1f\x7f\n", "ünï€😀\n".as_bytes(), b"bad \xff\xfe utf8", b""];
        for text in texts {
            let mut got = Vec::new();
            encode(&mut got, text, "stderr", "2026-11-23T05:00:00.000000001Z");
            let entry = LogEntry {
                log: String::from_utf8_lossy(text).into_owned(),
                stream: "stderr".into(),
                time: "2026-11-23T05:00:00.000000001Z".into(),
            };
            let mut want = serde_json::to_vec(&entry).unwrap();
            want.push(b'\n');
            assert_eq!(String::from_utf8_lossy(&got), String::from_utf8_lossy(&want));
        }
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
