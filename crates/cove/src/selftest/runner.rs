//! The host half of `cove test`: a private scratch directory holding a copy
//! of cove that the probes run as, and one real `cove run` per probe.
//!
//! The probe binary is a copy, not cove itself, so that no container ever
//! holds a mount of the binary the host runs (the `exe` check looks for
//! exactly that kind of handle).

use super::wire::ProbeReport;
use anyhow::Context;
use cove_backend_linux::selftest as sys;
use std::os::fd::OwnedFd;
use std::os::unix::fs::DirBuilderExt;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// Where the probe binary appears inside every check's container.
pub const PROBE_PATH: &str = "/.cove/cove";

/// How long one probe may take before it counts as hung.
const TIMEOUT: Duration = Duration::from_secs(10);

pub use crate::selftest_report::Flags;

impl Flags {
    /// Whether `--cap-add` grants `cap` (by name or `ALL`) and `--cap-drop`
    /// does not name it (Docker's rule: a named drop wins; `--cap-drop ALL`
    /// only empties the default set).
    pub fn grants(&self, cap: &str) -> bool {
        let names = |list: &[String], all: bool| {
            list.iter().any(|c| {
                let c = c.trim().to_ascii_uppercase();
                (all && c == "ALL") || c.trim_start_matches("CAP_") == cap.trim_start_matches("CAP_")
            })
        };
        names(&self.cap_add, true) && !names(&self.cap_drop, false)
    }

    /// The flags as `cove run` arguments (without `-u`).
    fn security_args(&self) -> Vec<String> {
        let pairs =
            [("--cap-add", &self.cap_add), ("--cap-drop", &self.cap_drop), ("--security-opt", &self.security_opt)];
        pairs.iter().flat_map(|(flag, values)| values.iter().flat_map(move |v| [flag.to_string(), v.clone()])).collect()
    }

    /// Every flag, for the report.
    pub fn describe(&self) -> Vec<String> {
        let mut v = self.security_args();
        if let Some(u) = &self.user {
            v.extend(["-u".to_owned(), u.clone()]);
        }
        v
    }
}

/// A private directory, removed with everything in it when dropped.
pub struct Scratch(PathBuf);

impl Scratch {
    fn create() -> anyhow::Result<Scratch> {
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
        let path = std::env::temp_dir().join(format!("cove-selftest-{}-{nanos:08x}", std::process::id()));
        std::fs::DirBuilder::new().mode(0o700).create(&path).with_context(|| format!("create {}", path.display()))?;
        Ok(Scratch(path))
    }

    /// A path inside.
    pub fn join(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// What every check needs from the host side.
pub struct Env {
    /// The cove binary under test (this process's own executable).
    pub cove: PathBuf,
    /// The private scratch directory.
    pub scratch: Scratch,
    /// The copy of cove the probes run as.
    pub probe_bin: PathBuf,
    /// The caller's security flags.
    pub flags: Flags,
    /// `--weaken`: every check gets a deliberate way out.
    pub weaken: bool,
}

/// One probe to run: in a container made with the caller's flags plus the
/// check's own, or (weakened) directly on the host.
#[derive(Default)]
pub struct ProbeRun {
    probe: String,
    args: Vec<String>,
    run_flags: Vec<String>,
    user: Option<String>,
    tty: Option<OwnedFd>,
    inherit: Option<OwnedFd>,
    on_host: bool,
}

impl ProbeRun {
    /// `cove __probe PROBE ARGS…`.
    pub fn new<S: ToString>(probe: &str, args: impl IntoIterator<Item = S>) -> ProbeRun {
        ProbeRun {
            probe: probe.to_owned(),
            args: args.into_iter().map(|a| a.to_string()).collect(),
            ..Default::default()
        }
    }

    /// Adds `cove run` flags the check needs.
    pub fn flags<S: ToString>(mut self, flags: impl IntoIterator<Item = S>) -> ProbeRun {
        self.run_flags.extend(flags.into_iter().map(|f| f.to_string()));
        self
    }

    /// Runs the container as `user`, whatever the caller's `-u`.
    pub fn user(mut self, user: &str) -> ProbeRun {
        self.user = Some(user.to_owned());
        self
    }

    /// Makes the terminal `slave` cove's stdin and controlling terminal
    /// (and the container's stdin, with `-i`).
    pub fn tty(mut self, slave: OwnedFd) -> ProbeRun {
        self.tty = Some(slave);
        self
    }

    /// Lets cove inherit `fd` (it must not be close-on-exec).
    pub fn inherit(mut self, fd: OwnedFd) -> ProbeRun {
        self.inherit = Some(fd);
        self
    }

    /// Runs the probe on the host instead of in a container.
    pub fn on_host(mut self, yes: bool) -> ProbeRun {
        self.on_host = yes;
        self
    }
}

/// How a probe run ended.
pub struct Ran {
    /// The probe's report, when it printed one.
    pub report: Option<ProbeReport>,
    /// The exit code of `cove run` (or of the probe, on the host).
    pub code: Option<i32>,
    /// What it wrote to stderr.
    pub stderr: String,
    /// The host pid of `cove run` (or of the probe, on the host).
    pub pid: u32,
}

impl Ran {
    /// The first line of stderr, for evidence.
    pub fn first_error(&self) -> &str {
        self.stderr.lines().find(|l| !l.trim().is_empty()).unwrap_or("")
    }
}

impl Env {
    /// Makes the scratch directory and the probe binary.
    pub fn new(flags: Flags, weaken: bool) -> anyhow::Result<Env> {
        let cove = std::env::current_exe().context("find cove's own executable")?;
        let scratch = Scratch::create()?;
        let probe_bin = scratch.join("cove");
        std::fs::copy(&cove, &probe_bin)
            .with_context(|| format!("copy {} to {}", cove.display(), probe_bin.display()))?;
        Ok(Env { cove, scratch, probe_bin, flags, weaken })
    }

    /// Runs `p` to the end (killing it after a timeout). An error means
    /// cove could not be started at all.
    pub fn run(&self, p: ProbeRun) -> anyhow::Result<Ran> {
        let mut cmd = if p.on_host { self.host_command(&p) } else { self.container_command(&p) };
        cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
        match p.tty {
            Some(slave) => {
                cmd.stdin(Stdio::from(slave));
                sys::controlling_terminal_on_stdin(&mut cmd);
            }
            None => {
                cmd.stdin(Stdio::null());
            }
        }
        let child = cmd.spawn().with_context(|| format!("start {}", cmd.get_program().to_string_lossy()))?;
        // The inherited descriptor is cove's now; ours closes here.
        drop(p.inherit);
        drop(cmd);
        let pid = child.id();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let _ = tx.send(child.wait_with_output());
        });
        let out = match rx.recv_timeout(TIMEOUT) {
            Ok(out) => out,
            Err(_) => {
                let _ = sys::kill(pid as i32, sys::SIGKILL);
                let stderr = format!("cove did not end within {TIMEOUT:?} and was killed");
                return Ok(Ran { report: None, code: None, stderr, pid });
            }
        };
        let out = out.context("wait for cove")?;
        let stdout = String::from_utf8_lossy(&out.stdout);
        let report = stdout.lines().rev().find(|l| l.starts_with('{')).and_then(|l| serde_json::from_str(l).ok());
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        Ok(Ran { report, code: out.status.code(), stderr, pid })
    }

    /// `cove run --rm FLAGS -v PROBE:/.cove/cove:ro -- /.cove/cove __probe …`.
    fn container_command(&self, p: &ProbeRun) -> Command {
        let mut cmd = Command::new(&self.cove);
        // --rm: each probe is a stored container (Docker's way); none stays.
        cmd.args(["run", "--rm"]).args(self.flags.security_args());
        if let Some(user) = p.user.as_ref().or(self.flags.user.as_ref()) {
            cmd.args(["-u", user]);
        }
        cmd.args(&p.run_flags);
        cmd.arg("-v").arg(format!("{}:{PROBE_PATH}:ro", self.probe_bin.display()));
        if p.tty.is_some() {
            cmd.arg("-i");
        }
        cmd.args(["--", PROBE_PATH, "__probe", &p.probe]).args(&p.args);
        cmd
    }

    /// The probe binary run directly, unsandboxed.
    fn host_command(&self, p: &ProbeRun) -> Command {
        let mut cmd = Command::new(&self.probe_bin);
        cmd.arg("__probe").arg(&p.probe).args(&p.args);
        cmd
    }

    /// A host process for the `proc` checks to look for and signal.
    pub fn sleeper(&self) -> anyhow::Result<Sleeper> {
        let child = Command::new(&self.probe_bin)
            .args(["__probe", "sleep"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("start the sleeper")?;
        Ok(Sleeper(child))
    }
}

/// A sleeping host process, killed when dropped.
pub struct Sleeper(std::process::Child);

impl Sleeper {
    /// Its host pid.
    pub fn pid(&self) -> u32 {
        self.0.id()
    }

    /// Whether it is still running.
    pub fn alive(&mut self) -> bool {
        matches!(self.0.try_wait(), Ok(None))
    }
}

impl Drop for Sleeper {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn granted_capabilities() {
        let flags = |add: &[&str], drop: &[&str]| Flags {
            cap_add: add.iter().map(|s| s.to_string()).collect(),
            cap_drop: drop.iter().map(|s| s.to_string()).collect(),
            ..Flags::default()
        };
        assert!(flags(&["net_raw"], &[]).grants("NET_RAW"));
        assert!(flags(&["ALL"], &["SYS_ADMIN"]).grants("NET_RAW"));
        assert!(flags(&["CAP_NET_RAW"], &["ALL"]).grants("NET_RAW"));
        assert!(!flags(&["ALL"], &["NET_RAW"]).grants("NET_RAW"));
        assert!(!flags(&[], &[]).grants("NET_RAW"));
    }
}
