//! Go-template-like `--format` strings over JSON values, as Docker's CLI
//! reads them: `{{.Field}}`, `{{.A.B}}`, `{{.}}`, `{{json .X}}`,
//! `{{index .Config.Labels "k"}}`, `{{upper}}`/`{{lower}}`/`{{title}}`,
//! `{{join .Args " "}}`, `{{len .X}}`, `{{println}}`, pipelines
//! (`{{.Names | upper}}`), `{{range .X}}…{{end}}` (also `range $k, $v := .X`,
//! with `$v.Field`), `{{if .X}}…{{else}}…{{end}}`, `{{with .X}}…{{end}}`, and
//! `{{-`/`-}}` trimming; `\t` and `\n` escapes; a leading `table ` prints the
//! field names as a header first (Docker's rule).

use anyhow::{Context, bail};
use serde_json::Value;

/// A parsed template.
pub struct Template {
    nodes: Vec<Node>,
    /// The template asked for a header (`table ...`).
    pub table: bool,
    /// The verb's own column names for fields (`ID` is `IMAGE ID` for images).
    headers: &'static [(&'static str, &'static str)],
}

enum Node {
    Text(String),
    Action(Vec<Cmd>),
    Range { key: Option<String>, var: Option<String>, over: Vec<Cmd>, body: Vec<Node>, other: Vec<Node> },
    If { cond: Vec<Cmd>, body: Vec<Node>, other: Vec<Node>, with: bool },
}

/// One pipeline stage: a function with arguments, or a single operand.
struct Cmd {
    func: Option<String>,
    args: Vec<Arg>,
}

enum Arg {
    Field(Vec<String>),
    Var(String, Vec<String>),
    Str(String),
    Num(f64),
}

const FUNCS: &[&str] = &["json", "index", "upper", "lower", "title", "join", "len", "println", "print"];

impl Template {
    /// Parses `text`; an unclosed `{{`, an unknown function or an unmatched
    /// `{{end}}` is an error.
    pub fn parse(text: &str) -> anyhow::Result<Template> {
        let (table, body) = match text.strip_prefix("table ") {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let body = body.replace("\\t", "\t").replace("\\n", "\n");
        let tokens = lex(&body).with_context(|| format!("template {text:?}"))?;
        let mut iter = tokens.into_iter();
        let (nodes, end) = parse_nodes(&mut iter).with_context(|| format!("template {text:?}"))?;
        if let Some(word) = end {
            bail!("template {text:?}: unexpected {{{{{word}}}}}");
        }
        Ok(Template { nodes, table, headers: &[] })
    }

    /// Uses the verb's own column names for these fields in the header.
    pub fn with_headers(mut self, headers: &'static [(&'static str, &'static str)]) -> Template {
        self.headers = headers;
        self
    }

    /// The header line for `table` templates: each field's name in capitals.
    pub fn header(&self) -> String {
        self.nodes
            .iter()
            .map(|n| match n {
                Node::Text(t) => t.clone(),
                Node::Action(cmds) => match cmds.last().and_then(|c| c.args.last()) {
                    Some(Arg::Field(path)) => {
                        let field = path.last().map_or("", String::as_str);
                        match self.headers.iter().find(|(f, _)| *f == field) {
                            Some((_, h)) => (*h).to_owned(),
                            None => header_name(field),
                        }
                    }
                    _ => String::new(),
                },
                _ => String::new(),
            })
            .collect()
    }

    /// Prints one line per value; `table` templates get the header first
    /// and their tab-separated cells aligned as Docker's tabwriter does
    /// (columns at least 10 wide, 3 spaces of padding).
    pub fn print_all(&self, values: &[Value]) {
        let lines: Vec<String> = values.iter().map(|v| self.render(v)).collect();
        if !self.table {
            lines.iter().for_each(|l| println!("{l}"));
            return;
        }
        let all: Vec<String> = std::iter::once(self.header()).chain(lines).collect();
        let rows: Vec<Vec<&str>> = all.iter().map(|l| l.split('\t').collect()).collect();
        let mut widths: Vec<usize> = Vec::new();
        for row in &rows {
            for (i, cell) in row.iter().enumerate().take(row.len().saturating_sub(1)) {
                let w = (cell.chars().count() + 3).max(10);
                if widths.len() <= i {
                    widths.push(w);
                } else {
                    widths[i] = widths[i].max(w);
                }
            }
        }
        for row in rows {
            let last = row.len() - 1;
            let line: String = row
                .iter()
                .enumerate()
                .map(|(i, c)| if i < last { format!("{c:<w$}", w = widths[i]) } else { c.to_string() })
                .collect();
            println!("{}", line.trim_end());
        }
    }

    /// Fills the template from `value`.
    pub fn render(&self, value: &Value) -> String {
        let mut out = String::new();
        render_nodes(&self.nodes, value, &mut Vec::new(), &mut out);
        out
    }
}

enum Token {
    Text(String),
    Action(String),
}

/// Splits into text and actions, applying `{{-` and `-}}` trimming.
fn lex(text: &str) -> anyhow::Result<Vec<Token>> {
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
fn parse_nodes(tokens: &mut std::vec::IntoIter<Token>) -> anyhow::Result<(Vec<Node>, Option<String>)> {
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

type Vars = Vec<(String, Value)>;

fn render_nodes(nodes: &[Node], dot: &Value, vars: &mut Vars, out: &mut String) {
    for node in nodes {
        match node {
            Node::Text(t) => out.push_str(t),
            Node::Action(cmds) => out.push_str(&text(&eval(cmds, dot, vars))),
            Node::If { cond, body, other, with } => {
                let v = eval(cond, dot, vars);
                match (truthy(&v), with) {
                    (true, true) => render_nodes(body, &v.unwrap_or(Value::Null), vars, out),
                    (true, false) => render_nodes(body, dot, vars, out),
                    (false, _) => render_nodes(other, dot, vars, out),
                }
            }
            Node::Range { key, var, over, body, other } => {
                let items: Vec<(Value, Value)> = match eval(over, dot, vars) {
                    Some(Value::Array(a)) => a.into_iter().enumerate().map(|(i, v)| (Value::from(i), v)).collect(),
                    Some(Value::Object(m)) => m.into_iter().map(|(k, v)| (Value::String(k), v)).collect(),
                    _ => Vec::new(),
                };
                if items.is_empty() {
                    render_nodes(other, dot, vars, out);
                }
                for (k, v) in items {
                    let depth = vars.len();
                    if let Some(name) = key {
                        vars.push((name.clone(), k));
                    }
                    if let Some(name) = var {
                        vars.push((name.clone(), v.clone()));
                    }
                    render_nodes(body, &v, vars, out);
                    vars.truncate(depth);
                }
            }
        }
    }
}

/// A pipeline's value; `None` for a missing field.
fn eval(cmds: &[Cmd], dot: &Value, vars: &Vars) -> Option<Value> {
    let mut last: Option<Option<Value>> = None;
    for cmd in cmds {
        let mut args: Vec<Option<Value>> = cmd.args.iter().map(|a| operand(a, dot, vars)).collect();
        if let Some(prev) = last.take() {
            args.push(prev);
        }
        last = Some(match &cmd.func {
            None => args.pop().flatten(),
            Some(f) => call(f, &args),
        });
    }
    last.flatten()
}

fn operand(a: &Arg, dot: &Value, vars: &Vars) -> Option<Value> {
    let walk = |start: &Value, path: &[String]| path.iter().try_fold(start, |v, k| v.get(k)).cloned();
    match a {
        Arg::Field(path) => walk(dot, path),
        Arg::Var(name, path) => vars.iter().rev().find(|(n, _)| n == name).and_then(|(_, v)| walk(v, path)),
        Arg::Str(s) => Some(Value::String(s.clone())),
        Arg::Num(n) if n.fract() == 0.0 && *n >= 0.0 && *n < 1e15 => Some(Value::from(*n as u64)),
        Arg::Num(n) => serde_json::Number::from_f64(*n).map(Value::Number),
    }
}

fn call(f: &str, args: &[Option<Value>]) -> Option<Value> {
    let first = args.first().cloned().flatten();
    let s = |v: Option<Value>| Value::String(v.map_or(String::new(), |v| text(&Some(v))));
    match f {
        "json" => Some(Value::String(first.unwrap_or(Value::Null).to_string())),
        "index" => args[1..].iter().try_fold(first?, |v, k| match (v, k) {
            // Go's index of a missing key is the zero value ("" for labels).
            (Value::Object(m), Some(Value::String(k))) => {
                Some(m.get(k).cloned().unwrap_or_else(|| Value::String(String::new())))
            }
            (Value::Array(a), Some(Value::Number(n))) => a.get(n.as_u64()? as usize).cloned(),
            _ => None,
        }),
        "upper" => Some(Value::String(text(&first).to_uppercase())),
        "lower" => Some(Value::String(text(&first).to_lowercase())),
        "title" => Some(Value::String(title(&text(&first)))),
        "join" => {
            let sep = args.get(1).cloned().flatten().map(|v| text(&Some(v))).unwrap_or_default();
            let items = first?.as_array()?.iter().map(|v| text(&Some(v.clone()))).collect::<Vec<_>>();
            Some(Value::String(items.join(&sep)))
        }
        "len" => Some(Value::from(match first? {
            Value::Array(a) => a.len(),
            Value::Object(m) => m.len(),
            Value::String(s) => s.len(),
            _ => return None,
        })),
        "println" => Some(Value::String(format!("{}\n", args.iter().map(text).collect::<Vec<_>>().join(" ")))),
        _ => Some(s(first)),
    }
}

fn title(s: &str) -> String {
    let mut out = String::new();
    let mut start = true;
    for c in s.chars() {
        if start {
            out.extend(c.to_uppercase())
        } else {
            out.push(c)
        }
        start = !c.is_alphanumeric();
    }
    out
}

fn truthy(v: &Option<Value>) -> bool {
    match v {
        None | Some(Value::Null) | Some(Value::Bool(false)) => false,
        Some(Value::String(s)) => !s.is_empty(),
        Some(Value::Array(a)) => !a.is_empty(),
        Some(Value::Object(m)) => !m.is_empty(),
        Some(Value::Number(n)) => n.as_f64() != Some(0.0),
        Some(Value::Bool(true)) => true,
    }
}

/// Go's `fmt` of a value: strings bare, arrays `[a b]`, maps `map[k:v]`.
fn text(v: &Option<Value>) -> String {
    match v {
        None => "<no value>".to_owned(),
        Some(Value::Null) => "<nil>".to_owned(),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(a)) => {
            format!("[{}]", a.iter().map(|x| text(&Some(x.clone()))).collect::<Vec<_>>().join(" "))
        }
        Some(Value::Object(m)) => {
            let items: Vec<String> = m.iter().map(|(k, x)| format!("{k}:{}", text(&Some(x.clone())))).collect();
            format!("map[{}]", items.join(" "))
        }
        Some(Value::Number(n)) => match n.as_f64() {
            Some(f) if n.is_f64() && f.fract() == 0.0 && f.abs() < 1e15 => format!("{f:.0}"),
            _ => n.to_string(),
        },
        Some(other) => other.to_string(),
    }
}

fn header_name(field: &str) -> String {
    match field {
        "ID" => "CONTAINER ID".to_owned(),
        "RunningFor" => "CREATED".to_owned(),
        "CreatedAt" => "CREATED AT".to_owned(),
        "CPUPerc" => "CPU %".to_owned(),
        "MemUsage" => "MEM USAGE / LIMIT".to_owned(),
        "MemPerc" => "MEM %".to_owned(),
        "NetIO" => "NET I/O".to_owned(),
        "BlockIO" => "BLOCK I/O".to_owned(),
        other => other.to_ascii_uppercase(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn renders_fields_and_json() {
        let v = json!({"Names": "web", "State": {"Pid": 42, "Running": true}});
        let t = Template::parse("{{.Names}}\\t{{.State.Pid}} {{json .State.Running}} {{.Nope}}").unwrap();
        assert_eq!(t.render(&v), "web\t42 true <no value>");
        assert!(Template::parse("{{.Names").is_err());
        let t = Template::parse("table {{.ID}}\\t{{.Names}}").unwrap();
        assert!(t.table);
        assert_eq!(t.header(), "CONTAINER ID\tNAMES");
    }

    #[test]
    fn docker_idioms() {
        let v = json!({
            "Name": "/web", "Args": ["-c", "x"],
            "Config": {"Labels": {"com.example.team": "ops"}, "Env": ["A=1", "B=2"]},
            "NetworkSettings": {"Networks": {"bridge": {"IPAddress": "10.0.2.100"}}},
            "Mounts": [{"Source": "/a", "Destination": "/x"}, {"Source": "/b", "Destination": "/y"}],
            "State": {"Running": false, "ExitCode": 3},
        });
        let r = |t: &str| Template::parse(t).unwrap().render(&v);
        assert_eq!(r("{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}"), "10.0.2.100");
        assert_eq!(
            r("{{range $k, $v := .NetworkSettings.Networks}}{{$k}}={{$v.IPAddress}}{{end}}"),
            "bridge=10.0.2.100"
        );
        assert_eq!(r(r#"{{index .Config.Labels "com.example.team"}}|{{index .Config.Labels "x"}}"#), "ops|");
        assert_eq!(r(r#"{{join .Config.Env ","}} {{len .Mounts}}"#), "A=1,B=2 2");
        assert_eq!(r("{{range .Mounts}}{{.Source}}:{{.Destination}} {{end}}"), "/a:/x /b:/y ");
        assert_eq!(r("{{if .State.Running}}up{{else}}down ({{.State.ExitCode}}){{end}}"), "down (3)");
        assert_eq!(r("{{.Name | upper}} {{lower \"AB\"}} {{.Args}} {{index .Args 1}}"), "/WEB ab [-c x] x");
        assert_eq!(r("{{with .Config}}{{json .Labels}}{{end}}"), r#"{"com.example.team":"ops"}"#);
        assert_eq!(r("a {{- \" b \" -}} c"), "a b c");
        assert!(Template::parse("{{range .Mounts}}x").is_err());
        assert!(Template::parse("{{end}}").is_err());
        assert!(Template::parse("{{frobnicate .X}}").is_err());
    }
}
