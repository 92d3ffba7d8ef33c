//! Go-template-like `--format` strings over JSON values, as Docker's CLI
//! reads them: `{{.Field}}`, `{{.A.B}}`, `{{.}}`, `{{json .X}}`,
//! `{{index .Config.Labels "k"}}`, `{{upper}}`/`{{lower}}`/`{{title}}`,
//! `{{join .Args " "}}`, `{{len .X}}`, `{{println}}`, pipelines
//! (`{{.Names | upper}}`), `{{range .X}}…{{end}}` (also `range $k, $v := .X`,
//! with `$v.Field`), `{{if .X}}…{{else}}…{{end}}`, `{{with .X}}…{{end}}`, and
//! `{{-`/`-}}` trimming; `\t` and `\n` escapes; a leading `table ` prints the
//! field names as a header first (Docker's rule).

mod parse;
mod render;

use anyhow::{Context, bail};
use parse::{lex, parse_nodes};
use render::render_nodes;
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
