//! `cove info`: a table for people, JSON with every feature for programs.

mod common;

use common::*;

#[test]
fn info_table() {
    for mode in modes() {
        let out = cove(mode).args(["info"]).run();
        out.ok();
        let lines = out.lines();
        let header = lines.iter().any(|l| l.split_whitespace().collect::<Vec<_>>() == ["FEATURE", "STATUS", "DETAIL"]);
        if !header || !lines.iter().any(|l| l.starts_with("user_namespaces ")) {
            out.fail("a table with a FEATURE header and a user_namespaces row");
        }
    }
}

#[test]
fn info_json() {
    for mode in modes() {
        let out = cove(mode).args(["info", "--format", "json"]).run();
        out.ok();
        let v: serde_json::Value = match serde_json::from_slice(&out.stdout) {
            Ok(v) => v,
            Err(e) => out.fail(&format!("valid JSON ({e})")),
        };
        let Some(features) = v.get("features").and_then(|f| f.as_array()) else {
            out.fail("a \"features\" array");
        };
        if features.is_empty() {
            out.fail("at least one feature");
        }
        for f in features {
            let key = f.get("key").and_then(|k| k.as_str());
            let status = f.get("status").and_then(|s| s.as_str());
            if key.is_none() || !matches!(status, Some("enforced" | "degraded" | "unavailable")) {
                out.fail(&format!("each feature with a key and an enforced/degraded/unavailable status (bad: {f})"));
            }
        }
        let userns = features.iter().find(|f| f.get("key").and_then(|k| k.as_str()) == Some("user_namespaces"));
        if userns.and_then(|f| f.get("status")).and_then(|s| s.as_str()) != Some("enforced") {
            out.fail("user_namespaces enforced (the rest of this suite creates them)");
        }
    }
}
