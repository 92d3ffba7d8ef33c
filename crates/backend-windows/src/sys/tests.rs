//! The Win32 wrappers for real (run under Wine in CI). The helper "test"
//! below is this test binary started again as a child: it does what
//! `COVE_HELPER` in its (replaced) environment says.

use super::job::Job;
use super::process::{Request, Suspended, create_suspended, resume, wait};
use crate::job::{JobLimits, LIMIT_KILL_ON_JOB_CLOSE};
use std::os::windows::io::OwnedHandle;

#[test]
#[ignore = "a helper process for the other tests, not a test"]
fn helper_child() {
    match std::env::var("COVE_HELPER").as_deref() {
        Ok("sleep") => std::thread::sleep(std::time::Duration::from_secs(30)),
        Ok("exit3") => std::process::exit(3),
        Ok("env") => {
            let ok = std::env::var("FOO").as_deref() == Ok("bar") && std::env::var_os("USERNAME").is_none();
            std::process::exit(if ok { 0 } else { 1 });
        }
        _ => {}
    }
}

fn nul() -> OwnedHandle {
    std::fs::OpenOptions::new().read(true).write(true).open("NUL").map(OwnedHandle::from).unwrap()
}

/// Starts this binary as the helper, suspended, with only `env`.
fn helper(mode: &str, env: &[(&str, &str)]) -> Suspended {
    let exe = std::env::current_exe().unwrap().display().to_string();
    let argv: Vec<String> =
        [exe.as_str(), "sys::tests::helper_child", "--exact", "--ignored", "--quiet"].map(String::from).to_vec();
    let line = crate::cmdline::command_line(&argv).unwrap();
    let mut vars = vec![("COVE_HELPER".to_owned(), mode.to_owned())];
    vars.extend(env.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    let block = crate::envblock::block(&vars).unwrap();
    let cwd = std::env::temp_dir().display().to_string();
    let (a, b, c) = (nul(), nul(), nul());
    let req = Request { application: &exe, command_line: &line, env_block: &block, cwd: &cwd, stdio: [&a, &b, &c] };
    create_suspended(&req, None).unwrap()
}

fn kill_on_close() -> Job {
    let limits = JobLimits { flags: LIMIT_KILL_ON_JOB_CLOSE, job_memory: 0, active_processes: 0, cpu_rate: None };
    Job::create(None, &limits).unwrap()
}

#[test]
fn exit_codes_and_the_environment_block_reach_cove() {
    let job = kill_on_close();
    let child = helper("exit3", &[]);
    job.assign(&child.process).unwrap();
    resume(&child.thread).unwrap();
    assert_eq!(wait(&child.process, Some(20_000)).unwrap(), Some(3));
    let env = helper("env", &[("FOO", "bar")]);
    resume(&env.thread).unwrap();
    assert_eq!(wait(&env.process, Some(20_000)).unwrap(), Some(0), "FOO=bar set, USERNAME not inherited");
}

#[test]
fn closing_the_job_kills_its_processes() {
    let job = kill_on_close();
    let child = helper("sleep", &[]);
    job.assign(&child.process).unwrap();
    resume(&child.thread).unwrap();
    assert_eq!(wait(&child.process, Some(300)).unwrap(), None, "still sleeping");
    assert_eq!(job.accounting().unwrap().active_processes, 1);
    drop(job);
    assert!(wait(&child.process, Some(5_000)).unwrap().is_some(), "killed when the job closed");
}

#[test]
fn named_jobs_are_never_joined() {
    let name = format!(r"Local\cove-test-{}", std::process::id());
    let limits = JobLimits { flags: LIMIT_KILL_ON_JOB_CLOSE, job_memory: 0, active_processes: 0, cpu_rate: None };
    let first = Job::create(Some(&name), &limits).unwrap();
    let again = Job::create(Some(&name), &limits).unwrap_err();
    assert_eq!(again.raw_os_error(), Some(183), "ERROR_ALREADY_EXISTS");
    drop(first);
}

#[test]
fn quoting_matches_the_real_command_line_to_argv() {
    let words = crate::cmdline::tests::all_strings(&['a', ' ', '\t', '\\', '"'], 4);
    for w in &words {
        let argv = vec!["prog.exe".to_owned(), w.clone(), "z\\".to_owned()];
        let line = crate::cmdline::command_line(&argv).unwrap();
        assert_eq!(super::argv::split(&line).unwrap(), argv, "{w:?} as {line}");
    }
    for p in [r"C:\Program Files\x.exe", r"C:\a\b.exe"] {
        let argv = vec![p.to_owned(), "1".to_owned()];
        assert_eq!(super::argv::split(&crate::cmdline::command_line(&argv).unwrap()).unwrap(), argv);
    }
}

#[test]
fn wine_is_detected_when_present() {
    match super::wine::version() {
        Some(v) => eprintln!("*** SKIP(appcontainer, job limits): running under Wine {v}, which stubs them ***"),
        None => {
            let sid = super::appcontainer::derive_sid("cove.test").unwrap();
            assert_eq!(sid, crate::appcontainer::derive_sid("cove.test").to_string());
        }
    }
}
