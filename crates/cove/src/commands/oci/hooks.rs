//! Runs OCI hooks: each program with the container's state JSON on stdin,
//! only its own environment, and killed at its timeout. A hook fails when
//! it exits non-zero, is killed, or cannot be started.

use anyhow::{Context, bail};
use cove_core::oci::Hook;
use std::io::{Read, Write};
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

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
    let mut cmd = Command::new(&h.path);
    if let Some((first, rest)) = h.args.split_first() {
        cmd.arg0(first).args(rest);
    }
    cmd.env_clear();
    for kv in &h.env {
        let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
        cmd.env(k, v);
    }
    cmd.stdin(Stdio::piped()).stdout(Stdio::null()).stderr(Stdio::piped());
    let mut child = cmd.spawn().context("start")?;
    if let Some(mut stdin) = child.stdin.take() {
        // A hook that does not read its state is not an error.
        let _ = stdin.write_all(state.to_string().as_bytes());
    }
    let deadline = h.timeout.map(|t| Instant::now() + Duration::from_secs(t));
    let status = loop {
        if let Some(st) = child.try_wait().context("wait")? {
            break st;
        }
        if deadline.is_some_and(|d| Instant::now() > d) {
            let _ = child.kill();
            let _ = child.wait();
            bail!("timed out after {} s", h.timeout.unwrap_or(0));
        }
        std::thread::sleep(Duration::from_millis(2));
    };
    if status.success() {
        return Ok(());
    }
    let mut err = String::new();
    if let Some(mut e) = child.stderr.take() {
        let _ = e.read_to_string(&mut err);
    }
    bail!("{status}: {}", err.trim())
}
