//! Rendering parsed templates over JSON values with Go's rules: missing
//! fields print `<no value>`, truthiness of empty values, `fmt`-style
//! printing of arrays and maps, and the template functions.

use super::{Arg, Cmd, Node};
use serde_json::Value;

/// Variables in scope (`$k`, `$v` of enclosing ranges), innermost last.
pub(super) type Vars = Vec<(String, Value)>;

pub(super) fn render_nodes(nodes: &[Node], dot: &Value, vars: &mut Vars, out: &mut String) {
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
