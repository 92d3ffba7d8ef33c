//! Running a plan on Windows: the stage's steps in order, each undone by a
//! guard when the run ends (profile deleted, ACL entries revoked, container
//! dir removed; the job's handle closes last and kills what is left).

use crate::acl::Grant;
use crate::exit::{exec_failure, exit_status};
use crate::probe::ALWAYS;
use crate::sys::acl::{Change, apply};
use crate::sys::appcontainer::{LocalSid, Profile, Token};
use crate::sys::job::Job;
use crate::sys::process::{Request, Suspended, create_suspended, resume, wait};
use crate::translate::{Context, TranslateError, WindowsPlan, translate};
use cove_core::backend::{Capabilities, RunObserver, RunOutcome};
use cove_core::id::ContainerId;
use cove_core::plan::Plan;
use cove_core::sandbox::{Unsupported, require};
use std::os::windows::io::OwnedHandle;
use std::path::{Path, PathBuf};

/// Why a run could not be carried out (exit 125).
#[derive(Debug, thiserror::Error)]
pub enum SpawnError {
    /// Refused before anything started.
    #[error(transparent)]
    Unsupported(#[from] Unsupported),
    /// The plan cannot be expressed.
    #[error(transparent)]
    Translate(#[from] TranslateError),
    /// A step failed.
    #[error("{op} {target}")]
    Step {
        /// The operation.
        op: &'static str,
        /// What it was applied to.
        target: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
}

fn step(op: &'static str, target: impl std::fmt::Display) -> impl FnOnce(std::io::Error) -> SpawnError {
    let target = target.to_string();
    move |source| SpawnError::Step { op, target, source }
}

/// The container dir; removed (with everything in it) on drop.
struct ContainerDir(PathBuf);

impl Drop for ContainerDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// ACL entries added so far; revoked on drop.
struct Granted<'a>(Vec<(&'a str, Vec<&'a Grant>)>);

impl Drop for Granted<'_> {
    fn drop(&mut self) {
        for (path, grants) in self.0.iter().rev() {
            let _ = apply(path, grants, Change::Revoke);
        }
    }
}

/// Runs `plan`: in the foreground (`observer` is `None`), or for a stored
/// container's monitor, which is told the pid of the command; the job and
/// profile are then named after the stored container, so later CLI calls
/// open the job by name (`stored.rs`).
pub fn run(plan: &Plan, caps: &Capabilities, observer: Option<&mut dyn RunObserver>) -> Result<RunOutcome, SpawnError> {
    // 1. Refuse what this host cannot enforce, before anything exists.
    require(plan, caps, "windows", &ALWAYS)?;
    // 2. The container dir and the translation.
    let id = match observer.as_deref().and_then(|o| o.container()) {
        Some(id) => id.clone(),
        None => ContainerId::generate()
            .map_err(|e| step("generate container id", "getrandom")(std::io::Error::other(e.to_string())))?,
    };
    let dir = ContainerDir(std::env::temp_dir().join(format!("cove-{}", id.short())));
    std::fs::create_dir(&dir.0).map_err(step("create container dir", dir.0.display()))?;
    let system_root = crate::sys::probe::system_root().map_err(step("GetSystemWindowsDirectoryW", ""))?;
    let cx = Context { id, container_dir: dir.0.display().to_string(), system_root, cpus: crate::sys::probe::cpus() };
    let win = translate(plan, &cx, &|p: &Path| p.exists())?;
    prepare(&win)?;
    // 3. The program, looked up in the container's PATH.
    let Some(program) = win.program.1.iter().find(|c| Path::new(c).is_file()) else {
        let reason = cove_core::backend::ExecFailure::NotFound;
        return Ok(RunOutcome::ExecFailed { program: win.program.0.clone(), reason });
    };
    // 4. The identity: a profile, and access for its SID.
    let profile = Profile::create(&win.profile).map_err(step("CreateAppContainerProfile", &win.profile))?;
    let _granted = grant(&win)?;
    let cap_sids: Vec<&str> = win.capabilities.iter().map(|c| c.sid).collect();
    let mut token = Token::new(&profile, &cap_sids).map_err(step("ConvertStringSidToSidW", cap_sids.join(",")))?;
    // 5. The job, held until the end: closing it kills what is left.
    let job = Job::create(Some(&win.job_name), &win.job).map_err(step("CreateJobObjectW", &win.job_name))?;
    // 6. Suspended → in the job → resumed, then wait.
    let child = match start_in_job(&win, program, &mut token, &job)? {
        Ok(child) => child,
        Err(outcome) => return Ok(outcome),
    };
    if let Some(o) = observer {
        o.started(child.pid as i32, &[]);
    }
    let code = wait(&child.process, None).map_err(step("wait for process", child.pid))?.unwrap_or(0);
    drop(job);
    Ok(RunOutcome::Exited(exit_status(code)))
}

/// `cove exec`: runs `plan` (the stored container's spec with the exec's
/// command) inside the running container `id`: its job opened by name,
/// its AppContainer SID (the profile exists while it runs), its container
/// dir; created suspended → assigned to the job → resumed, then waited for.
/// Nothing is created or granted: the container's run did that.
pub fn exec(plan: &Plan, caps: &Capabilities, id: &ContainerId) -> Result<RunOutcome, SpawnError> {
    require(plan, caps, "windows", &ALWAYS)?;
    let dir = std::env::temp_dir().join(format!("cove-{}", id.short()));
    let system_root = crate::sys::probe::system_root().map_err(step("GetSystemWindowsDirectoryW", ""))?;
    let cx = Context {
        id: id.clone(),
        container_dir: dir.display().to_string(),
        system_root,
        cpus: crate::sys::probe::cpus(),
    };
    let win = translate(plan, &cx, &|p: &Path| p.exists())?;
    let Some(program) = win.program.1.iter().find(|c| Path::new(c).is_file()) else {
        let reason = cove_core::backend::ExecFailure::NotFound;
        return Ok(RunOutcome::ExecFailed { program: win.program.0.clone(), reason });
    };
    let job = crate::sys::job::Job::open(&win.job_name).map_err(step("OpenJobObjectW", &win.job_name))?;
    let sid_text = win.sid.to_string();
    let sid = LocalSid::parse(&sid_text).map_err(step("ConvertStringSidToSidW", &sid_text))?;
    let cap_sids: Vec<&str> = win.capabilities.iter().map(|c| c.sid).collect();
    let mut token = Token::for_sid(&sid, &cap_sids).map_err(step("ConvertStringSidToSidW", cap_sids.join(",")))?;
    let child = match start_in_job(&win, program, &mut token, &job)? {
        Ok(child) => child,
        Err(outcome) => return Ok(outcome),
    };
    let code = wait(&child.process, None).map_err(step("wait for process", child.pid))?.unwrap_or(0);
    Ok(RunOutcome::Exited(exit_status(code)))
}

/// `win`'s command created suspended with `token`'s identity, put in
/// `job`, then resumed (`run` and `exec` alike); `Ok(Err(outcome))` when the
/// program cannot be executed.
fn start_in_job(
    win: &WindowsPlan,
    program: &str,
    token: &mut Token,
    job: &Job,
) -> Result<Result<Suspended, RunOutcome>, SpawnError> {
    let stdio = stdio(win.stdin)?;
    let req = Request {
        application: program,
        command_line: &win.command_line,
        env_block: &win.env_block,
        cwd: &win.cwd,
        stdio: [&stdio[0], &stdio[1], &stdio[2]],
    };
    let security = token.security_capabilities();
    let child = match create_suspended(&req, Some(&security)) {
        Ok(c) => c,
        Err(e) => {
            let code = e.raw_os_error().unwrap_or(0) as u32;
            return match exec_failure(code, &e.to_string()) {
                Some(reason) => Ok(Err(RunOutcome::ExecFailed { program: win.program.0.clone(), reason })),
                None => Err(step("CreateProcessW", program)(e)),
            };
        }
    };
    // ORDER: assigned before it runs its first instruction, so neither it
    // nor its children ever run outside the job's limits (kill-on-close
    // included).
    job.assign(&child.process).map_err(step("AssignProcessToJobObject", child.pid))?;
    resume(&child.thread).map_err(step("ResumeThread", child.pid))?;
    Ok(Ok(child))
}

/// The directories and files of the plan, in the container dir.
fn prepare(win: &WindowsPlan) -> Result<(), SpawnError> {
    for d in &win.dirs {
        std::fs::create_dir_all(d).map_err(step("create", d))?;
    }
    for (path, contents) in &win.files {
        std::fs::write(path, contents).map_err(step("write", path))?;
    }
    Ok(())
}

/// Adds the grants path by path; the guard revokes them.
fn grant(win: &WindowsPlan) -> Result<Granted<'_>, SpawnError> {
    let mut done = Granted(Vec::new());
    let mut paths: Vec<&str> = win.grants.iter().map(|g| g.path.as_str()).collect();
    paths.dedup();
    for path in paths {
        let grants: Vec<&Grant> = win.grants.iter().filter(|g| g.path == path).collect();
        apply(path, &grants, Change::Add).map_err(step("SetEntriesInAclW", path))?;
        done.0.push((path, grants));
    }
    Ok(done)
}

/// stdin (the caller's, or `NUL`), stdout and stderr, as owned duplicates.
fn stdio(with_stdin: bool) -> Result<[OwnedHandle; 3], SpawnError> {
    use std::os::windows::io::AsHandle;
    let dup = |h: std::os::windows::io::BorrowedHandle<'_>| h.try_clone_to_owned();
    let stdin =
        if with_stdin { dup(std::io::stdin().as_handle()) } else { std::fs::File::open("NUL").map(OwnedHandle::from) }
            .map_err(step("open stdin", if with_stdin { "stdin" } else { "NUL" }))?;
    let stdout = dup(std::io::stdout().as_handle()).map_err(step("duplicate", "stdout"))?;
    let stderr = dup(std::io::stderr().as_handle()).map_err(step("duplicate", "stderr"))?;
    Ok([stdin, stdout, stderr])
}
