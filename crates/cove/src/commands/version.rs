//! `cove version`: Docker's `version` shape (Client and, as cove has no
//! daemon, a Server section describing the same binary, so that scripts
//! probing `{{.Server.Version}}` find an engine).

use crate::cli::VersionArgs;
use crate::output::template::Template;
use serde_json::{Value, json};

/// Prints the version as a table, JSON, or a template.
pub fn run(args: VersionArgs) -> anyhow::Result<i32> {
    let v = info();
    match args.format.as_str() {
        "table" | "" => {
            for section in ["Client", "Server"] {
                let s = &v[section];
                println!("{section}:{}", if section == "Server" { " cove (no daemon)" } else { "" });
                for (label, key) in [("Version", "Version"), ("API version", "ApiVersion"), ("OS/Arch", "")] {
                    let value = match key {
                        "" => format!("{}/{}", s["Os"].as_str().unwrap_or(""), s["Arch"].as_str().unwrap_or("")),
                        k => s[k].as_str().unwrap_or("").to_owned(),
                    };
                    println!(" {:<18} {value}", format!("{label}:"));
                }
                if section == "Client" {
                    println!();
                }
            }
        }
        "json" => println!("{v}"),
        template => println!("{}", Template::parse(template)?.render(&v)),
    }
    Ok(0)
}

fn info() -> Value {
    let arch = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        other => other,
    };
    let side = json!({
        "Version": env!("CARGO_PKG_VERSION"),
        "ApiVersion": "1.43",
        "Os": std::env::consts::OS,
        "Arch": arch,
        "Platform": { "Name": "cove" },
    });
    json!({ "Client": side, "Server": side })
}
