//! OCI hooks run by the container's first process (createContainer before
//! `pivot_root`, startContainer after `start`): each program with the state
//! JSON on stdin, only its own environment, killed at its timeout. A hook
//! fails when it exits non-zero, is killed, or cannot be started.

use super::error::ChildError;
use cove_core::oci::Hook;
use std::io::{Read, Write};
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Runs `hooks` (of `point`) in order, stopping at the first failure.
pub fn run_all(point: &'static str, hooks: &[Hook], state: &str) -> Result<(), ChildError> {
    for (index, h) in hooks.iter().enumerate() {
        run(h, state).map_err(|why| ChildError::Hook { point, index, path: h.path.clone(), why })?;
    }
    Ok(())
}

/// Runs one hook with `state` on stdin; the error says why it failed.
pub fn run(h: &Hook, state: &str) -> Result<(), String> {
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
    let mut child = cmd.spawn().map_err(|e| format!("start: {e}"))?;
    if let Some(mut stdin) = child.stdin.take() {
        // A hook that does not read its state is not an error.
        let _ = stdin.write_all(state.as_bytes());
    }
    let deadline = h.timeout.map(|t| Instant::now() + Duration::from_secs(t));
    let status = loop {
        if let Some(st) = child.try_wait().map_err(|e| format!("wait: {e}"))? {
            break st;
        }
        if deadline.is_some_and(|d| Instant::now() > d) {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("timed out after {} s", h.timeout.unwrap_or(0)));
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
    Err(format!("{status}: {}", err.trim()))
}

/// The text of a failure the container reported (`None` for other
/// messages), as `create` and `start` show it.
pub fn failure_text(msg: &super::channel::Message) -> Option<String> {
    use super::channel::Message;
    match msg {
        Message::HookFailed { point, index, path, why } => Some(format!("{point} hook {index} ({path}): {why}")),
        Message::SetupFailed { step, path, errno } => {
            Some(format!("container setup failed: {step} {path}: {}", std::io::Error::from_raw_os_error(*errno)))
        }
        Message::ExecFailed { program, errno } => {
            Some(format!("cannot execute {program}: {}", std::io::Error::from_raw_os_error(*errno)))
        }
        _ => None,
    }
}
