//! Docker's boolean flag syntax before clap sees the arguments: Docker
//! (pflag) accepts `--rm=true`, `--read-only=false`, `-t=false` and
//! `-it=false` on every boolean flag. These become the plain flag (true) or
//! nothing (false). Only the verb's own options are rewritten: scanning stops
//! at `--` and at the first word that is not an option (the image or the
//! command), so a command's `-l` or `--x=false` is never touched. Which flags
//! are booleans and which take values comes from the clap definitions.

use clap::{Arg, ArgAction, Command};

/// Docker's (Go's `strconv.ParseBool`) spellings of true and false.
fn parse_bool(v: &str) -> Option<bool> {
    match v {
        "1" | "t" | "T" | "true" | "TRUE" | "True" => Some(true),
        "0" | "f" | "F" | "false" | "FALSE" | "False" => Some(false),
        _ => None,
    }
}

fn is_flag(arg: &Arg) -> bool {
    matches!(arg.get_action(), ArgAction::SetTrue)
}

/// Whether the option consumes the next word when given without `=`.
fn takes_next(arg: &Arg) -> bool {
    arg.get_action().takes_values() && !arg.is_require_equals_set() && !arg.is_positional()
}

fn by_long<'a>(cmd: &'a Command, name: &str) -> Option<&'a Arg> {
    cmd.get_arguments().find(|a| a.get_long() == Some(name) || a.get_all_aliases().is_some_and(|al| al.contains(&name)))
}

fn by_short(cmd: &Command, c: char) -> Option<&Arg> {
    cmd.get_arguments().find(|a| a.get_short() == Some(c))
}

/// Rewrites `raw` (the whole argv) for the subcommand it names.
pub fn normalize(cli: &Command, raw: Vec<String>) -> Vec<String> {
    let Some(sub) = raw.get(1).and_then(|name| cli.find_subcommand(name)) else {
        return raw;
    };
    let mut out: Vec<String> = raw[..2].to_vec();
    let mut i = 2;
    while i < raw.len() {
        let word = &raw[i];
        if word == "--" || word == "-" || !word.starts_with('-') {
            break;
        }
        let consumed_next = match word.strip_prefix("--") {
            Some(long) => rewrite_long(sub, word, long, &mut out),
            None => rewrite_short(sub, word, &mut out),
        };
        if consumed_next && i + 1 < raw.len() {
            out.push(raw[i + 1].clone());
            i += 1;
        }
        i += 1;
    }
    out.extend_from_slice(&raw[i..]);
    out
}

/// `--name[=value]`; returns whether the next word is the option's value.
fn rewrite_long(sub: &Command, word: &str, long: &str, out: &mut Vec<String>) -> bool {
    let (name, value) = match long.split_once('=') {
        Some((n, v)) => (n, Some(v)),
        None => (long, None),
    };
    match (by_long(sub, name), value) {
        (Some(arg), Some(v)) if is_flag(arg) => match parse_bool(v) {
            Some(true) => out.push(format!("--{name}")),
            Some(false) => {}
            None => out.push(word.to_owned()),
        },
        (Some(arg), None) => {
            out.push(word.to_owned());
            return takes_next(arg);
        }
        _ => out.push(word.to_owned()),
    }
    false
}

/// A cluster of short options (`-it`, `-eK=V`, `-t=false`); returns whether
/// the next word is the last option's value.
fn rewrite_short(sub: &Command, word: &str, out: &mut Vec<String>) -> bool {
    let body = &word[1..];
    let mut kept = String::from("-");
    let mut next = false;
    for (pos, c) in body.char_indices() {
        let rest = &body[pos + c.len_utf8()..];
        match by_short(sub, c) {
            Some(arg) if is_flag(arg) => match rest.strip_prefix('=').map(parse_bool) {
                None => {
                    kept.push(c);
                    continue;
                }
                Some(Some(true)) => kept.push(c),
                Some(Some(false)) => {}
                Some(None) => kept.push_str(&body[pos..]),
            },
            Some(arg) => {
                kept.push_str(&body[pos..]);
                next = rest.is_empty() && takes_next(arg);
            }
            None => kept.push_str(&body[pos..]),
        }
        break;
    }
    if kept != "-" {
        out.push(kept);
    }
    next
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    fn norm(args: &str) -> Vec<String> {
        let raw: Vec<String> = std::iter::once("cove").chain(args.split(' ')).map(str::to_owned).collect();
        normalize(&crate::cli::Cli::command(), raw)[1..].to_vec()
    }

    /// Duplicate flag names (easy to get when flag groups are merged) and
    /// other definition errors fail here rather than at a user's first run.
    #[test]
    fn clap_definitions_are_consistent() {
        crate::cli::Cli::command().debug_assert();
    }

    #[test]
    fn boolean_values_become_plain_flags() {
        assert_eq!(
            norm("run --rm=true --read-only=false -t=false -i=1 --init=True img"),
            ["run", "--rm", "-i", "--init", "img"]
        );
        assert_eq!(norm("run -it=false img"), ["run", "-i", "img"]);
        assert_eq!(norm("run -it img"), ["run", "-it", "img"]);
        assert_eq!(norm("run --privileged=false img"), ["run", "img"]);
    }

    #[test]
    fn values_and_commands_are_left_alone() {
        // -e takes a value: the next word is not scanned as an option.
        assert_eq!(norm("run -e --rm=false img"), ["run", "-e", "--rm=false", "img"]);
        assert_eq!(norm("run -eK=V --rm=1 img"), ["run", "-eK=V", "--rm", "img"]);
        assert_eq!(
            norm("run -it -w /x img ls --rm=false -t=false"),
            ["run", "-it", "-w", "/x", "img", "ls", "--rm=false", "-t=false"]
        );
        assert_eq!(norm("run --rm -- sh --rm=false"), ["run", "--rm", "--", "sh", "--rm=false"]);
        // Not a boolean word: left for clap to report.
        assert_eq!(norm("run --rm=maybe img"), ["run", "--rm=maybe", "img"]);
        assert_eq!(norm("run --sig-proxy=false img"), ["run", "--sig-proxy=false", "img"]);
        assert_eq!(norm("images --quiet=true"), ["images", "--quiet"]);
    }
}
