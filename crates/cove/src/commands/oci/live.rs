//! `pause`, `resume` and `update`: a running container's cgroups changed
//! through `cove_backend_linux::cgroup::live`. A cgroup added on the way
//! (a container created without one for the controller) is recorded, so
//! `delete` removes it.

use super::lifecycle::{Status, status};
use super::store::{self, Record};
use crate::cli::oci::UpdateArgs;
use anyhow::{Context, bail};
use cove_backend_linux::cgroup::live;
use cove_backend_linux::process;
use std::path::Path;

/// The container's processes: those of its cgroup when it has one, else
/// those of its own pid namespace (never the caller's: that would be the
/// host's).
fn pids_of(r: &Record) -> anyhow::Result<Box<dyn Fn() -> Vec<i32> + '_>> {
    if let Some(dir) = r.cgroups.first() {
        let procs = dir.join("cgroup.procs");
        return Ok(Box::new(move || {
            let text = std::fs::read_to_string(&procs).unwrap_or_default();
            text.lines().filter_map(|l| l.trim().parse().ok()).collect()
        }));
    }
    let ns = |pid: &str| std::fs::read_link(format!("/proc/{pid}/ns/pid")).ok();
    if ns(&r.pid.to_string()).is_none() || ns(&r.pid.to_string()) == ns("self") {
        bail!(
            "container {} shares this runtime's pid namespace and has no cgroup: its processes cannot be told apart",
            r.id
        );
    }
    Ok(Box::new(|| process::namespace_pids(r.pid)))
}

/// `pause ID` (`freeze`) or `resume ID`.
pub fn pause(root: &Path, id: &str, freeze: bool) -> anyhow::Result<()> {
    let (dir, mut r) = store::load(root, id)?;
    let (verb, wanted) = if freeze { ("pause", Status::Running) } else { ("resume", Status::Paused) };
    let st = status(&dir, &r);
    if st != wanted {
        bail!("cannot {verb} container {id}: it is {} (only a {} container can be)", st.name(), wanted.name());
    }
    let mut dirs = r.cgroups.clone();
    let result = live::set_frozen(&mut dirs, id, &*pids_of(&r)?, freeze);
    save_dirs(&dir, &mut r, dirs)?;
    result.with_context(|| format!("{verb} container {id}"))
}

/// `update [--resources FILE] [--memory N] ... ID`.
pub fn update(root: &Path, args: &UpdateArgs) -> anyhow::Result<()> {
    let (dir, mut r) = store::load(root, &args.id)?;
    let st = status(&dir, &r);
    if st == Status::Stopped {
        bail!("cannot update container {}: it is stopped", args.id);
    }
    let limits = cove_core::oci::parse_resources(&resources_json(args)?.to_string())?;
    let mut dirs = r.cgroups.clone();
    let result = live::update(&mut dirs, &args.id, &*pids_of(&r)?, &limits);
    save_dirs(&dir, &mut r, dirs)?;
    result.with_context(|| format!("update container {}", args.id))
}

/// Records cgroups added on the way.
fn save_dirs(dir: &Path, r: &mut Record, dirs: Vec<std::path::PathBuf>) -> anyhow::Result<()> {
    if dirs != r.cgroups {
        r.cgroups = dirs;
        store::save(dir, r)?;
    }
    Ok(())
}

/// `--resources` (a file, `-` for stdin) with the single-value flags on top.
fn resources_json(args: &UpdateArgs) -> anyhow::Result<serde_json::Value> {
    let mut v = match &args.resources {
        None => serde_json::json!({}),
        Some(p) => {
            let text = if p == Path::new("-") {
                std::io::read_to_string(std::io::stdin()).context("read resources from stdin")?
            } else {
                std::fs::read_to_string(p).with_context(|| format!("read {}", p.display()))?
            };
            serde_json::from_str(&text).with_context(|| format!("parse {}", p.display()))?
        }
    };
    let mut set = |section: &str, key: &str, value: serde_json::Value| {
        v[section][key] = value;
    };
    if let Some(m) = args.memory {
        set("memory", "limit", m.into());
    }
    if let Some(s) = args.memory_swap {
        set("memory", "swap", s.into());
    }
    if let Some(q) = args.cpu_quota {
        set("cpu", "quota", q.into());
    }
    if let Some(p) = args.cpu_period {
        set("cpu", "period", p.into());
    }
    if let Some(n) = args.pids_limit {
        set("pids", "limit", n.into());
    }
    Ok(v)
}
