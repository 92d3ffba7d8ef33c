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
        // What a later `cove stop` does: open the container's job by name
        // (another process than the monitor) and end it.
        Ok("stop-job") => {
            let name = std::env::var("COVE_JOB").unwrap_or_default();
            let ok = Job::open(&name).and_then(|j| j.terminate(crate::process::signal_exit_code(9))).is_ok();
            std::process::exit(if ok { 0 } else { 1 });
        }
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

/// The stored-container path: a named job holding a process is opened by
/// name from ANOTHER process (what `cove stop`/`kill` run as), which ends
/// it with 128+9; before that, the opened handle reads the job's
/// accounting (what `cove stats` does).
#[test]
fn a_named_job_is_opened_by_name_from_another_process_and_ended() {
    let name = format!(r"Local\cove-test-stop-{}", std::process::id());
    let limits = JobLimits { flags: LIMIT_KILL_ON_JOB_CLOSE, job_memory: 0, active_processes: 0, cpu_rate: None };
    let job = Job::create(Some(&name), &limits).unwrap();
    let sleeper = helper("sleep", &[]);
    job.assign(&sleeper.process).unwrap();
    resume(&sleeper.thread).unwrap();
    let opened = Job::open(&name).unwrap();
    assert_eq!(opened.process_ids().unwrap(), vec![sleeper.pid], "the job lists its process");
    match crate::stored::counters(&opened) {
        Ok(c) => assert_eq!(c.active_processes, 1, "{c:?}"),
        Err(e) => eprintln!("*** SKIP(job I/O accounting): {e} (Wine) ***"),
    }
    assert!(super::host::start_time(sleeper.pid).is_some(), "a live process has a creation time");
    let stopper = helper("stop-job", &[("COVE_JOB", &name)]);
    resume(&stopper.thread).unwrap();
    assert_eq!(wait(&stopper.process, Some(20_000)).unwrap(), Some(0), "the other process opened and ended the job");
    assert_eq!(wait(&sleeper.process, Some(5_000)).unwrap(), Some(137), "ended with 128+SIGKILL");
    assert!(super::host::start_time(sleeper.pid).is_none(), "an ended process is not live");
}

/// The monitor's pipes: what a child writes to the inherited write end
/// reaches the reader, which sees end-of-file once every write end closes.
#[test]
fn the_monitor_pipes_carry_output_to_end_of_file() {
    use std::io::{Read, Write};
    let (r, w) = super::host::pipe().unwrap();
    let writer = std::thread::spawn(move || {
        let mut f = std::fs::File::from(w);
        f.write_all(b"hello").unwrap();
    });
    let mut got = Vec::new();
    std::fs::File::from(r).read_to_end(&mut got).unwrap();
    writer.join().unwrap();
    assert_eq!(got, b"hello");
    assert!(super::host::physical_memory() > 0);
}
