//! The container environment: Docker's defaults, `-e`, and `--env-file`.

/// `PATH` when neither the image nor the user sets one (Docker's default).
pub const DEFAULT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// A malformed `-e` or `--env-file` entry.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum EnvError {
    /// The variable name is empty or contains `=`/NUL.
    #[error("invalid environment variable {0:?}")]
    Invalid(String),
    /// A line of an env file.
    #[error("{file}:{line}: invalid environment variable {text:?}")]
    InvalidLine {
        /// The file.
        file: String,
        /// 1-based line number.
        line: usize,
        /// The line's text.
        text: String,
    },
}

/// An ordered environment where later settings replace earlier ones.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Env(Vec<(String, String)>);

impl Env {
    /// Sets `key` to `value`, replacing an earlier value in place.
    pub fn set(&mut self, key: &str, value: &str) {
        match self.0.iter_mut().find(|(k, _)| k == key) {
            Some(slot) => slot.1 = value.to_owned(),
            None => self.0.push((key.to_owned(), value.to_owned())),
        }
    }

    /// Sets `key` only when it is not set yet.
    pub fn set_default(&mut self, key: &str, value: &str) {
        if self.get(key).is_none() {
            self.set(key, value);
        }
    }

    /// The value of `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    /// Applies one `-e` argument: `KEY=VALUE`, or `KEY` alone to copy the
    /// caller's value (`lookup`), which is skipped when the caller has none.
    pub fn apply_arg(&mut self, arg: &str, lookup: impl Fn(&str) -> Option<String>) -> Result<(), EnvError> {
        let (key, value) = match arg.split_once('=') {
            Some((k, v)) => (k, Some(v.to_owned())),
            None => (arg, lookup(arg)),
        };
        if key.is_empty() || key.contains('\0') || value.as_deref().is_some_and(|v| v.contains('\0')) {
            return Err(EnvError::Invalid(arg.to_owned()));
        }
        if let Some(v) = value {
            self.set(key, &v);
        }
        Ok(())
    }

    /// Applies an env file's text (Docker's format: `KEY=VALUE` or `KEY`
    /// per line, `#` comments and blank lines ignored, no quoting).
    pub fn apply_file(
        &mut self,
        file: &str,
        text: &str,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<(), EnvError> {
        for (i, raw) in text.lines().enumerate() {
            let line = raw.trim_start();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            self.apply_arg(line, &lookup).map_err(|_| EnvError::InvalidLine {
                file: file.to_owned(),
                line: i + 1,
                text: raw.to_owned(),
            })?;
        }
        Ok(())
    }

    /// The variables in order.
    pub fn into_vec(self) -> Vec<(String, String)> {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn later_values_replace_earlier() {
        let mut e = Env::default();
        e.apply_arg("A=1", |_| None).unwrap();
        e.apply_arg("B=x=y", |_| None).unwrap();
        e.apply_arg("A=2", |_| None).unwrap();
        assert_eq!(e.into_vec(), vec![("A".into(), "2".into()), ("B".into(), "x=y".into())]);
    }

    #[test]
    fn bare_names_copy_the_callers_value() {
        let mut e = Env::default();
        e.apply_arg("HOSTVAR", |k| (k == "HOSTVAR").then(|| "v".into())).unwrap();
        e.apply_arg("UNSET", |_| None).unwrap();
        assert_eq!(e.get("HOSTVAR"), Some("v"));
        assert_eq!(e.get("UNSET"), None);
    }

    #[test]
    fn env_files() {
        let mut e = Env::default();
        e.apply_file("f", "# c\n\nA=1\n  B=two words\n", |_| None).unwrap();
        assert_eq!(e.get("B"), Some("two words"));
        let err = e.apply_file("f", "ok=1\n=bad\n", |_| None).unwrap_err();
        assert_eq!(err, EnvError::InvalidLine { file: "f".into(), line: 2, text: "=bad".into() });
    }
}
