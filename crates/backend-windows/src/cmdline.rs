//! The command line `CreateProcessW` receives: argv joined so that the
//! child's `CommandLineToArgvW` (and the MSVC C runtime) split it back into
//! exactly the same words. [`split`] implements those parsing rules, so the
//! round trip is tested here exhaustively and, under Wine, against the real
//! `CommandLineToArgvW` (`sys/argv.rs`).

/// An argv that no Windows command line can carry.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CmdlineError {
    /// No program.
    #[error("empty command")]
    Empty,
    /// A NUL character (command lines are NUL-terminated).
    #[error("argument {0:?} contains a NUL character")]
    Nul(String),
    /// A `"` in the program name (not allowed in Windows file names, and
    /// the first word has no escape rules).
    #[error("program name {0:?} contains a double quote")]
    QuoteInProgram(String),
}

/// Joins `args` into one command line.
pub fn command_line(args: &[String]) -> Result<String, CmdlineError> {
    let (program, rest) = args.split_first().ok_or(CmdlineError::Empty)?;
    if let Some(bad) = args.iter().find(|a| a.contains('\0')) {
        return Err(CmdlineError::Nul(bad.clone()));
    }
    if program.contains('"') {
        return Err(CmdlineError::QuoteInProgram(program.clone()));
    }
    // The first word ends at the first space or tab unless quoted, and
    // backslashes are literal in it: quoting is enough.
    let mut line =
        if program.is_empty() || program.contains([' ', '\t']) { format!("\"{program}\"") } else { program.clone() };
    for arg in rest {
        line.push(' ');
        quote_into(&mut line, arg);
    }
    Ok(line)
}

/// Appends one argument (not the first): bare when nothing in it is
/// special, otherwise in quotes with `"` escaped as `\"` and backslashes
/// doubled exactly where they precede a quote.
fn quote_into(out: &mut String, arg: &str) {
    if !arg.is_empty() && !arg.contains([' ', '\t', '\n', '\x0b', '"']) {
        out.push_str(arg);
        return;
    }
    out.push('"');
    let mut backslashes = 0usize;
    for c in arg.chars() {
        match c {
            '\\' => backslashes += 1,
            '"' => {
                out.extend(std::iter::repeat_n('\\', 2 * backslashes + 1));
                out.push('"');
                backslashes = 0;
            }
            _ => {
                out.extend(std::iter::repeat_n('\\', backslashes));
                out.push(c);
                backslashes = 0;
            }
        }
    }
    // The closing quote must not be escaped by trailing backslashes.
    out.extend(std::iter::repeat_n('\\', 2 * backslashes));
    out.push('"');
}

/// Splits a command line as `CommandLineToArgvW` does: the first word up to
/// a space or tab (or between quotes, no escapes); then words separated by
/// spaces and tabs, where `"` toggles quoting, `2n` backslashes before a `"`
/// give `n` backslashes and `2n+1` give `n` and a literal `"`, and other
/// backslashes are literal.
pub fn split(line: &str) -> Vec<String> {
    let c: Vec<char> = line.chars().collect();
    let mut i = 0;
    let mut program = String::new();
    if c.first() == Some(&'"') {
        i = 1;
        while i < c.len() && c[i] != '"' {
            program.push(c[i]);
            i += 1;
        }
        i += 1;
    } else {
        while i < c.len() && c[i] != ' ' && c[i] != '\t' {
            program.push(c[i]);
            i += 1;
        }
    }
    let mut args = vec![program];
    loop {
        while i < c.len() && (c[i] == ' ' || c[i] == '\t') {
            i += 1;
        }
        if i >= c.len() {
            return args;
        }
        let (arg, next) = word(&c, i);
        args.push(arg);
        i = next;
    }
}

/// One word (not the first) starting at `i`; returns it and where it ended.
fn word(c: &[char], mut i: usize) -> (String, usize) {
    let (mut arg, mut quoted) = (String::new(), false);
    while i < c.len() {
        match c[i] {
            ' ' | '\t' if !quoted => break,
            '\\' => {
                let n = c[i..].iter().take_while(|&&x| x == '\\').count();
                i += n;
                if c.get(i) == Some(&'"') {
                    arg.extend(std::iter::repeat_n('\\', n / 2));
                    if n % 2 == 1 {
                        arg.push('"');
                        i += 1;
                    }
                } else {
                    arg.extend(std::iter::repeat_n('\\', n));
                }
            }
            '"' if quoted && c.get(i + 1) == Some(&'"') => {
                arg.push('"');
                i += 2;
            }
            '"' => {
                quoted = !quoted;
                i += 1;
            }
            ch => {
                arg.push(ch);
                i += 1;
            }
        }
    }
    (arg, i)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    /// Every string of up to `len` characters over `alphabet`.
    pub(crate) fn all_strings(alphabet: &[char], len: usize) -> Vec<String> {
        let mut out = vec![String::new()];
        let mut layer = vec![String::new()];
        for _ in 0..len {
            layer = layer.iter().flat_map(|p| alphabet.iter().map(move |c| format!("{p}{c}"))).collect();
            out.extend(layer.iter().cloned());
        }
        out
    }

    #[test]
    fn known_cases() {
        let cases: &[(&[&str], &str)] = &[
            (&["cmd.exe", "/c", "echo hi"], r#"cmd.exe /c "echo hi""#),
            (&["a", ""], r#"a """#),
            (&["a", r#"say "hi""#], r#"a "say \"hi\"""#),
            (&["a", r"C:\dir\"], r"a C:\dir\"),
            (&["a", r"C:\my dir\"], r#"a "C:\my dir\\""#),
            (&["a", r#"\\"x"#], r#"a "\\\\\"x""#),
            (&[r"C:\Program Files\x.exe", "1"], r#""C:\Program Files\x.exe" 1"#),
        ];
        for (argv, line) in cases {
            assert_eq!(command_line(&s(argv)).unwrap(), *line, "{argv:?}");
            assert_eq!(split(line), s(argv), "{line}");
        }
    }

    #[test]
    fn every_short_argument_round_trips() {
        let words = all_strings(&['a', ' ', '\t', '\\', '"'], 6);
        assert_eq!(words.len(), 19531);
        for w in &words {
            let argv = vec!["prog".to_owned(), w.clone(), "tail\\".to_owned()];
            let line = command_line(&argv).unwrap();
            assert_eq!(split(&line), argv, "{w:?} -> {line}");
        }
    }

    #[test]
    fn program_names_round_trip() {
        for p in all_strings(&['a', ' ', '\\'], 5) {
            let argv = vec![p.clone(), "x".to_owned()];
            assert_eq!(split(&command_line(&argv).unwrap()), argv, "{p:?}");
        }
    }

    #[test]
    fn uncarriable_argv_is_refused() {
        assert_eq!(command_line(&[]), Err(CmdlineError::Empty));
        assert!(matches!(command_line(&s(&["a", "x\0y"])), Err(CmdlineError::Nul(_))));
        assert!(matches!(command_line(&s(&["a\"b"])), Err(CmdlineError::QuoteInProgram(_))));
    }
}
