//! Printing volumes: `volume ls` (table, JSON lines, templates, names) and
//! `volume inspect` (Docker's keys).

use super::template::Template;
use crate::volumes::Volume;
use cove_core::container::time;
use serde_json::{Value, json};

/// Docker's `volume inspect` object.
pub fn object(v: &Volume) -> Value {
    json!({
        "CreatedAt": time::rfc3339(Some(v.meta.created)),
        "Driver": "local",
        "Labels": v.meta.labels,
        "Mountpoint": v.mountpoint,
        "Name": v.name,
        "Options": {},
        "Scope": "local",
    })
}

/// `volume ls`.
pub fn ls(rows: &[Volume], format: &str, quiet: bool) -> anyhow::Result<()> {
    if quiet {
        rows.iter().for_each(|v| println!("{}", v.name));
        return Ok(());
    }
    let labels = |v: &Volume| v.meta.labels.iter().map(|(k, x)| format!("{k}={x}")).collect::<Vec<_>>().join(",");
    let values: Vec<Value> = rows
        .iter()
        .map(|v| {
            json!({"Driver": "local", "Name": v.name, "Mountpoint": v.mountpoint, "Labels": labels(v),
                   "Scope": "local", "Size": "N/A", "Links": "N/A", "Availability": "N/A", "Group": "N/A"})
        })
        .collect();
    match format {
        "json" => values.iter().for_each(|v| println!("{v}")),
        "table" | "" => {
            let cells: Vec<Vec<String>> = rows.iter().map(|v| vec!["local".to_owned(), v.name.clone()]).collect();
            super::table_or_json(crate::cli::Format::Table, &["DRIVER", "VOLUME NAME"], &cells, &())?;
        }
        template => {
            Template::parse(template)?.with_headers(&[("Name", "VOLUME NAME")]).print_all(&values);
        }
    }
    Ok(())
}

/// `volume inspect`: a JSON array, or the template once per volume.
pub fn inspect(found: &[Volume], format: Option<&str>) -> anyhow::Result<()> {
    let values: Vec<Value> = found.iter().map(object).collect();
    match format {
        None | Some("json") if found.is_empty() => println!("[]"),
        None | Some("json") => println!("{}", serde_json::to_string_pretty(&values)?),
        Some(template) => {
            let t = Template::parse(template)?;
            values.iter().for_each(|v| println!("{}", t.render(v)));
        }
    }
    Ok(())
}
