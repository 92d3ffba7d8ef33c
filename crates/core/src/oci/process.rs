//! `process`: argv, environment, working directory, user, capabilities,
//! rlimits, no_new_privs and seccomp.

use super::OciError;
use crate::plan::limits::Rlimit;
use crate::plan::{IdMap, IdRange, ProcessPlan};
use oci_spec::runtime::{Capabilities, Linux, Process};
use std::collections::BTreeSet;

/// The process plan for `p`; ids must be mapped by `map`.
pub(super) fn process(p: &Process, map: &IdMap, lin: &Linux) -> Result<ProcessPlan, OciError> {
    refuse(p)?;
    let args = p.args().clone().unwrap_or_default();
    if args.is_empty() {
        return Err(OciError::invalid("process.args", "empty"));
    }
    let cwd = p.cwd().display().to_string();
    if !cwd.starts_with('/') {
        return Err(OciError::invalid("process.cwd", format!("{cwd:?} is not absolute")));
    }
    let mut env = Vec::new();
    for kv in p.env().as_deref().unwrap_or_default() {
        let Some((k, v)) = kv.split_once('=') else {
            return Err(OciError::invalid("process.env", format!("{kv:?} is not KEY=VALUE")));
        };
        env.push((k.to_owned(), v.to_owned()));
    }
    let user = p.user();
    let groups = user.additional_gids().clone().unwrap_or_default();
    check_mapped("process.user.uid", user.uid(), &map.uids)?;
    check_mapped("process.user.gid", user.gid(), &map.gids)?;
    for g in &groups {
        check_mapped("process.user.additionalGids", *g, &map.gids)?;
    }
    if !map.setgroups && !groups.is_empty() {
        let detail = "supplementary groups need setgroups, which a single-id rootless mapping denies";
        return Err(OciError::unsupported("process.user.additionalGids", detail));
    }
    let seccomp = match lin.seccomp() {
        None => None,
        Some(s) => {
            let text = serde_json::to_string(s).map_err(|e| OciError::Json(e.to_string()))?;
            let profile =
                crate::seccomp::parse_json(&text).map_err(|e| OciError::invalid("linux.seccomp", e.to_string()))?;
            Some(profile)
        }
    };
    Ok(ProcessPlan {
        args,
        env,
        cwd,
        uid: user.uid(),
        gid: user.gid(),
        groups,
        terminal: p.terminal().unwrap_or(false),
        // The container's stdio is the runtime caller's (or the pty).
        stdin: true,
        discard_output: (false, false),
        capabilities: capabilities(p, user.uid())?,
        no_new_privileges: p.no_new_privileges().unwrap_or(false),
        seccomp,
        umask: user.umask().unwrap_or(0o022),
        rlimits: rlimits(p)?,
    })
}

fn check_mapped(field: &str, id: u32, ranges: &[IdRange]) -> Result<(), OciError> {
    let mapped = ranges.iter().any(|r| id >= r.inside && (id - r.inside) < r.count);
    if mapped { Ok(()) } else { Err(OciError::invalid(field, format!("{id} is not mapped in the user namespace"))) }
}

/// cove gives the process one set: bounding = permitted = effective. The
/// inheritable set is always left empty (CVE-2022-24769); ambient
/// capabilities only matter for a non-root user and are refused there.
fn capabilities(p: &Process, uid: u32) -> Result<Vec<String>, OciError> {
    let Some(c) = p.capabilities() else { return Ok(Vec::new()) };
    let names =
        |s: &Option<Capabilities>| -> BTreeSet<String> { s.iter().flatten().map(|c| format!("CAP_{c}")).collect() };
    let bounding = names(c.bounding());
    for (field, set) in [("effective", c.effective()), ("permitted", c.permitted())] {
        if names(set) != bounding {
            let detail = "cove gives one capability set: effective and permitted must equal bounding";
            return Err(OciError::unsupported(format!("process.capabilities.{field}"), detail));
        }
    }
    if uid != 0 && !names(c.ambient()).is_empty() {
        return Err(OciError::unsupported("process.capabilities.ambient", "ambient capabilities for a non-root user"));
    }
    Ok(bounding.into_iter().collect())
}

fn rlimits(p: &Process) -> Result<Vec<Rlimit>, OciError> {
    let mut out = Vec::new();
    for r in p.rlimits().as_deref().unwrap_or_default() {
        let name = serde_json::to_value(r.typ()).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default();
        if r.soft() > r.hard() {
            return Err(OciError::invalid("process.rlimits", format!("{name}: soft limit above hard limit")));
        }
        if out.iter().any(|o: &Rlimit| o.resource == name) {
            return Err(OciError::invalid("process.rlimits", format!("{name} listed twice")));
        }
        out.push(Rlimit { resource: name, soft: r.soft(), hard: r.hard() });
    }
    Ok(out)
}

/// Process fields cove refuses when they are set.
fn refuse(p: &Process) -> Result<(), OciError> {
    let some_str = |s: &Option<String>| s.as_deref().is_some_and(|s| !s.is_empty());
    for (field, set) in [
        ("process.apparmorProfile", some_str(p.apparmor_profile())),
        ("process.selinuxLabel", some_str(p.selinux_label())),
        ("process.commandLine", some_str(p.command_line())),
        ("process.ioPriority", p.io_priority().is_some()),
        ("process.scheduler", p.scheduler().is_some()),
        ("process.execCPUAffinity", p.exec_cpu_affinity().is_some()),
    ] {
        if set {
            return Err(OciError::unsupported(field, "this setting"));
        }
    }
    Ok(())
}
