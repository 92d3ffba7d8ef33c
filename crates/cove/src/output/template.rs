//! Go-template-like `--format` strings over JSON values: `{{.Field}}`,
//! `{{.A.B}}`, `{{json .X}}`, `{{.}}`, with `\t` and `\n` escapes; a
//! leading `table ` prints the field names as a header first (Docker's
//! rule). Enough for the templates scripts use; no pipelines or functions.

use serde_json::Value;

/// A parsed template.
pub struct Template {
    parts: Vec<Part>,
    /// The template asked for a header (`table ...`).
    pub table: bool,
}

enum Part {
    Text(String),
    Field { path: Vec<String>, json: bool },
}

impl Template {
    /// Parses `text`; an unclosed `{{` is an error.
    pub fn parse(text: &str) -> anyhow::Result<Template> {
        let (table, text) = match text.strip_prefix("table ") {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let text = text.replace("\\t", "\t").replace("\\n", "\n");
        let mut parts = Vec::new();
        let mut rest = text.as_str();
        while let Some(open) = rest.find("{{") {
            parts.push(Part::Text(rest[..open].to_owned()));
            let close = rest[open..].find("}}").ok_or_else(|| anyhow::anyhow!("template {text:?}: unclosed {{{{"))?;
            let action = rest[open + 2..open + close].trim();
            let (json, expr) = match action.strip_prefix("json ") {
                Some(e) => (true, e.trim()),
                None => (false, action),
            };
            anyhow::ensure!(expr.starts_with('.'), "template {text:?}: unsupported action {{{{{action}}}}}");
            let path = expr[1..].split('.').filter(|s| !s.is_empty()).map(str::to_owned).collect();
            parts.push(Part::Field { path, json });
            rest = &rest[open + close + 2..];
        }
        parts.push(Part::Text(rest.to_owned()));
        Ok(Template { parts, table })
    }

    /// The header line for `table` templates: each field's name in capitals.
    pub fn header(&self) -> String {
        self.parts
            .iter()
            .map(|p| match p {
                Part::Text(t) => t.clone(),
                Part::Field { path, .. } => header_name(path.last().map_or("", String::as_str)),
            })
            .collect()
    }

    /// Fills the template from `value`.
    pub fn render(&self, value: &Value) -> String {
        let mut out = String::new();
        for p in &self.parts {
            match p {
                Part::Text(t) => out.push_str(t),
                Part::Field { path, json } => {
                    let v = path.iter().try_fold(value, |v, k| v.get(k));
                    match (v, json) {
                        (None, _) => out.push_str("<no value>"),
                        (Some(v), true) => out.push_str(&v.to_string()),
                        (Some(Value::String(s)), false) => out.push_str(s),
                        (Some(Value::Null), false) => out.push_str("<nil>"),
                        (Some(v), false) => out.push_str(&v.to_string()),
                    }
                }
            }
        }
        out
    }
}

fn header_name(field: &str) -> String {
    match field {
        "ID" => "CONTAINER ID".to_owned(),
        "RunningFor" => "CREATED".to_owned(),
        "CreatedAt" => "CREATED AT".to_owned(),
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
}
