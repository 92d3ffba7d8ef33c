//! The spawn on this OS with a stand-in `sandbox-exec` that records the
//! profile and runs the command as the real one would (no sandboxing).

use super::*;
use crate::probe::capabilities;
use cove_core::plan::HostIdentity;
use cove_core::spec::{MountSpec, RunSpec};
use std::sync::mpsc;
use std::time::Duration;

struct Scratch(PathBuf);

impl Scratch {
    fn new(tag: &str) -> Scratch {
        let p = std::env::temp_dir().join(format!("cove-macos-test-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        Scratch(p)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A stand-in that checks its arguments, saves the profile, then execs.
fn stand_in(dir: &Path) -> PathBuf {
    let script = dir.join("sandbox-exec");
    let body = format!(
        "#!/bin/sh\n[ \"$1\" = -p ] || exit 90\nprintf '%s' \"$2\" > '{}/profile.sb'\nshift 2\n[ \"$1\" = -- ] || exit 91\nshift\nexec \"$@\"\n",
        dir.display()
    );
    std::fs::write(&script, body).unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    script
}

fn spec(args: &[&str], out: &Path) -> RunSpec {
    let mut s = RunSpec::zero_setup(args);
    s.process.env.push(("OUT".into(), "/out".into()));
    s.process.cwd = "/out".into();
    s.mounts = vec![MountSpec::Bind { source: out.to_owned(), destination: "/out".into(), read_only: false }];
    s
}

fn caps() -> Capabilities {
    capabilities(&HostFacts { os_version: "test".into(), sandbox_exec: Ok("stand-in".into()) })
}

/// Runs the plan on another thread and gives up (failing) after 20 s.
fn run_within(s: &RunSpec, sx: &Path) -> Result<RunOutcome, SpawnError> {
    let plan = Plan::build(s, HostIdentity { uid: 1, gid: 1, subids: None }).unwrap();
    let (tx, rx) = mpsc::channel();
    let sx = sx.to_owned();
    std::thread::spawn(move || tx.send(run(&plan, &caps(), &sx, None)));
    rx.recv_timeout(Duration::from_secs(20)).expect("the run ended within 20 s")
}

#[test]
fn runs_the_command_with_the_plans_environment_cwd_and_exit_code() {
    let s = Scratch::new("run");
    let sx = stand_in(&s.0);
    let script = "env > env.txt; pwd > pwd.txt; exit 3";
    let outcome = run_within(&spec(&["sh", "-c", script], &s.0), &sx).unwrap();
    assert_eq!(outcome, RunOutcome::Exited(ExitStatus::Exited(3)));
    let env = std::fs::read_to_string(s.0.join("env.txt")).unwrap();
    assert!(env.contains("OUT=/out") && env.contains("PATH=/usr/local/sbin"), "{env}");
    let home = env.lines().find_map(|l| l.strip_prefix("HOME=")).unwrap();
    assert!(home.contains("/cove-") && home.ends_with("/root"), "HOME in the container dir: {home}");
    assert!(!env.contains("CARGO"), "nothing from the caller's environment: {env}");
    let pwd = std::fs::read_to_string(s.0.join("pwd.txt")).unwrap();
    assert_eq!(pwd.trim(), std::fs::canonicalize(&s.0).unwrap().display().to_string(), "-w in a volume");
    let profile = std::fs::read_to_string(s.0.join("profile.sb")).unwrap();
    assert!(profile.starts_with("(version 1)\n(deny default)\n"), "{profile}");
    assert!(!Path::new(home).exists(), "the container dir is removed after the run");
}

#[test]
fn missing_programs_are_127_and_signals_128_plus_n() {
    let s = Scratch::new("exec");
    let sx = stand_in(&s.0);
    let nf = run_within(&spec(&["no-such-program-cove"], &s.0), &sx).unwrap();
    assert_eq!(nf.exit_code(), 127);
    std::fs::write(s.0.join("plain"), "x").unwrap();
    let ne = run_within(&spec(&["./plain"], &s.0), &sx).unwrap();
    assert_eq!(ne.exit_code(), 126);
    let killed = run_within(&spec(&["sh", "-c", "kill -TERM $$"], &s.0), &sx).unwrap();
    assert_eq!(killed.exit_code(), 143);
}

#[test]
fn unenforceable_limits_are_refused_before_anything_runs() {
    let s = Scratch::new("limits");
    let sx = stand_in(&s.0);
    let mut sp = spec(&["sh", "-c", "touch ran"], &s.0);
    sp.limits.memory = Some(64 << 20);
    let err = run_within(&sp, &sx).unwrap_err().to_string();
    assert!(err.starts_with("--memory is not supported by the macos backend: macOS enforces neither"), "{err}");
    assert!(!s.0.join("ran").exists() && !s.0.join("profile.sb").exists(), "nothing was started");
}

/// Records what a monitor would (the pid of the command).
struct Observed(mpsc::Sender<i32>);

impl RunObserver for Observed {
    fn started(&mut self, pid: i32, cgroups: &[PathBuf]) {
        assert!(cgroups.is_empty());
        let _ = self.0.send(pid);
    }
}

/// A stored container's run: the observer hears the command's pid, which
/// leads its own process group, and a signal to it (what `cove stop`
/// sends) ends the command and what it started, so the run ends 143.
#[test]
fn a_stored_run_leads_its_own_group_and_stops_as_a_whole() {
    let s = Scratch::new("group");
    let sx = stand_in(&s.0);
    let script = "sleep 30 & echo $! > child.txt; wait";
    let plan = Plan::build(&spec(&["sh", "-c", script], &s.0), HostIdentity { uid: 1, gid: 1, subids: None }).unwrap();
    let (pid_tx, pid_rx) = mpsc::channel();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut obs = Observed(pid_tx);
        tx.send(run(&plan, &caps(), &sx, Some(&mut obs)))
    });
    let pid = pid_rx.recv_timeout(Duration::from_secs(20)).expect("started within 20 s");
    let leader = rustix::process::Pid::from_raw(pid).unwrap();
    assert_eq!(rustix::process::getpgid(Some(leader)).unwrap(), leader, "the command leads its own group");
    assert_ne!(rustix::process::getpgid(None).unwrap(), leader, "not cove's group");
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let child: i32 = loop {
        if let Some(p) = std::fs::read_to_string(s.0.join("child.txt")).ok().and_then(|t| t.trim().parse().ok()) {
            break p;
        }
        assert!(std::time::Instant::now() < deadline, "the command started its child within 10 s");
        std::thread::sleep(Duration::from_millis(10));
    };
    crate::process::signal(pid, libc::SIGTERM).unwrap();
    let outcome = rx.recv_timeout(Duration::from_secs(20)).expect("the run ended within 20 s").unwrap();
    assert_eq!(outcome.exit_code(), 143);
    let child = rustix::process::Pid::from_raw(child).unwrap();
    let gone = || rustix::process::test_kill_process(child).is_err();
    while !gone() && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(gone(), "the command's child was stopped with it");
}
