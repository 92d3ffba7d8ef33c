//! `cove test` on macOS: real sandboxed processes that try to read a host
//! file, write outside the container and reach a listener on loopback; each
//! must be stopped by the generated profile. Every child has a deadline.

use crate::probe::HostFacts;
use crate::spawn::{ContainerDir, command};
use crate::translate::{Context, translate};
use cove_core::hostcheck::HostCheck;
use cove_core::id::ContainerId;
use cove_core::plan::{HostIdentity, Plan};
use cove_core::spec::{NetworkMode, RunSpec};
use std::path::Path;
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// How long one sandboxed check may take.
const TIMEOUT: Duration = Duration::from_secs(10);

/// Runs `cmd` and waits at most `limit`; a child still running then is killed.
pub fn status_within(mut cmd: Command, limit: Duration) -> std::io::Result<ExitStatus> {
    let mut child = cmd.spawn()?;
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok(status);
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Err(std::io::Error::other(format!("still running after {}s: killed", limit.as_secs())));
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// The zero-setup plan for `args`.
fn plan(args: &[&str], network: NetworkMode) -> Plan {
    let spec = RunSpec { hostname: "cove-test".into(), network, ..RunSpec::zero_setup(args) };
    Plan::build(&spec, HostIdentity { uid: 1, gid: 1, subids: None }).expect("a fixed plan is valid")
}

/// Runs `args` sandboxed; the exit status (or why not), and the container dir.
fn sandboxed(sandbox_exec: &Path, args: &[&str], network: NetworkMode) -> Result<ExitStatus, String> {
    let id = ContainerId::generate().map_err(|e| e.to_string())?;
    let dir = ContainerDir::create(&id).map_err(|e| e.to_string())?;
    let resolve = |p: &str| std::fs::canonicalize(p).ok().map(|r| r.display().to_string());
    let container_dir = resolve(&dir.path().display().to_string()).ok_or("container dir vanished")?;
    let mac = translate(&plan(args, network), &Context { id, container_dir, resolve: &resolve })
        .map_err(|e| e.to_string())?;
    for d in &mac.dirs {
        std::fs::create_dir_all(d).map_err(|e| format!("create {d}: {e}"))?;
    }
    let mut cmd = command(&mac, sandbox_exec, Path::new(args[0]));
    cmd.stdout(Stdio::null()).stderr(Stdio::null());
    status_within(cmd, TIMEOUT).map_err(|e| format!("{}: {e}", sandbox_exec.display()))
}

/// Every check, in order.
pub fn run(sandbox_exec: &Path) -> Vec<HostCheck> {
    let facts: HostFacts = crate::spawn::facts(sandbox_exec);
    let hello = "profile_accepted";
    let proves = "the generated deny-default profile is accepted and a program starts under it";
    if let Err(e) = facts.sandbox_exec {
        return vec![HostCheck::skipped(hello, proves, e)];
    }
    let started = sandboxed(sandbox_exec, &["/usr/bin/true"], NetworkMode::None);
    let mut checks = vec![HostCheck::judged(hello, proves, ok_exit(started))];
    checks.push(host_file_hidden(sandbox_exec));
    checks.push(write_outside_denied(sandbox_exec));
    checks.push(network_denied(sandbox_exec));
    checks
}

fn ok_exit(r: Result<ExitStatus, String>) -> Result<String, String> {
    match r {
        Ok(s) if s.success() => Ok("exit 0".into()),
        Ok(s) => Err(format!("{s}")),
        Err(e) => Err(e),
    }
}

/// Must fail: a sandboxed attempt that succeeded is the evidence of a hole.
fn denied(r: Result<ExitStatus, String>, what: &str) -> Result<String, String> {
    match r {
        Ok(s) if s.success() => Err(format!("{what} succeeded")),
        Ok(s) => Ok(format!("{what} was denied ({s})")),
        Err(e) => Err(e),
    }
}

fn scratch_file(tag: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!("cove-selftest-{tag}-{}", std::process::id()))
}

fn host_file_hidden(sx: &Path) -> HostCheck {
    let secret = scratch_file("secret");
    let outcome =
        std::fs::write(&secret, "secret\n").map_err(|e| format!("write {}: {e}", secret.display())).and_then(|()| {
            denied(
                sandboxed(sx, &["/bin/cat", &secret.display().to_string()], NetworkMode::None),
                "reading a host file",
            )
        });
    let _ = std::fs::remove_file(&secret);
    HostCheck::judged("host_file_hidden", "files outside the container dir and system paths cannot be read", outcome)
}

fn write_outside_denied(sx: &Path) -> HostCheck {
    let target = scratch_file("outside");
    let r = sandboxed(sx, &["/usr/bin/touch", &target.display().to_string()], NetworkMode::None);
    let mut outcome = denied(r, "creating a file outside the container");
    if target.exists() {
        outcome = Err(format!("{} was created", target.display()));
        let _ = std::fs::remove_file(&target);
    }
    HostCheck::judged("write_outside_denied", "nothing outside the container dir and volumes can be written", outcome)
}

fn network_denied(sx: &Path) -> HostCheck {
    let proves = "--network none: no connection, not even to loopback";
    let listener = match std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.set_nonblocking(true).map(|()| l)) {
        Ok(l) => l,
        Err(e) => return HostCheck::skipped("network_denied", proves, format!("no loopback listener: {e}")),
    };
    let port = listener.local_addr().map(|a| a.port().to_string()).unwrap_or_default();
    let r = sandboxed(sx, &["/usr/bin/nc", "-z", "-G", "2", "127.0.0.1", &port], NetworkMode::None);
    let mut outcome = denied(r, "connecting to 127.0.0.1");
    if listener.accept().is_ok() {
        outcome = Err("the listener accepted a connection".into());
    }
    HostCheck::judged("network_denied", proves, outcome)
}
