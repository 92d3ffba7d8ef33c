//! `hooks`: all six kinds, checked. createRuntime, prestart, poststart and
//! poststop run in the runtime's namespaces; createContainer and
//! startContainer inside the container's (run by its first process).

use super::OciError;
use serde::{Deserialize, Serialize};

/// One hook: a program run with the container's state on stdin.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hook {
    /// Absolute path of the program.
    pub path: String,
    /// argv, `args[0]` included (empty: the path).
    pub args: Vec<String>,
    /// The whole environment (`KEY=VALUE`).
    pub env: Vec<String>,
    /// Seconds before it is killed and counted as failed.
    pub timeout: Option<u64>,
}

/// The hooks cove runs, by point.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hooks {
    /// `create`, once the container is set up (failure fails `create`).
    pub create_runtime: Vec<Hook>,
    /// `create`, after `create_runtime` (deprecated by the spec; same point).
    pub prestart: Vec<Hook>,
    /// `create`, after `prestart`, in the container's namespaces before
    /// `pivot_root` (path resolved in the runtime's mount tree).
    #[serde(default)]
    pub create_container: Vec<Hook>,
    /// `start`, inside the container (after `pivot_root`, path resolved
    /// there), before the process is executed (failure fails `start`).
    #[serde(default)]
    pub start_container: Vec<Hook>,
    /// `start`, after the process was executed (failure: a warning).
    pub poststart: Vec<Hook>,
    /// `delete`, after the container stopped (failure: a warning).
    pub poststop: Vec<Hook>,
}

/// The config's hooks, checked.
pub(super) fn hooks(h: Option<&oci_spec::runtime::Hooks>) -> Result<Hooks, OciError> {
    let Some(h) = h else { return Ok(Hooks::default()) };
    let list = |field: &str, v: &Option<Vec<oci_spec::runtime::Hook>>| -> Result<Vec<Hook>, OciError> {
        v.iter().flatten().map(|x| hook(field, x)).collect()
    };
    Ok(Hooks {
        create_runtime: list("hooks.createRuntime", h.create_runtime())?,
        prestart: list("hooks.prestart", h.prestart())?,
        create_container: list("hooks.createContainer", h.create_container())?,
        start_container: list("hooks.startContainer", h.start_container())?,
        poststart: list("hooks.poststart", h.poststart())?,
        poststop: list("hooks.poststop", h.poststop())?,
    })
}

fn hook(field: &str, h: &oci_spec::runtime::Hook) -> Result<Hook, OciError> {
    let path = h.path().display().to_string();
    if !path.starts_with('/') {
        return Err(OciError::invalid(format!("{field}[].path"), format!("{path:?} is not absolute")));
    }
    let timeout = match h.timeout() {
        None => None,
        Some(t) if t > 0 => Some(t as u64),
        Some(t) => return Err(OciError::invalid(format!("{field}[].timeout"), format!("{t} is not positive"))),
    };
    Ok(Hook { path, args: h.args().clone().unwrap_or_default(), env: h.env().clone().unwrap_or_default(), timeout })
}
