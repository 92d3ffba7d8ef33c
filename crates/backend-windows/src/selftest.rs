//! `cove test` on Windows: the isolation primitives exercised for real.
//! Under Wine, what Wine does not implement (AppContainers, job limits) is
//! skipped with the reason; kill-on-close and command lines are checked.

use crate::job::{JobLimits, LIMIT_ACTIVE_PROCESS, LIMIT_JOB_MEMORY, LIMIT_KILL_ON_JOB_CLOSE};
use crate::sys::appcontainer::{Profile, Token};
use crate::sys::job::Job;
use crate::sys::process::{Request, create_suspended, resume, wait};
use cove_core::hostcheck::HostCheck;
use std::os::windows::io::OwnedHandle;

fn nul() -> std::io::Result<OwnedHandle> {
    std::fs::OpenOptions::new().read(true).write(true).open("NUL").map(OwnedHandle::from)
}

/// Every check; `sleeper` is a command line that runs for a while
/// (`cove __probe sleep`), `env_block` a minimal environment for it.
pub fn run(sleeper: &[String]) -> Vec<HostCheck> {
    let wine = crate::sys::wine::version();
    let mut checks = vec![kill_on_close(sleeper), cmdline_round_trip()];
    let why = |w: &String| format!("Wine {w} does not implement it: verify on Windows 10/11 (docs/windows.md)");
    let limits_proves = "memory and process limits are stored in the job";
    let sid_proves = "an AppContainer profile gets the SID cove derives for it";
    match &wine {
        Some(w) => {
            checks.push(HostCheck::skipped("job_limits_stored", limits_proves, why(w)));
            checks.push(HostCheck::skipped("appcontainer_sid", sid_proves, why(w)));
        }
        None => {
            checks.push(HostCheck::judged("job_limits_stored", limits_proves, limits_stored()));
            checks.push(HostCheck::judged("appcontainer_sid", sid_proves, appcontainer_sid()));
        }
    }
    checks
}

fn kill_on_close(sleeper: &[String]) -> HostCheck {
    let proves = "closing the container's job ends its processes (cove's exit cannot leave them behind)";
    HostCheck::judged("job_kill_on_close", proves, kill_on_close_outcome(sleeper))
}

fn kill_on_close_outcome(sleeper: &[String]) -> Result<String, String> {
    let limits = JobLimits { flags: LIMIT_KILL_ON_JOB_CLOSE, job_memory: 0, active_processes: 0, cpu_rate: None };
    let job = Job::create(None, &limits).map_err(|e| format!("CreateJobObjectW: {e}"))?;
    let line = crate::cmdline::command_line(sleeper).map_err(|e| e.to_string())?;
    let io = [nul(), nul(), nul()];
    let [Ok(a), Ok(b), Ok(c)] = io else { return Err("open NUL failed".into()) };
    let env: Vec<u16> = crate::envblock::block(&[]).map_err(|e| e.to_string())?;
    let cwd = std::env::temp_dir().display().to_string();
    let req =
        Request { application: &sleeper[0], command_line: &line, env_block: &env, cwd: &cwd, stdio: [&a, &b, &c] };
    let child = create_suspended(&req, None).map_err(|e| format!("CreateProcessW {}: {e}", sleeper[0]))?;
    job.assign(&child.process).map_err(|e| format!("AssignProcessToJobObject: {e}"))?;
    resume(&child.thread).map_err(|e| format!("ResumeThread: {e}"))?;
    if let Some(code) = wait(&child.process, Some(300)).map_err(|e| e.to_string())? {
        return Err(format!("the helper ended by itself (exit {code:#x}) before the job was closed"));
    }
    let active = job.accounting().map_err(|e| format!("QueryInformationJobObject: {e}"))?.active_processes;
    if active != 1 {
        return Err(format!("the job counts {active} active processes, expected the helper"));
    }
    drop(job);
    match wait(&child.process, Some(5000)).map_err(|e| e.to_string())? {
        Some(code) => Ok(format!("the process ended when the job closed (exit {code:#x})")),
        None => Err("the process was still running 5 s after its job was closed".into()),
    }
}

fn cmdline_round_trip() -> HostCheck {
    let proves = "argv reaches the program exactly (quoting checked against CommandLineToArgvW)";
    let words = ["", " ", "a b", "\"", "\\\"", "a\\\\", "x\"y z\\", "\t\\\\\"\\"];
    let mut tried = 0;
    for a in words {
        for b in words {
            let argv = vec!["prog.exe".to_owned(), a.to_owned(), b.to_owned()];
            let line = match crate::cmdline::command_line(&argv) {
                Ok(l) => l,
                Err(e) => return HostCheck::judged("cmdline_round_trip", proves, Err(e.to_string())),
            };
            match crate::sys::argv::split(&line) {
                Ok(back) if back == argv => tried += 1,
                Ok(back) => {
                    let e = format!("{argv:?} became {line} and came back as {back:?}");
                    return HostCheck::judged("cmdline_round_trip", proves, Err(e));
                }
                Err(e) => {
                    return HostCheck::judged("cmdline_round_trip", proves, Err(format!("CommandLineToArgvW: {e}")));
                }
            }
        }
    }
    HostCheck::judged("cmdline_round_trip", proves, Ok(format!("{tried} argument vectors round-tripped")))
}

fn limits_stored() -> Result<String, String> {
    let flags = LIMIT_KILL_ON_JOB_CLOSE | LIMIT_JOB_MEMORY | LIMIT_ACTIVE_PROCESS;
    let limits = JobLimits { flags, job_memory: 64 << 20, active_processes: 4, cpu_rate: None };
    let job = Job::create(None, &limits).map_err(|e| format!("CreateJobObjectW: {e}"))?;
    let (f, mem, procs) = job.stored_limits().map_err(|e| format!("QueryInformationJobObject: {e}"))?;
    if f & flags == flags && mem == 64 << 20 && procs == 4 {
        Ok("64 MiB job memory and 4 active processes stored".into())
    } else {
        Err(format!("stored flags {f:#x}, memory {mem}, processes {procs}"))
    }
}

fn appcontainer_sid() -> Result<String, String> {
    let name = format!("cove.selftest.{}", std::process::id());
    let profile = Profile::create(&name).map_err(|e| format!("CreateAppContainerProfile: {e}"))?;
    let sid = profile.sid().map_err(|e| format!("ConvertSidToStringSidW: {e}"))?;
    let ours = crate::appcontainer::derive_sid(&name).to_string();
    let _token = Token::new(&profile, &[crate::appcontainer::INTERNET_CLIENT.sid]).map_err(|e| e.to_string())?;
    if sid == ours { Ok(format!("{name} is {sid}")) } else { Err(format!("Windows says {sid}, cove derived {ours}")) }
}
