//! Printing stored containers: `ps` rows (table, JSON lines, templates),
//! `inspect` objects with Docker's keys, and the ids verbs print.

use super::template::Template;
use cove_core::container::{Container, Liveness, RestartPolicy, Status, time};
use cove_core::spec::{MountSpec, NetworkMode};
use serde_json::{Value, json};

/// What `ps` knows of one container.
pub struct Row<'a> {
    /// The record.
    pub c: &'a Container,
    /// Its status as observed.
    pub status: Status,
    /// Its monitor died without recording an end.
    pub lost: bool,
}

impl Row<'_> {
    fn status_text(&self, now: u64) -> String {
        let ago = |t: Option<u64>| t.map(|t| time::human(now.saturating_sub(t)));
        let s = &self.c.state;
        let code =
            if self.lost { "unknown".to_owned() } else { s.exit_code.map_or("unknown".into(), |c| c.to_string()) };
        match self.status {
            Status::Created => "Created".to_owned(),
            Status::Running => format!("Up {}{}", ago(s.started_at).unwrap_or_default(), health_suffix(self.c)),
            Status::Restarting => format!("Restarting ({code}) {} ago", ago(s.finished_at).unwrap_or_default()),
            Status::Exited => match ago(s.finished_at).filter(|_| !self.lost) {
                Some(when) => format!("Exited ({code}) {when} ago"),
                None => format!("Exited ({code})"),
            },
        }
    }

    /// Docker's `ps --format json` keys.
    pub fn json(&self, no_trunc: bool, now: u64) -> Value {
        let id = if no_trunc { self.c.id.as_str() } else { self.c.id.short() };
        json!({
            "ID": id,
            "Names": self.c.name,
            "Labels": self.c.labels.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(","),
            "Image": image(self.c),
            "Command": command(self.c, no_trunc),
            "CreatedAt": time::rfc3339(Some(self.c.created)),
            "RunningFor": format!("{} ago", time::human(now.saturating_sub(self.c.created))),
            "Status": self.status_text(now),
            "State": self.status.name(),
            "Ports": cove_core::net::display_ports(&self.c.live_ports(self.status)),
        })
    }
}

/// Docker's health filter value: `none` without a health check or
/// before its first start.
pub fn health_name(c: &Container) -> &'static str {
    match (&c.healthcheck, &c.state.health) {
        (Some(_), Some(h)) => h.status.name(),
        _ => "none",
    }
}

/// ` (healthy)`, ` (health: starting)`, ` (unhealthy)` after `Up …`.
fn health_suffix(c: &Container) -> String {
    match health_name(c) {
        "none" => String::new(),
        "starting" => " (health: starting)".to_owned(),
        other => format!(" ({other})"),
    }
}

fn image(c: &Container) -> String {
    if c.image.is_empty() { "(sandbox)".to_owned() } else { c.image.clone() }
}

/// The command as Docker shows it: cut to 20 characters unless `full`,
/// then quoted as Go's `strconv.Quote` quotes it, so a newline or a tab in
/// it stays on its row.
fn command(c: &Container, full: bool) -> String {
    let joined = c.spec.process.args.join(" ");
    if full || joined.chars().count() <= 20 {
        return go_quoted(&joined);
    }
    let cut: String = joined.chars().take(19).collect();
    go_quoted(&format!("{cut}…"))
}

/// `s` in double quotes with Go's escapes for quotes, backslashes and
/// control characters.
fn go_quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for ch in s.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() && (c as u32) < 0x80 => out.push_str(&format!("\\x{:02x}", c as u32)),
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// `cove ps`: a table, JSON lines, a template, or (`quiet`) ids.
pub fn ps(rows: &[Row], format: &str, quiet: bool, no_trunc: bool) -> anyhow::Result<()> {
    let now = time::now();
    if quiet {
        for r in rows {
            println!("{}", if no_trunc { r.c.id.as_str() } else { r.c.id.short() });
        }
        return Ok(());
    }
    let values: Vec<Value> = rows.iter().map(|r| r.json(no_trunc, now)).collect();
    match format {
        "json" => values.iter().for_each(|v| println!("{v}")),
        "table" | "" => {
            let cols = ["ID", "Image", "Command", "RunningFor", "Status", "Ports", "Names"];
            let header = ["CONTAINER ID", "IMAGE", "COMMAND", "CREATED", "STATUS", "PORTS", "NAMES"];
            let cells: Vec<Vec<String>> = values
                .iter()
                .map(|v| cols.iter().map(|k| v[*k].as_str().unwrap_or_default().to_owned()).collect())
                .collect();
            super::table_or_json(crate::cli::Format::Table, &header, &cells, &())?;
        }
        template => {
            Template::parse(template)?.print_all(&values);
        }
    }
    Ok(())
}

/// `cove inspect`'s object for one container (Docker's keys).
pub fn inspect(c: &Container, status: Status, lost: bool, live: &dyn Liveness, log_path: &str) -> Value {
    let mut v = inspect_base(c, status, lost, live, log_path);
    if let Some(h) = c.healthcheck.as_ref() {
        v["Config"]["Healthcheck"] = json!(h);
        if let Some(health) = &c.state.health {
            v["State"]["Health"] = json!(health);
        }
    }
    super::inspect_extra::network_settings(c, &mut v["NetworkSettings"]);
    v
}

fn inspect_base(c: &Container, status: Status, lost: bool, live: &dyn Liveness, log_path: &str) -> Value {
    let s = &c.state;
    json!({
        "Id": c.id.as_str(),
        "Created": time::rfc3339(Some(c.created)),
        "Path": c.spec.process.args.first(),
        "Args": c.spec.process.args.get(1..).unwrap_or_default(),
        "State": state(c, status, lost, live),
        "Image": image(c),
        "Name": format!("/{}", c.name),
        "RestartCount": s.restart_count,
        "LogPath": log_path,
        "Config": {
            "Hostname": c.spec.hostname,
            "User": format!("{}:{}", c.spec.process.user.uid, c.spec.process.user.gid),
            "Tty": c.spec.process.terminal,
            "OpenStdin": c.spec.process.stdin,
            "Env": c.spec.process.env.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>(),
            "Cmd": c.spec.process.args,
            "Image": image(c),
            "WorkingDir": c.spec.process.cwd,
            "StopSignal": c.stop_signal(),
            "StopTimeout": c.stop_timeout.unwrap_or(10),
            "Labels": c.labels,
        },
        "HostConfig": host_config(c),
        "NetworkSettings": { "Ports": port_map(&c.published_ports()) },
        "Mounts": super::inspect_extra::mounts(c),
        "Cove": { "Cgroups": s.cgroups, "MonitorPid": s.monitor.as_ref().map_or(0, |m| m.pid) },
    })
}

/// Docker's `HostConfig.PortBindings`: `{"80/tcp": [{"HostIp", "HostPort"}]}`.
fn port_bindings(c: &cove_core::container::Container) -> serde_json::Value {
    match &c.spec.network {
        NetworkMode::Bridge(b) => port_map(&b.ports),
        _ => port_map(&[]),
    }
}

/// Ports in Docker's map form (`PortBindings`, `NetworkSettings.Ports`).
fn port_map(ports: &[cove_core::net::PortSpec]) -> serde_json::Value {
    let mut map = serde_json::Map::new();
    for p in ports {
        let key = format!("{}/{}", p.container_port, p.protocol);
        let entry = serde_json::json!({ "HostIp": p.host_ip.to_string(), "HostPort": p.host_port.to_string() });
        if let Some(a) = map.entry(key).or_insert_with(|| serde_json::Value::Array(Vec::new())).as_array_mut() {
            a.push(entry);
        }
    }
    serde_json::Value::Object(map)
}

/// `State`: a lost monitor shows as exit code -1 with an `Error`.
fn state(c: &Container, status: Status, lost: bool, live: &dyn Liveness) -> Value {
    let s = &c.state;
    let error = if lost {
        "its monitor ended without recording how the container ended".to_owned()
    } else {
        s.error.clone().unwrap_or_default()
    };
    json!({
        "Status": status.name(),
        "Running": status == Status::Running,
        "Paused": false,
        "Restarting": status == Status::Restarting,
        "OOMKilled": s.oom_killed,
        "Dead": false,
        "Pid": c.running_init(live).map_or(0, |p| p.pid),
        "ExitCode": if lost { -1 } else { s.exit_code.unwrap_or(0) },
        "Error": error,
        "StartedAt": time::rfc3339(s.started_at),
        "FinishedAt": time::rfc3339(s.finished_at),
    })
}

fn host_config(c: &Container) -> Value {
    let binds: Vec<String> = c
        .spec
        .mounts
        .iter()
        .filter_map(|m| match m {
            MountSpec::Bind { source, destination, read_only } => {
                Some(format!("{}:{destination}{}", source.display(), if *read_only { ":ro" } else { "" }))
            }
            MountSpec::Tmpfs { .. } => None,
        })
        .collect();
    let max_retries = match c.restart {
        RestartPolicy::OnFailure { max } => max,
        _ => 0,
    };
    let limits = &c.spec.limits;
    json!({
        "Binds": binds,
        "NetworkMode": match &c.spec.network {
            NetworkMode::None => "none",
            NetworkMode::Host => "host",
            NetworkMode::Bridge(b) => b.helper.map_or("bridge", |h| h.program()),
        },
        "PortBindings": port_bindings(c),
        "RestartPolicy": { "Name": c.restart.name(), "MaximumRetryCount": max_retries },
        "AutoRemove": c.auto_remove,
        "ReadonlyRootfs": c.spec.read_only,
        "Init": c.spec.init,
        "CapAdd": c.spec.security.cap_add,
        "CapDrop": c.spec.security.cap_drop,
        "Memory": limits.memory.unwrap_or(0),
        "NanoCpus": limits.nano_cpus.unwrap_or(0),
        "PidsLimit": limits.pids.unwrap_or(0),
        "MemorySwap": match limits.memory_swap {
            Some(cove_core::spec::SwapLimit::Unlimited) => -1,
            Some(cove_core::spec::SwapLimit::Total(t)) => t as i64,
            None => limits.memory.map_or(0, |m| m as i64),
        },
        "MemoryReservation": limits.memory_reservation.unwrap_or(0),
        "CpuShares": limits.cpu_shares.unwrap_or(0),
        "CpusetCpus": limits.cpuset_cpus.clone().unwrap_or_default(),
        "CpusetMems": limits.cpuset_mems.clone().unwrap_or_default(),
        "Ulimits": limits.ulimits.iter().map(|u| json!({
            "Name": u.resource.name(),
            "Soft": if u.soft == u64::MAX { -1 } else { u.soft as i64 },
            "Hard": if u.hard == u64::MAX { -1 } else { u.hard as i64 },
        })).collect::<Vec<_>>(),
        "OomScoreAdj": limits.oom_score_adj.unwrap_or(0),
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn commands_are_quoted_as_go_quotes_them() {
        // Go: strconv.Quote("sh -c \"a\"\nb\\\tc\x01é") == `"sh -c \"a\"\nb\\\tc\x01é"`
        assert_eq!(super::go_quoted("sh -c \"a\"\nb\\\tc\u{1}é"), r#""sh -c \"a\"\nb\\\tc\x01é""#);
    }
}
