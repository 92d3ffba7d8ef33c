//! Parsing `--format` templates: the lexer (text and `{{…}}` actions,
//! with `{{-`/`-}}` trimming) and the parser into [`Node`]s, pipelines of
//! [`Cmd`]s and their [`Arg`]s. Rendering lives in `render.rs`.

use super::{Arg, Cmd, FUNCS, Node};
use anyhow::{Context, bail};

pub(super) enum Token {
    Text(String),
    Action(String),
}

/// Splits into text and actions, applying `{{-` and `-}}` trimming.
pub(super) fn lex(text: &str) -> anyhow::Result<Vec<Token>> {
    let mut tokens = Vec::new();
    let mut rest = text;
    let mut trim_next = false;
    while let Some(open) = rest.find("{{") {
        let mut before = &rest[..open];
        if trim_next {
            before = before.trim_start();
        }
        let close = rest[open..].find("}}").context("unclosed {{")? + open;
        let mut action = &rest[open + 2..close];
        if let Some(a) = action.strip_prefix("- ") {
            before = before.trim_end();
            action = a;
        }
        trim_next = action.ends_with(" -");
        let action = action.strip_suffix(" -").unwrap_or(action).trim();
        tokens.push(Token::Text(before.to_owned()));
        tokens.push(Token::Action(action.to_owned()));
        rest = &rest[close + 2..];
    }
    tokens.push(Token::Text(if trim_next { rest.trim_start() } else { rest }.to_owned()));
    Ok(tokens)
}

/// Nodes up to `{{end}}`/`{{else}}` (returned) or the end of input.
pub(super) fn parse_nodes(tokens: &mut std::vec::IntoIter<Token>) -> anyhow::Result<(Vec<Node>, Option<String>)> {
    let mut nodes = Vec::new();
    while let Some(token) = tokens.next() {
        let action = match token {
            Token::Text(t) if t.is_empty() => continue,
            Token::Text(t) => {
                nodes.push(Node::Text(t));
                continue;
            }
            Token::Action(a) => a,
        };
        let (word, rest) = action.split_once(char::is_whitespace).unwrap_or((&action, ""));
        match word {
            "end" | "else" => return Ok((nodes, Some(word.to_owned()))),
            "range" => {
                let (key, var, expr) = range_vars(rest)?;
                let (body, other) = block(tokens, "range")?;
                nodes.push(Node::Range { key, var, over: pipeline(expr)?, body, other });
            }
            "if" | "with" => {
                let (body, other) = block(tokens, word)?;
                nodes.push(Node::If { cond: pipeline(rest)?, body, other, with: word == "with" });
            }
            _ if action.starts_with("/*") => {}
            _ => nodes.push(Node::Action(pipeline(&action)?)),
        }
    }
    Ok((nodes, None))
}

/// A block's body and its `{{else}}` part, through `{{end}}`.
fn block(tokens: &mut std::vec::IntoIter<Token>, what: &str) -> anyhow::Result<(Vec<Node>, Vec<Node>)> {
    let (body, end) = parse_nodes(tokens)?;
    match end.as_deref() {
        Some("end") => Ok((body, Vec::new())),
        Some("else") => match parse_nodes(tokens)? {
            (other, Some(e)) if e == "end" => Ok((body, other)),
            _ => bail!("{{{{{what}}}}} without {{{{end}}}}"),
        },
        _ => bail!("{{{{{what}}}}} without {{{{end}}}}"),
    }
}

/// `$k, $v := X`, `$v := X` or `X`.
fn range_vars(text: &str) -> anyhow::Result<(Option<String>, Option<String>, &str)> {
    let Some((vars, expr)) = text.split_once(":=") else { return Ok((None, None, text)) };
    let names: Vec<String> = vars.split(',').map(|v| v.trim().trim_start_matches('$').to_owned()).collect();
    match names.as_slice() {
        [v] => Ok((None, Some(v.clone()), expr)),
        [k, v] => Ok((Some(k.clone()), Some(v.clone()), expr)),
        _ => bail!("range: expected $value or $key, $value"),
    }
}

fn pipeline(text: &str) -> anyhow::Result<Vec<Cmd>> {
    split_outside_quotes(text, '|').iter().map(|stage| command(stage)).collect()
}

fn command(text: &str) -> anyhow::Result<Cmd> {
    let words = split_outside_quotes(text.trim(), ' ');
    let words: Vec<&str> = words.iter().map(|w| w.trim()).filter(|w| !w.is_empty()).collect();
    let Some(first) = words.first() else { bail!("empty action") };
    if FUNCS.contains(first) {
        let args = words[1..].iter().map(|w| arg(w)).collect::<anyhow::Result<_>>()?;
        return Ok(Cmd { func: Some((*first).to_owned()), args });
    }
    if words.len() != 1 {
        bail!("unsupported action {text:?} (functions: {})", FUNCS.join(", "));
    }
    Ok(Cmd { func: None, args: vec![arg(first)?] })
}

fn arg(word: &str) -> anyhow::Result<Arg> {
    let path = |s: &str| s.split('.').filter(|p| !p.is_empty()).map(str::to_owned).collect::<Vec<_>>();
    if let Some(field) = word.strip_prefix('.') {
        return Ok(Arg::Field(path(field)));
    }
    if let Some(var) = word.strip_prefix('$') {
        let (name, rest) = var.split_once('.').unwrap_or((var, ""));
        return Ok(Arg::Var(name.to_owned(), path(rest)));
    }
    if let Some(s) = word.strip_prefix('"').and_then(|w| w.strip_suffix('"')) {
        return Ok(Arg::Str(s.replace("\\\"", "\"")));
    }
    match word.parse() {
        Ok(n) => Ok(Arg::Num(n)),
        Err(_) => bail!("unsupported action word {word:?}"),
    }
}

fn split_outside_quotes(text: &str, sep: char) -> Vec<String> {
    let (mut parts, mut cur, mut quoted) = (Vec::new(), String::new(), false);
    for c in text.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                cur.push(c);
            }
            c if c == sep && !quoted => parts.push(std::mem::take(&mut cur)),
            c => cur.push(c),
        }
    }
    parts.push(cur);
    parts
}
