//! OCI runtime bundles: a `config.json` (opencontainers/runtime-spec, parsed
//! with the oci-spec crate) turned into cove's [`Plan`].
//!
//! What belongs here: the pure translation, field by field, and the refusal
//! of every field cove cannot honour (fail closed: a refused field names
//! itself; nothing is silently dropped). What does not: reading the bundle,
//! the state directory, or starting anything (the CLI and the backend do).

use crate::plan::{HostIdentity, Namespace, Plan};
use oci_spec::runtime::Spec;
use std::collections::BTreeMap;
use std::path::Path;

pub use hooks::{Hook, Hooks};

mod hooks;
mod linux;
mod mounts;
mod process;
#[cfg(test)]
mod tests;

/// The plan for a bundle, plus what is carried out outside the plan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OciPlan {
    /// The container.
    pub plan: Plan,
    /// `process.oomScoreAdj`, written by the runtime for the container's pid.
    pub oom_score_adj: Option<i32>,
    /// `annotations`, reported by `state`.
    pub annotations: BTreeMap<String, String>,
    /// The hooks the runtime runs.
    pub hooks: Hooks,
    /// `linux.devices` beyond the default ones: the runtime binds a host
    /// node of the same type and number onto each (appended to the mounts).
    pub devices: Vec<Device>,
}

/// A device the config asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Device {
    /// Container path (under `/dev`).
    pub path: String,
    /// Block (else character) device.
    pub block: bool,
    /// Major number.
    pub major: i64,
    /// Minor number.
    pub minor: i64,
}

/// A config that cove will not run.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum OciError {
    /// Not valid JSON, or not the runtime-spec's shape.
    #[error("config.json: {0}")]
    Json(String),
    /// A field cove cannot honour.
    #[error("config.json: {field}: {detail} (not supported by cove; see docs/oci.md)")]
    Unsupported {
        /// The field's path, e.g. `linux.sysctl`.
        field: String,
        /// What is not supported.
        detail: String,
    },
    /// A field with a value the spec does not allow.
    #[error("config.json: {field}: {detail}")]
    Invalid {
        /// The field's path.
        field: String,
        /// What is wrong.
        detail: String,
    },
}

impl OciError {
    pub(crate) fn unsupported(field: impl Into<String>, detail: impl Into<String>) -> Self {
        OciError::Unsupported { field: field.into(), detail: detail.into() }
    }

    pub(crate) fn invalid(field: impl Into<String>, detail: impl Into<String>) -> Self {
        OciError::Invalid { field: field.into(), detail: detail.into() }
    }
}

/// Parses `config.json` text.
pub fn parse(text: &str) -> Result<Spec, OciError> {
    serde_json::from_str(text).map_err(|e| OciError::Json(e.to_string()))
}

/// Turns a parsed config into a plan for `host`; `bundle` is the bundle's
/// absolute directory (relative paths in the config are resolved against it).
pub fn plan(spec: &Spec, bundle: &Path, host: HostIdentity) -> Result<OciPlan, OciError> {
    refuse_unsupported(spec)?;
    let lin = spec.linux().as_ref().ok_or_else(|| OciError::invalid("linux", "missing"))?;
    let root = spec.root().as_ref().ok_or_else(|| OciError::invalid("root", "missing"))?;
    let source = bundle.join(root.path());
    let (mut namespaces, join_namespaces) = linux::namespaces(lin)?;
    let id_map = linux::id_map(lin, host)?;
    let p = spec.process().as_ref().ok_or_else(|| OciError::invalid("process", "missing"))?;
    let own_net = namespaces.contains(&Namespace::Net);
    let mut steps = mounts::steps(spec.mounts().as_deref().unwrap_or_default(), bundle, own_net)?;
    if steps.iter().any(|s| matches!(s, crate::plan::MountStep::Cgroup { .. }))
        && !namespaces.contains(&Namespace::Cgroup)
    {
        // A cgroup2 instance can only be mounted from a cgroup namespace the
        // container owns; it shows the container's own cgroup as its root.
        namespaces.push(Namespace::Cgroup);
    }
    let devices = linux::devices(lin)?;
    // The runtime-spec's "Default Devices", after the config's mounts
    // (which usually make `/dev` a tmpfs).
    steps.extend(crate::plan::devices_and_links());
    let hostname = spec.hostname().clone().unwrap_or_default();
    let uts = namespaces.contains(&Namespace::Uts) || join_namespaces.iter().any(|j| j.kind == Namespace::Uts);
    if !hostname.is_empty() && !uts {
        return Err(OciError::invalid("hostname", "set without a uts namespace"));
    }
    let domainname = spec.domainname().clone().filter(|d| !d.is_empty());
    if domainname.is_some() && !uts {
        return Err(OciError::invalid("domainname", "set without a uts namespace"));
    }
    let process = process::process(p, &id_map, lin)?;
    let sysctls = linux::sysctls(lin, &namespaces, &join_namespaces)?;
    let plan = Plan {
        namespaces,
        root: crate::plan::RootStep::Bind { source },
        mounts: steps,
        masked_paths: lin.masked_paths().clone().unwrap_or_default(),
        readonly_paths: lin.readonly_paths().clone().unwrap_or_default(),
        read_only_root: root.readonly().unwrap_or(false),
        hostname,
        domainname,
        loopback_up: own_net,
        process,
        init: false,
        limits: linux::limits(lin)?,
        // An OCI bundle brings its own network namespace (or none): never cove's stack.
        bridge: None,
        sysctls,
        id_map,
        join_namespaces,
        mount_sources: mounts::sources(spec.mounts().as_deref().unwrap_or_default()),
        root_propagation: linux::root_propagation(lin)?,
    };
    let annotations = spec.annotations().clone().unwrap_or_default().into_iter().collect();
    let hooks = hooks::hooks(spec.hooks().as_ref())?;
    Ok(OciPlan { plan, oom_score_adj: p.oom_score_adj(), annotations, hooks, devices })
}

/// The process for `exec` in a container made from `spec`: `process` (an
/// engine's process.json) or else the config's own, planned against the
/// same id map and seccomp rules; also whether `setgroups` is allowed.
pub fn exec_process(
    spec: &Spec,
    bundle: &Path,
    host: HostIdentity,
    process: Option<&oci_spec::runtime::Process>,
) -> Result<(crate::plan::ProcessPlan, bool), OciError> {
    let full = plan(spec, bundle, host)?;
    let setgroups = full.plan.id_map.setgroups;
    let Some(p) = process else { return Ok((full.plan.process, setgroups)) };
    let lin = spec.linux().as_ref().ok_or_else(|| OciError::invalid("linux", "missing"))?;
    Ok((process::process(p, &full.plan.id_map, lin)?, setgroups))
}

/// Parses `update --resources` JSON (a runtime-spec `LinuxResources`) into
/// the limits it sets; fields cove cannot change are refused as in `create`.
pub fn parse_resources(text: &str) -> Result<crate::plan::limits::ResourceLimits, OciError> {
    let r: oci_spec::runtime::LinuxResources = serde_json::from_str(text).map_err(|e| OciError::Json(e.to_string()))?;
    linux::resources(&r)
}

/// Parses an engine's process.json (`exec --process`).
pub fn parse_process(text: &str) -> Result<oci_spec::runtime::Process, OciError> {
    serde_json::from_str(text).map_err(|e| OciError::Json(e.to_string()))
}

/// Top-level fields cove refuses when they are set.
fn refuse_unsupported(spec: &Spec) -> Result<(), OciError> {
    for (field, set) in [
        ("solaris", spec.solaris().is_some()),
        ("windows", spec.windows().is_some()),
        ("vm", spec.vm().is_some()),
        ("zos", spec.zos().is_some()),
    ] {
        if set {
            return Err(OciError::unsupported(field, "only linux containers are run"));
        }
    }
    Ok(())
}
