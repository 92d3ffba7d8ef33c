//! Seatbelt profile language (SBPL) text: string quoting that no path can
//! break out of, and the rules a container's profile is made of.

use std::fmt::Write;

/// A path the profile cannot carry.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("path {0:?} cannot be put in a sandbox profile: it contains a NUL or control character")]
pub struct UnquotablePath(pub String);

/// `s` as an SBPL (Scheme) string literal: `"` and `\` escaped, newline,
/// tab and carriage return written as `\n`, `\t`, `\r`; any other control
/// character is refused. Parentheses, `;` and quotes inside stay inert
/// because they are inside the literal.
pub fn quote(s: &str) -> Result<String, UnquotablePath> {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => return Err(UnquotablePath(s.to_owned())),
            c => out.push(c),
        }
    }
    out.push('"');
    Ok(out)
}

/// Which file operations a rule allows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileAccess {
    /// `file-read*`.
    Read,
    /// `file-read*` and `file-write*`.
    ReadWrite,
}

/// A profile under construction: `(version 1)`, `(deny default)`, then
/// rules in order (in SBPL a later matching rule wins over an earlier one).
#[derive(Clone, Debug, Default)]
pub struct Profile {
    text: String,
}

impl Profile {
    /// A profile that denies everything, with a comment line.
    pub fn deny_default(comment: &str) -> Profile {
        let comment: String = comment.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
        Profile { text: format!("(version 1)\n(deny default)\n;; {comment}\n") }
    }

    /// A rule line as it is (only for fixed text, never for paths).
    pub fn raw(&mut self, rule: &str) {
        self.text.push_str(rule);
        self.text.push('\n');
    }

    /// A comment line.
    pub fn comment(&mut self, text: &str) {
        let text: String = text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
        let _ = writeln!(self.text, ";; {text}");
    }

    /// `(allow file-read* [file-write*] (subpath P)…)`; nothing when `paths` is empty.
    pub fn files(&mut self, access: FileAccess, filter: &str, paths: &[String]) -> Result<(), UnquotablePath> {
        if paths.is_empty() {
            return Ok(());
        }
        let ops = match access {
            FileAccess::Read => "file-read*",
            FileAccess::ReadWrite => "file-read* file-write*",
        };
        self.filtered(&format!("allow {ops}"), filter, paths)
    }

    /// `(deny process-exec (subpath P)…)`.
    pub fn deny_exec(&mut self, paths: &[String]) -> Result<(), UnquotablePath> {
        if paths.is_empty() {
            return Ok(());
        }
        self.filtered("deny process-exec", "subpath", paths)
    }

    /// `(allow mach-lookup (global-name N)…)`.
    pub fn mach_lookup(&mut self, names: &[&str]) -> Result<(), UnquotablePath> {
        let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
        self.filtered("allow mach-lookup", "global-name", &names)
    }

    fn filtered(&mut self, head: &str, filter: &str, values: &[String]) -> Result<(), UnquotablePath> {
        let _ = write!(self.text, "({head}");
        for v in values {
            let _ = write!(self.text, "\n    ({filter} {})", quote(v)?);
        }
        self.text.push_str(")\n");
        Ok(())
    }

    /// The finished text.
    pub fn finish(self) -> String {
        self.text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_strings_stay_inside_the_literal() {
        assert_eq!(quote("/a b").unwrap(), r#""/a b""#);
        assert_eq!(quote(r#"/x") (allow default) ("#).unwrap(), r#""/x\") (allow default) (""#);
        assert_eq!(quote(r"/a\").unwrap(), r#""/a\\""#);
        assert_eq!(quote("/a\n(allow default)").unwrap(), r#""/a\n(allow default)""#);
        assert_eq!(quote("/é;ü").unwrap(), "\"/é;ü\"");
        assert!(quote("/a\0b").is_err());
        assert!(quote("/a\x1bb").is_err());
    }

    /// Reads a literal back as a Scheme reader would; it must end exactly
    /// at the closing quote.
    fn unquote(lit: &str) -> (String, usize) {
        let c: Vec<char> = lit.chars().collect();
        assert_eq!(c[0], '"');
        let (mut out, mut i) = (String::new(), 1);
        loop {
            match c[i] {
                '"' => return (out, i + 1),
                '\\' => {
                    out.push(match c[i + 1] {
                        'n' => '\n',
                        't' => '\t',
                        'r' => '\r',
                        other => other,
                    });
                    i += 2;
                }
                ch => {
                    out.push(ch);
                    i += 1;
                }
            }
        }
    }

    #[test]
    fn every_short_hostile_string_round_trips() {
        let alphabet = ['a', '"', '\\', '\n', '(', ')', ';', '\t'];
        let mut layer = vec![String::new()];
        for _ in 0..5 {
            layer = layer.iter().flat_map(|p| alphabet.iter().map(move |c| format!("{p}{c}"))).collect();
            for s in &layer {
                let lit = quote(s).unwrap();
                assert!(!lit.contains('\n'), "no raw newline in {lit:?}");
                assert_eq!(unquote(&lit), (s.clone(), lit.chars().count()), "{s:?}");
            }
        }
    }

    #[test]
    fn comments_cannot_start_rules() {
        let p = Profile::deny_default("id\n(allow default)").finish();
        assert_eq!(p, "(version 1)\n(deny default)\n;; id (allow default)\n");
    }
}
