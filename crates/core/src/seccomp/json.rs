//! Docker and OCI JSON profiles (`docker run --security-opt seccomp=FILE`,
//! the runtime-spec's `linux.seccomp`) to a [`Profile`].
//!
//! Everything is checked, and errors name the field or the rule
//! (`syscalls[3] "clone" args[0]: unknown op SCMP_CMP_FOO`). Unknown fields
//! are errors too, so a misspelt key never silently weakens a profile.
//! Two choices differ from Docker on purpose: a profile without
//! `defaultAction` is refused rather than meaning "no filter" (that is
//! `seccomp=unconfined`), and `SCMP_ACT_NOTIFY` is refused, since cove has
//! no notification agent.

use super::names::{self, ActionName};
use super::{Action, Arch, Condition, KernelVersion, MAX_ERRNO, Profile, ProfileError, Rule, Selector};
use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_json::Value;

/// The top level of a profile.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawProfile {
    default_action: Option<String>,
    default_errno_ret: Option<u32>,
    architectures: Option<Vec<String>>,
    arch_map: Option<Vec<RawArchMap>>,
    flags: Option<Vec<String>>,
    listener_path: Option<String>,
    #[serde(rename = "listenerMetadata")]
    _listener_metadata: Option<IgnoredAny>,
    /// Kept as JSON so that each entry's errors can name it.
    syscalls: Option<Vec<Value>>,
}

/// Docker's `archMap` entry.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawArchMap {
    architecture: String,
    sub_architectures: Option<Vec<String>>,
}

/// One `syscalls` entry.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawSyscall {
    names: Option<Vec<String>>,
    name: Option<String>,
    action: String,
    errno_ret: Option<u32>,
    args: Option<Vec<RawArg>>,
    #[serde(rename = "comment")]
    _comment: Option<IgnoredAny>,
    includes: Option<RawSelector>,
    excludes: Option<RawSelector>,
}

/// One argument condition; like Go's decoder, missing numbers are 0.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawArg {
    index: u32,
    #[serde(default)]
    value: u64,
    #[serde(default)]
    value_two: u64,
    op: String,
}

/// Docker's `includes`/`excludes`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawSelector {
    caps: Option<Vec<String>>,
    arches: Option<Vec<String>>,
    min_kernel: Option<String>,
}

fn invalid(at: impl Into<String>, problem: impl Into<String>) -> ProfileError {
    ProfileError::Invalid { at: at.into(), problem: problem.into() }
}

/// Parses and validates a Docker/OCI JSON seccomp profile.
pub fn parse_json(text: &str) -> Result<Profile, ProfileError> {
    let raw: RawProfile = serde_json::from_str(text).map_err(|e| ProfileError::Json(e.to_string()))?;
    let default_action = match raw.default_action.as_deref() {
        None | Some("") => {
            return Err(invalid(
                "defaultAction",
                "missing (for no filter at all, use --security-opt seccomp=unconfined)",
            ));
        }
        Some(name) => action(name, raw.default_errno_ret).map_err(|p| invalid("defaultAction", p))?,
    };
    if raw.listener_path.is_some_and(|p| !p.is_empty()) {
        return Err(invalid("listenerPath", "seccomp notification agents are not supported"));
    }
    let profile = Profile {
        default_action,
        architectures: architectures(raw.architectures.unwrap_or_default(), raw.arch_map.unwrap_or_default())?,
        flags: flags(raw.flags.unwrap_or_default())?,
        rules: raw
            .syscalls
            .unwrap_or_default()
            .into_iter()
            .enumerate()
            .map(|(i, v)| rule(i, v))
            .collect::<Result<_, _>>()?,
    };
    profile.validate()?;
    Ok(profile)
}

/// An action and its `errnoRet`: EPERM when an errno or trace value is not given, as runc does.
fn action(name: &str, data: Option<u32>) -> Result<Action, String> {
    let kind = names::action(name).ok_or_else(|| format!("unknown action {name}"))?;
    let small = |max: u16| match data {
        None => Ok(1),
        Some(d) if d <= u32::from(max) => Ok(d as u16),
        Some(d) => Err(format!("errnoRet {d} out of range (0-{max})")),
    };
    if data.is_some() && !matches!(kind, ActionName::Errno | ActionName::Trace) {
        return Err(format!("errnoRet is only valid with SCMP_ACT_ERRNO and SCMP_ACT_TRACE, not {name}"));
    }
    Ok(match kind {
        ActionName::Allow => Action::Allow,
        ActionName::Errno => Action::Errno(small(MAX_ERRNO)?),
        ActionName::KillProcess => Action::KillProcess,
        ActionName::KillThread => Action::KillThread,
        ActionName::Trap => Action::Trap,
        ActionName::Trace => Action::Trace(small(u16::MAX)?),
        ActionName::Log => Action::Log,
        ActionName::Notify => return Err("SCMP_ACT_NOTIFY is not supported: cove has no notification agent".into()),
    })
}

/// `architectures`, or every architecture `archMap` names (Docker refuses both at once).
fn architectures(list: Vec<String>, map: Vec<RawArchMap>) -> Result<Vec<Arch>, ProfileError> {
    if !list.is_empty() && !map.is_empty() {
        return Err(invalid("architectures", "set both 'architectures' and 'archMap'; use one"));
    }
    let one = |at: String, name: &str| {
        names::scmp_arch(name).ok_or_else(|| invalid(at, format!("unknown architecture {name:?}")))
    };
    let mut out = Vec::new();
    for (i, name) in list.iter().enumerate() {
        out.push(one(format!("architectures[{i}]"), name)?);
    }
    for (i, entry) in map.iter().enumerate() {
        out.push(one(format!("archMap[{i}].architecture"), &entry.architecture)?);
        for (j, sub) in entry.sub_architectures.iter().flatten().enumerate() {
            out.push(one(format!("archMap[{i}].subArchitectures[{j}]"), sub)?);
        }
    }
    Ok(out)
}

fn flags(list: Vec<String>) -> Result<Vec<super::Flag>, ProfileError> {
    let one = |(i, name): (usize, &String)| match names::flag(name) {
        Some(Ok(flag)) => Ok(flag),
        Some(Err(why)) => Err(invalid(format!("flags[{i}]"), format!("{name} {why}"))),
        None => Err(invalid(format!("flags[{i}]"), format!("unknown flag {name:?}"))),
    };
    list.iter().enumerate().map(one).collect()
}

/// `syscalls[i]`, named by its first syscall even when the rest is malformed.
fn rule(i: usize, value: Value) -> Result<Rule, ProfileError> {
    let first = value.get("names").and_then(|n| n.get(0)).or_else(|| value.get("name")).and_then(Value::as_str);
    let label = super::rule_label(i, first);
    let raw: RawSyscall = serde_json::from_value(value).map_err(|e| invalid(&label, e.to_string()))?;
    let names = match (raw.name.filter(|n| !n.is_empty()), raw.names) {
        (Some(_), Some(list)) if !list.is_empty() => {
            return Err(invalid(&label, "set both 'name' and 'names'; use one"));
        }
        (Some(name), _) => vec![name],
        (None, list) => list.unwrap_or_default(),
    };
    let action = action(&raw.action, raw.errno_ret).map_err(|p| invalid(&label, p))?;
    let mut args = Vec::new();
    for (j, arg) in raw.args.into_iter().flatten().enumerate() {
        let at = format!("{label} args[{j}]");
        let op = names::op(&arg.op).ok_or_else(|| invalid(&at, format!("unknown op {}", arg.op)))?;
        let index = u8::try_from(arg.index).ok().filter(|i| *i <= 5);
        let index = index.ok_or_else(|| invalid(&at, format!("argument index {} out of range (0-5)", arg.index)))?;
        args.push(Condition { index, op, value: arg.value, value_two: arg.value_two });
    }
    let includes = selector(&format!("{label} includes"), raw.includes)?;
    let excludes = selector(&format!("{label} excludes"), raw.excludes)?;
    Ok(Rule { names, action, args, includes, excludes })
}

fn selector(at: &str, raw: Option<RawSelector>) -> Result<Selector, ProfileError> {
    let Some(raw) = raw else { return Ok(Selector::default()) };
    let mut out = Selector::default();
    for cap in raw.caps.unwrap_or_default() {
        match crate::capability::canonical(&cap) {
            Ok(full) if full != "ALL" => out.caps.push(full),
            _ => return Err(invalid(at, format!("unknown capability {cap:?}"))),
        }
    }
    for arch in raw.arches.unwrap_or_default() {
        out.arches
            .push(names::selector_arch(&arch).ok_or_else(|| invalid(at, format!("unknown architecture {arch:?}")))?);
    }
    if let Some(v) = raw.min_kernel.filter(|v| !v.is_empty()) {
        out.min_kernel = Some(KernelVersion::parse(&v).ok_or_else(|| invalid(at, format!("invalid minKernel {v:?}")))?);
    }
    Ok(out)
}
