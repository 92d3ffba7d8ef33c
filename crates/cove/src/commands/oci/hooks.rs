//! Runs OCI hooks at the runtime's points (prestart, createRuntime,
//! poststart, poststop) through the backend's one hook runner: each program
//! with the container's state JSON on stdin, only its own environment, and
//! killed at its timeout.

use anyhow::Context;
use cove_core::oci::Hook;

/// Runs `hooks` in order, stopping at the first failure.
pub fn run_all(point: &str, hooks: &[Hook], state: &serde_json::Value) -> anyhow::Result<()> {
    for (i, h) in hooks.iter().enumerate() {
        run(h, state).with_context(|| format!("{point} hook {i} ({})", h.path))?;
    }
    Ok(())
}

/// Runs `hooks` in order; each failure is a warning and the rest still run
/// (the spec's rule for poststart and poststop).
pub fn run_all_warn(point: &str, hooks: &[Hook], state: &serde_json::Value) {
    for (i, h) in hooks.iter().enumerate() {
        if let Err(e) = run(h, state).with_context(|| format!("{point} hook {i} ({})", h.path)) {
            crate::output::oci_warning(&e);
        }
    }
}

fn run(h: &Hook, state: &serde_json::Value) -> anyhow::Result<()> {
    cove_backend_linux::run_hook(h, &state.to_string()).map_err(anyhow::Error::msg)
}
