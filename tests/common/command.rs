//! The cove command builder, and a running cove.

use super::*;
use std::ffi::{OsStr, OsString};
use std::io::{Read, Write};
use std::os::unix::process::ExitStatusExt;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// Where this run's stdin comes from.
#[derive(Clone, Debug)]
enum Input {
    Null,
    Bytes(Arc<Vec<u8>>),
}

/// A cove command line run in a [`Mode`].
#[derive(Clone, Debug)]
pub struct Cove {
    mode: Mode,
    args: Vec<OsString>,
    env: Vec<(OsString, OsString)>,
    input: Input,
    timeout: Duration,
    via: Vec<String>,
}

/// Starts a cove command line in `mode`.
pub fn cove(mode: Mode) -> Cove {
    Cove { mode, args: Vec::new(), env: Vec::new(), input: Input::Null, timeout: DEFAULT_TIMEOUT, via: Vec::new() }
}

/// `cove run [FLAGS…] -- sh -c SCRIPT` in the zero-setup sandbox.
pub fn sh(mode: Mode, flags: &[&str], script: &str) -> Out {
    cove(mode).arg("run").args(flags).args(["--", "sh", "-c", script]).run()
}

/// `cove run --rootfs ROOT [FLAGS…] -- sh -c SCRIPT`.
pub fn sh_in(mode: Mode, root: &Path, flags: &[&str], script: &str) -> Out {
    cove(mode).arg("run").arg("--rootfs").arg(root).args(flags).args(["--", "sh", "-c", script]).run()
}

impl Cove {
    /// Adds an argument.
    pub fn arg(mut self, a: impl AsRef<OsStr>) -> Self {
        self.args.push(a.as_ref().to_owned());
        self
    }

    /// Adds arguments.
    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.args.extend(args.into_iter().map(|a| a.as_ref().to_owned()));
        self
    }

    /// Sets a variable in cove's own environment.
    pub fn env(mut self, k: &str, v: &str) -> Self {
        self.env.push((k.into(), v.into()));
        self
    }

    /// Feeds these bytes to cove's stdin, then closes it (default: /dev/null).
    pub fn stdin(mut self, bytes: impl Into<Vec<u8>>) -> Self {
        self.input = Input::Bytes(Arc::new(bytes.into()));
        self
    }

    /// Sets the time limit.
    pub fn timeout(mut self, t: Duration) -> Self {
        self.timeout = t;
        self
    }

    /// The mode.
    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// The command line as shown in messages: `[rootless] cove run …`.
    pub fn describe(&self) -> String {
        let args: Vec<String> = self.args.iter().map(|a| shell_quote(&a.to_string_lossy())).collect();
        format!("[{}] cove {}", self.mode.label(), args.join(" "))
    }

    /// The process to start: the binary, wrapped in `setpriv` for rootless
    /// runs as root, with the marker variable and the user's own variables.
    pub fn command(&self) -> Command {
        let mut cmd = match (self.mode, is_root()) {
            (Mode::Rootless, true) => {
                let user = test_user().expect("rootless mode without covetest");
                let mut c = Command::new("setpriv");
                c.args(["--reuid", TEST_USER, "--regid", TEST_USER, "--init-groups", "--", BIN]);
                c.env("HOME", &user.home).env("USER", TEST_USER).env("LOGNAME", TEST_USER);
                c.env_remove("XDG_RUNTIME_DIR");
                c
            }
            _ => Command::new(BIN),
        };
        cmd.args(&self.args);
        cmd.env(HOST_MARKER, "leaked");
        // Foreground runs are stored containers (Docker's way): a test that
        // names no store gets one private to this test binary and mode, so
        // its exited containers never pile up in the user's own store.
        if !self.env.iter().any(|(k, _)| k == "COVE_ROOT") {
            cmd.env("COVE_ROOT", default_root(self.mode));
        }
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        cmd
    }

    /// [`Cove::command`] run through a wrapper program, e.g.
    /// `["setsid", "--ctty"]` (which execs, so the pid is still cove's).
    pub fn command_via(&self, prefix: &[&str]) -> Command {
        let inner = self.command();
        let mut cmd = Command::new(prefix[0]);
        cmd.args(&prefix[1..]).arg(inner.get_program()).args(inner.get_args());
        for (k, v) in inner.get_envs() {
            match v {
                Some(v) => cmd.env(k, v),
                None => cmd.env_remove(k),
            };
        }
        cmd
    }

    /// Runs cove through a wrapper program (see [`Cove::command_via`]).
    pub fn via(mut self, prefix: &[&str]) -> Self {
        self.via = prefix.iter().map(|s| s.to_string()).collect();
        self
    }

    /// Starts cove with piped stdin/stdout/stderr.
    pub fn spawn(&self) -> Running {
        let mut cmd = if self.via.is_empty() {
            self.command()
        } else {
            self.command_via(&self.via.iter().map(String::as_str).collect::<Vec<_>>())
        };
        cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
        cmd.stdin(match self.input {
            Input::Null => Stdio::null(),
            Input::Bytes(_) => Stdio::piped(),
        });
        let mut child = cmd.spawn().unwrap_or_else(|e| panic!("{}: cannot start: {e}", self.describe()));
        if let (Input::Bytes(bytes), Some(mut stdin)) = (&self.input, child.stdin.take()) {
            let bytes = Arc::clone(bytes);
            std::thread::spawn(move || {
                // The container may stop reading early; that is not our error.
                let _ = stdin.write_all(&bytes);
            });
        }
        let stdout = Collector::start(child.stdout.take().expect("piped stdout"));
        let stderr = Collector::start(child.stderr.take().expect("piped stderr"));
        let pid = child.id() as i32;
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let _ = tx.send(child.wait());
        });
        Running { desc: self.describe(), pid, status: rx, stdout, stderr, timeout: self.timeout }
    }

    /// Runs cove to the end (killing it at the time limit, which fails the test).
    pub fn run(&self) -> Out {
        self.spawn().wait()
    }
}

/// The store of a test that names none: one per test binary and mode,
/// under `target/tmp/work` (kept: parallel tests share it).
fn default_root(mode: Mode) -> PathBuf {
    static ROOTS: Mutex<Vec<(Mode, PathBuf)>> = Mutex::new(Vec::new());
    let mut roots = ROOTS.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((_, root)) = roots.iter().find(|(m, _)| *m == mode) {
        return root.clone();
    }
    let dir = TestDir::new(mode, "default-store");
    let root = dir.join("store");
    std::mem::forget(dir);
    roots.push((mode, root.clone()));
    root
}

/// Quotes an argument for display.
pub fn shell_quote(s: &str) -> String {
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_=/.,:@%+".contains(&b)) {
        s.to_owned()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// Output gathered by a reader thread, observable while it grows.
#[derive(Clone)]
pub struct Collector(Arc<(Mutex<Buffer>, Condvar)>);

/// Bytes so far, and whether the stream has ended.
type Buffer = (Vec<u8>, bool);

impl Collector {
    /// Reads `r` to the end on a thread.
    pub fn start(mut r: impl Read + Send + 'static) -> Collector {
        let c = Collector(Arc::new((Mutex::new((Vec::new(), false)), Condvar::new())));
        let shared = c.clone();
        std::thread::spawn(move || {
            let mut buf = vec![0u8; 1 << 16];
            loop {
                let n = r.read(&mut buf).unwrap_or(0);
                let (lock, cv) = &*shared.0;
                let mut g = lock.lock().unwrap();
                if n == 0 {
                    g.1 = true;
                    cv.notify_all();
                    return;
                }
                g.0.extend_from_slice(&buf[..n]);
                cv.notify_all();
            }
        });
        c
    }

    /// What has arrived so far.
    pub fn snapshot(&self) -> Vec<u8> {
        self.0.0.lock().unwrap().0.clone()
    }

    /// Waits until the output contains `needle` (true) or ends or the time
    /// is up (false).
    pub fn wait_for(&self, needle: &str, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        let (lock, cv) = &*self.0;
        let mut g = lock.lock().unwrap();
        loop {
            if contains(&g.0, needle.as_bytes()) {
                return true;
            }
            let now = Instant::now();
            if g.1 || now >= deadline {
                return false;
            }
            g = cv.wait_timeout(g, deadline - now).unwrap().0;
        }
    }

    /// Waits for the end of the stream (at most `timeout`) and returns all of it.
    pub fn finish(&self, timeout: Duration) -> Vec<u8> {
        let deadline = Instant::now() + timeout;
        let (lock, cv) = &*self.0;
        let mut g = lock.lock().unwrap();
        while !g.1 && Instant::now() < deadline {
            g = cv.wait_timeout(g, deadline - Instant::now()).unwrap().0;
        }
        g.0.clone()
    }
}

/// Whether `hay` contains `needle`.
pub fn contains(hay: &[u8], needle: &[u8]) -> bool {
    needle.is_empty() || hay.windows(needle.len()).any(|w| w == needle)
}

/// A cove process that is running.
pub struct Running {
    desc: String,
    pid: i32,
    status: mpsc::Receiver<std::io::Result<std::process::ExitStatus>>,
    /// Its stdout.
    pub stdout: Collector,
    /// Its stderr.
    pub stderr: Collector,
    timeout: Duration,
}

impl Running {
    /// The cove process's pid (setpriv execs cove, so this is cove itself).
    pub fn pid(&self) -> i32 {
        self.pid
    }

    /// The command line, for messages.
    pub fn describe(&self) -> &str {
        &self.desc
    }

    /// Sends `sig` to the cove process.
    pub fn signal(&self, sig: rustix::process::Signal) {
        let pid = rustix::process::Pid::from_raw(self.pid).expect("pid > 0");
        rustix::process::kill_process(pid, sig).unwrap_or_else(|e| panic!("{}: kill {sig:?}: {e}", self.desc));
    }

    /// Waits until stdout contains `needle`; fails the test (after killing
    /// cove) when it does not come within 15 s.
    pub fn expect_stdout(&self, needle: &str) {
        if !self.stdout.wait_for(needle, Duration::from_secs(15)) {
            self.signal(rustix::process::Signal::KILL);
            panic!(
                "{}\n  expected on stdout: {needle:?}\n  got stdout: {}\n  stderr: {}",
                self.desc,
                show(&self.stdout.snapshot()),
                show(&self.stderr.snapshot())
            );
        }
    }

    /// Waits for cove to end within the time limit; kills it and fails the
    /// test otherwise.
    pub fn wait(self) -> Out {
        let status = match self.status.recv_timeout(self.timeout) {
            Ok(s) => s.expect("wait for cove"),
            Err(_) => {
                self.signal(rustix::process::Signal::KILL);
                let _ = self.status.recv_timeout(Duration::from_secs(5));
                panic!(
                    "{}\n  expected: cove to exit within {:?}\n  got: still running (killed it)\n  stdout: {}\n  stderr: {}",
                    self.desc,
                    self.timeout,
                    show(&self.stdout.snapshot()),
                    show(&self.stderr.snapshot())
                );
            }
        };
        // Output pipes may stay open in a leaked container process; do not
        // wait forever for them (that is reported by the assertions).
        let stdout = self.stdout.finish(Duration::from_secs(10));
        let stderr = self.stderr.finish(Duration::from_secs(2));
        Out { desc: self.desc, code: status.code(), signal: status.signal(), stdout, stderr }
    }
}
