//! `--network slirp4netns|pasta`: the external helper serves the
//! container's network namespace with the same address plan as the
//! built-in stack (10.0.2.100/24, gateway 10.0.2.2, DNS 10.0.2.3, MTU
//! 65520), so the generated name files hold for all three.
//!
//! Started by `Network::enter` after the id maps are written and before the
//! container is let go, so its command finds the network up. Every wait is
//! bounded ([`READY_WITHIN`]); a helper that does not come up is an error
//! naming it. Killed (and reaped when it is cove's child) when the network
//! is dropped; a SIGKILLed cove takes slirp4netns with it (its `--exit-fd`
//! reaches EOF), and pasta quits when the container's namespace goes.

use crate::SpawnError;
use cove_core::net::{MTU, NetHelper, PortSpec, Protocol};
use rustix::event::{PollFd, PollFlags, Timespec, poll};
use rustix::process::{PidfdFlags, Signal, pidfd_open, pidfd_send_signal};
use std::io::{self, Read, Write};
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::fs::DirBuilderExt;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long the helper may take to configure the namespace.
const READY_WITHIN: Duration = Duration::from_secs(10);

/// A running helper; dropping it ends it.
pub struct Helper {
    /// slirp4netns stays cove's child; pasta daemonizes (its pidfd).
    child: Option<Child>,
    pidfd: Option<OwnedFd>,
    /// slirp4netns's exit fd (its EOF ends it) and API socket dir.
    _exit: Option<OwnedFd>,
    dir: Option<std::path::PathBuf>,
    /// pasta's watchdog (it is not cove's child).
    watchdog: Option<super::watchdog::Watchdog>,
}

/// Checks before anything starts: the helper is installed and usable by
/// this caller.
pub fn check(helper: NetHelper) -> Result<(), SpawnError> {
    let name = helper.program();
    if find(name).is_none() {
        return Err(error(
            helper,
            "find the helper in PATH".into(),
            io::ErrorKind::NotFound.into(),
            format!(
                "\nhint: install it (Debian: apt-get install {}), or use --network bridge (built in, nothing to install)",
                package(helper)
            ),
        ));
    }
    if helper == NetHelper::Pasta && rustix::process::geteuid().is_root() {
        let why = io::Error::new(io::ErrorKind::PermissionDenied, "pasta does not run as root");
        let hint = "\nhint: pasta (passt) isolates itself in a new user namespace when started as root and \
                    cannot then join the container's; run cove as a regular user, or use --network bridge|slirp4netns";
        return Err(error(helper, "start pasta".into(), why, hint.into()));
    }
    Ok(())
}

fn package(helper: NetHelper) -> &'static str {
    match helper {
        NetHelper::Slirp4netns => "slirp4netns",
        NetHelper::Pasta => "passt",
    }
}

fn find(name: &str) -> Option<std::path::PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_else(|| "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin".into());
    std::env::split_paths(&path).map(|d| d.join(name)).find(|p| p.is_file())
}

fn error(helper: NetHelper, what: String, source: io::Error, hint: String) -> SpawnError {
    SpawnError::Network { what: format!("--network {}: {what}", helper.program()), hint, source }
}

impl Helper {
    /// Starts `helper` on the namespaces of `pid` with `spec`'s ports
    /// (already checked free; cove's own listeners were closed just before).
    /// The caller must be single-threaded (descriptors are handed down by
    /// clearing close-on-exec).
    pub fn start(helper: NetHelper, pid: i32, host_loopback: bool, ports: &[PortSpec]) -> Result<Helper, SpawnError> {
        match helper {
            NetHelper::Slirp4netns => slirp4netns(pid, host_loopback, ports),
            NetHelper::Pasta => pasta(pid, host_loopback, ports),
        }
    }
}

impl Drop for Helper {
    fn drop(&mut self) {
        if let Some(fd) = &self.pidfd {
            let _ = pidfd_send_signal(fd, Signal::KILL);
        }
        drop(self.watchdog.take());
        if let Some(c) = &mut self.child {
            let _ = c.kill();
            let _ = c.wait();
        }
        if let Some(d) = &self.dir {
            let _ = std::fs::remove_dir_all(d);
        }
    }
}

/// A pipe whose write end (or read end, `inherit_read`) the helper inherits.
fn pipe_for_child(inherit_read: bool) -> io::Result<(OwnedFd, OwnedFd)> {
    let (r, w) = rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC)?;
    let theirs = if inherit_read { &r } else { &w };
    rustix::io::fcntl_setfd(theirs, rustix::io::FdFlags::empty())?;
    Ok((r, w))
}

fn slirp4netns(pid: i32, host_loopback: bool, ports: &[PortSpec]) -> Result<Helper, SpawnError> {
    let h = NetHelper::Slirp4netns;
    let fail = |what: &'static str| move |e: io::Error| error(h, what.into(), e, String::new());
    let (ready_r, ready_w) = pipe_for_child(false).map_err(fail("create pipe"))?;
    let (exit_r, exit_w) = pipe_for_child(true).map_err(fail("create pipe"))?;
    let dir = tempdir().map_err(fail("create API socket dir"))?;
    let api = dir.join("api.sock");
    let mut cmd = Command::new("slirp4netns");
    cmd.args(["--configure", &format!("--mtu={MTU}")]);
    cmd.arg(format!("--ready-fd={}", ready_w.as_raw_fd())).arg(format!("--exit-fd={}", exit_r.as_raw_fd()));
    if !host_loopback {
        cmd.arg("--disable-host-loopback");
    }
    cmd.arg(format!("--api-socket={}", api.display())).args([pid.to_string(), "eth0".into()]);
    quiet(&mut cmd, &dir).map_err(fail("create log file"))?;
    let child = cmd.spawn().map_err(fail("run slirp4netns"));
    // ORDER: cove's copies of the helper's ends go right away: the ready
    // pipe must reach EOF if slirp4netns dies, the exit pipe only when cove does.
    drop((ready_w, exit_r));
    let mut helper =
        Helper { child: Some(child?), pidfd: None, _exit: Some(exit_w), dir: Some(dir.clone()), watchdog: None };
    // The watchdog removes the API socket's dir when cove is killed (the
    // exit fd already ends slirp4netns then).
    let id = helper.child.as_ref().map(|c| c.id() as i32).and_then(rustix::process::Pid::from_raw);
    let pidfd =
        id.map(|p| pidfd_open(p, PidfdFlags::empty())).transpose().map_err(|e| fail("open its pidfd")(e.into()))?;
    if let Some(fd) = &pidfd {
        helper.watchdog = Some(super::watchdog::Watchdog::start(fd, dir).map_err(fail("start its watchdog"))?);
    }
    let deadline = Instant::now() + READY_WITHIN;
    if !wait_readable(&ready_r, deadline) || rustix::io::read(&ready_r, &mut [0u8; 1]).ok() != Some(1) {
        return Err(error(
            h,
            format!("configure the network of {pid}"),
            io::ErrorKind::TimedOut.into(),
            stderr_of(&mut helper),
        ));
    }
    for p in ports {
        add_hostfwd(&api, p, deadline)
            .map_err(|e| error(h, format!("publish {}:{}/{}", p.host_ip, p.host_port, p.protocol), e, String::new()))?;
    }
    Ok(helper)
}

/// The helper's stdio: nothing in, its messages to a file in `dir` (never
/// cove's own stderr, which a reader waiting for its end would then wait
/// on for as long as the helper lives).
fn quiet(cmd: &mut Command, dir: &std::path::Path) -> io::Result<()> {
    let log = std::fs::File::create(dir.join("stderr"))?;
    cmd.stdin(Stdio::null()).stdout(Stdio::null()).stderr(log);
    Ok(())
}

/// What a failed helper said, as a hint.
fn stderr_of(helper: &mut Helper) -> String {
    if let Some(c) = &mut helper.child {
        let _ = c.kill();
        let _ = c.wait();
    }
    let Some(dir) = &helper.dir else { return String::new() };
    let text = std::fs::read_to_string(dir.join("stderr")).unwrap_or_default();
    let text = text.lines().filter(|l| !l.contains("syslog")).collect::<Vec<_>>().join("\n");
    let text = text.trim();
    if text.is_empty() { String::new() } else { format!("\nhelper said: {text}") }
}

fn add_hostfwd(api: &std::path::Path, p: &PortSpec, deadline: Instant) -> io::Result<()> {
    let mut s = std::os::unix::net::UnixStream::connect(api)?;
    let left = deadline.saturating_duration_since(Instant::now()).max(Duration::from_millis(100));
    s.set_read_timeout(Some(left))?;
    s.set_write_timeout(Some(left))?;
    let req = serde_json::json!({"execute": "add_hostfwd", "arguments": {
        "proto": p.protocol.to_string(), "host_addr": p.host_ip.to_string(),
        "host_port": p.host_port, "guest_port": p.container_port}});
    s.write_all(req.to_string().as_bytes())?;
    s.shutdown(std::net::Shutdown::Write)?;
    let mut reply = String::new();
    s.read_to_string(&mut reply)?;
    if reply.contains("\"error\"") || reply.is_empty() {
        return Err(io::Error::other(format!("slirp4netns answered {}", reply.trim())));
    }
    Ok(())
}

fn pasta(pid: i32, host_loopback: bool, ports: &[PortSpec]) -> Result<Helper, SpawnError> {
    let h = NetHelper::Pasta;
    let fail = |what: &'static str| move |e: io::Error| error(h, what.into(), e, String::new());
    let dir = tempdir().map_err(fail("create pid file dir"))?;
    let pidfile = dir.join("pasta.pid");
    let mut cmd = Command::new("pasta");
    cmd.args(["--config-net", "-q", "-I", "eth0", "-a", "10.0.2.100", "-n", "24", "-g", "10.0.2.2"]);
    cmd.args(["--dns-forward", "10.0.2.3", "-m", &MTU.to_string(), "-P"]).arg(&pidfile);
    if !host_loopback {
        cmd.arg("--no-map-gw");
    }
    for (flag, proto) in [("-t", Protocol::Tcp), ("-u", Protocol::Udp)] {
        let specs: Vec<String> = ports
            .iter()
            .filter(|p| p.protocol == proto)
            .map(|p| format!("{}/{}:{}", p.host_ip, p.host_port, p.container_port))
            .collect();
        cmd.arg(flag).arg(if specs.is_empty() { "none".into() } else { specs.join(",") });
    }
    cmd.args(["-T", "none", "-U", "none"]).arg(pid.to_string());
    quiet(&mut cmd, &dir).map_err(fail("create log file"))?;
    // pasta configures the namespace, then forks to the background: its
    // first process exits 0 when the network is up.
    let mut first = cmd.spawn().map_err(fail("run pasta"))?;
    let mut helper = Helper { child: None, pidfd: None, _exit: None, dir: Some(dir.clone()), watchdog: None };
    let deadline = Instant::now() + READY_WITHIN;
    let status = loop {
        match first.try_wait() {
            Ok(Some(s)) => break Some(s),
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(10)),
            _ => break None,
        }
    };
    let ok = status.is_some_and(|s| s.success());
    let daemon = std::fs::read_to_string(&pidfile).ok().and_then(|t| t.trim().parse::<i32>().ok());
    // Pinned while it is known to run (it lives as long as the namespace).
    helper.pidfd =
        daemon.and_then(rustix::process::Pid::from_raw).and_then(|p| pidfd_open(p, PidfdFlags::empty()).ok());
    helper.child = Some(first);
    if !ok || helper.pidfd.is_none() {
        let why = status.map_or("it did not finish in time".to_string(), |s| format!("it exited with {s}"));
        return Err(error(h, format!("configure the network of {pid}"), io::Error::other(why), stderr_of(&mut helper)));
    }
    let pidfd = helper.pidfd.as_ref().expect("checked");
    helper.watchdog = Some(super::watchdog::Watchdog::start(pidfd, dir).map_err(fail("start its watchdog"))?);
    Ok(helper)
}

/// A fresh private directory for the helper's socket or pid file.
fn tempdir() -> io::Result<std::path::PathBuf> {
    let base = std::env::var_os("XDG_RUNTIME_DIR").map(std::path::PathBuf::from).filter(|d| d.is_dir());
    let base = base.unwrap_or_else(std::env::temp_dir);
    for n in 0..100u32 {
        let d = base.join(format!("cove-net-{}-{n}", std::process::id()));
        match std::fs::DirBuilder::new().mode(0o700).create(&d) {
            Ok(()) => return Ok(d),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    Err(io::ErrorKind::AlreadyExists.into())
}

/// Polls `fd` for input until `deadline`.
fn wait_readable(fd: &OwnedFd, deadline: Instant) -> bool {
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return false;
        }
        let ts = Timespec { tv_sec: left.as_secs() as i64, tv_nsec: left.subsec_nanos() as i64 };
        let mut fds = [PollFd::new(fd, PollFlags::IN)];
        match poll(&mut fds, Some(&ts)) {
            Ok(0) => return false,
            Ok(_) => return true,
            Err(rustix::io::Errno::INTR) => continue,
            Err(_) => return false,
        }
    }
}
