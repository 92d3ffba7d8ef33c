//! `process`: argv, environment, working directory, user, capabilities,
//! rlimits, no_new_privs and seccomp.

use super::OciError;
use crate::capability::CapSets;
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
    let (caps, cap_sets) = capabilities(p)?;
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
        capabilities: caps,
        cap_sets,
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

/// The bounding set and every other set as the config names it. The
/// inheritable set holds only what the config asks for (runc's
/// CVE-2022-24769 was a non-empty default).
fn capabilities(p: &Process) -> Result<(Vec<String>, Option<CapSets>), OciError> {
    let Some(c) = p.capabilities() else { return Ok((Vec::new(), None)) };
    let names = |s: &Option<Capabilities>| -> Vec<String> {
        s.iter().flatten().map(|c| format!("CAP_{c}")).collect::<BTreeSet<_>>().into_iter().collect()
    };
    let mut sets = CapSets {
        effective: names(c.effective()),
        permitted: names(c.permitted()),
        inheritable: names(c.inheritable()),
        ambient: names(c.ambient()),
    };
    // The kernel raises an ambient capability only when it is permitted and
    // inheritable (capabilities(7)); `runc spec` lists ambient ones without
    // inheritable, and runc skips those: so does cove (it grants less).
    let raisable = |cap: &String| sets.permitted.contains(cap) && sets.inheritable.contains(cap);
    sets.ambient = sets.ambient.iter().filter(|c| raisable(c)).cloned().collect();
    if let Some(cap) = sets.effective.iter().find(|c| !sets.permitted.contains(c)) {
        return Err(OciError::invalid("process.capabilities.effective", format!("{cap} is not permitted")));
    }
    Ok((names(c.bounding()), Some(sets)))
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
