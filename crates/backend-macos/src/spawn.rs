//! Running a plan under `sandbox-exec`: plain Unix process code, so it
//! compiles everywhere and is tested on Linux with a stand-in
//! `sandbox-exec`. In the foreground the command stays in cove's process
//! group, so Ctrl+C reaches it as it reaches cove; a stored container's
//! command (run by its monitor) leads a process group of its own, which
//! `stop` and `kill` signal as a whole (`process.rs`).

use crate::probe::{ALWAYS, HostFacts};
use crate::translate::{Context, MacPlan, TranslateError, translate};
use cove_core::backend::{Capabilities, ExecFailure, RunObserver, RunOutcome};
use cove_core::exit::ExitStatus;
use cove_core::id::ContainerId;
use cove_core::plan::Plan;
use cove_core::sandbox::{Unsupported, require};
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Why a run could not be carried out (exit 125).
#[derive(Debug, thiserror::Error)]
pub enum SpawnError {
    /// Refused before anything started.
    #[error(transparent)]
    Unsupported(#[from] Unsupported),
    /// The plan cannot be expressed.
    #[error(transparent)]
    Translate(#[from] TranslateError),
    /// A file-system or process step failed.
    #[error("{op} {path}")]
    Io {
        /// The operation.
        op: &'static str,
        /// Its path.
        path: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
}

fn io(op: &'static str, path: impl AsRef<Path>) -> impl FnOnce(std::io::Error) -> SpawnError {
    let path = path.as_ref().display().to_string();
    move |source| SpawnError::Io { op, path, source }
}

/// The caller's real uid.
pub fn caller_uid() -> u32 {
    rustix::process::getuid().as_raw()
}

/// A container dir, removed with its contents when dropped.
pub struct ContainerDir(PathBuf);

impl ContainerDir {
    /// Creates `$TMPDIR/cove-<short id>`, mode 0700.
    pub fn create(id: &ContainerId) -> Result<ContainerDir, SpawnError> {
        let path = std::env::temp_dir().join(format!("cove-{}", id.short()));
        std::fs::DirBuilder::new().mode(0o700).create(&path).map_err(io("create container dir", &path))?;
        Ok(ContainerDir(path))
    }

    /// Its path.
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for ContainerDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn resolve(p: &str) -> Option<String> {
    std::fs::canonicalize(p).ok().map(|r| r.display().to_string())
}

/// Runs `plan` under `sandbox_exec`: in the foreground (`observer` is
/// `None`), or for a stored container's monitor, which is told the pid of
/// the command (the leader of the container's own process group).
pub fn run(
    plan: &Plan,
    caps: &Capabilities,
    sandbox_exec: &Path,
    observer: Option<&mut dyn RunObserver>,
) -> Result<RunOutcome, SpawnError> {
    // 1. Refuse what this host cannot enforce, before anything exists.
    require(plan, caps, "macos", &ALWAYS)?;
    // 2. The container dir; the kernel checks resolved paths, so the
    //    profile names the resolved one (/var → /private/var).
    let id =
        ContainerId::generate().map_err(|e| io("generate container id", "")(std::io::Error::other(e.to_string())))?;
    let dir = ContainerDir::create(&id)?;
    let container_dir = resolve(&dir.path().display().to_string()).unwrap_or_else(|| dir.path().display().to_string());
    // 3. The profile and the rest, then the container's own files.
    let mac = translate(plan, &Context { id, container_dir, resolve: &resolve })?;
    prepare(&mac)?;
    // 4. The program, looked up as the container would.
    let program = match find_program(&mac.candidates) {
        Ok(p) => p,
        Err(reason) => return Ok(RunOutcome::ExecFailed { program: mac.args[0].clone(), reason }),
    };
    // 5. Run and wait; `dir` is removed when this returns.
    let mut cmd = command(&mac, sandbox_exec, &program);
    let status = match observer {
        None => cmd.status().map_err(io("run", sandbox_exec))?,
        Some(observer) => {
            // ORDER: the group exists before the command runs (set between
            // fork and exec), so `stop` never misses a process it forked.
            let mut child = cmd.process_group(0).spawn().map_err(io("run", sandbox_exec))?;
            observer.started(child.id() as i32, &[]);
            child.wait().map_err(io("wait for", sandbox_exec))?
        }
    };
    Ok(RunOutcome::Exited(match (status.code(), status.signal()) {
        (Some(c), _) => ExitStatus::Exited(c),
        (None, Some(s)) => ExitStatus::Signaled(s),
        (None, None) => ExitStatus::Exited(cove_core::exit::COVE_ERROR),
    }))
}

/// The directories and files the plan puts in the container dir.
fn prepare(mac: &MacPlan) -> Result<(), SpawnError> {
    for d in &mac.dirs {
        std::fs::DirBuilder::new().recursive(true).mode(0o755).create(d).map_err(io("create", d))?;
    }
    for (path, contents) in &mac.files {
        std::fs::write(path, contents).map_err(io("write", path))?;
    }
    Ok(())
}

/// The first candidate that is a file: executable, or 126.
fn find_program(candidates: &[String]) -> Result<PathBuf, ExecFailure> {
    let found = candidates.iter().map(PathBuf::from).find(|p| p.is_file());
    let path = found.ok_or(ExecFailure::NotFound)?;
    let mode = std::fs::metadata(&path).map(|m| m.permissions().mode()).unwrap_or(0);
    if mode & 0o111 == 0 {
        return Err(ExecFailure::NotExecutable(format!("{}: permission denied", path.display())));
    }
    Ok(path)
}

/// `sandbox-exec -p PROFILE -- PROGRAM ARGS…` with exactly the plan's
/// environment and working directory.
pub fn command(mac: &MacPlan, sandbox_exec: &Path, program: &Path) -> Command {
    let mut cmd = Command::new(sandbox_exec);
    cmd.arg("-p").arg(&mac.profile).arg("--").arg(program).args(&mac.args[1..]);
    cmd.env_clear().envs(mac.env.iter().map(|(k, v)| (k, v))).current_dir(&mac.cwd);
    cmd.stdin(if mac.stdin { Stdio::inherit() } else { Stdio::null() });
    cmd
}

/// Evidence for `cove info`: does `sandbox-exec` run `true` under a
/// deny-default profile (10 s at most)?
pub fn facts(sandbox_exec: &Path) -> HostFacts {
    let os_version = Command::new("/usr/bin/sw_vers")
        .arg("-productVersion")
        .output()
        .ok()
        .map(|o| format!("macOS {}", String::from_utf8_lossy(&o.stdout).trim()))
        .unwrap_or_else(|| std::env::consts::OS.to_owned());
    let profile = "(version 1)(deny default)(allow process-exec)(allow file-read*)(allow sysctl-read)";
    let mut cmd = Command::new(sandbox_exec);
    cmd.args(["-p", profile, "--", "/usr/bin/true"]).stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null());
    let sandbox_exec_result = match crate::selftest::status_within(cmd, std::time::Duration::from_secs(10)) {
        Ok(s) if s.success() => Ok(sandbox_exec.display().to_string()),
        Ok(s) => Err(format!("{} refused a deny-default profile ({s})", sandbox_exec.display())),
        Err(e) => Err(format!("{}: {e}", sandbox_exec.display())),
    };
    HostFacts { os_version, sandbox_exec: sandbox_exec_result }
}

#[cfg(test)]
mod tests;
