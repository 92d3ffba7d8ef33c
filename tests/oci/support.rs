//! Bundles, a console-socket listener and deadline-bound helpers for
//! tests/oci.rs.

use crate::common::*;
use serde_json::{Value, json};
use std::io::{IoSliceMut, Read};
use std::mem::MaybeUninit;
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::UnixListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How long any single wait in these tests may take.
pub const WAIT: Duration = Duration::from_secs(10);

/// A bundle (busybox rootfs + config.json), its state root and an id;
/// the container is force-deleted on drop.
pub struct Bundle {
    pub mode: Mode,
    pub dir: TestDir,
    pub rootfs: PathBuf,
    pub root: PathBuf,
    pub id: String,
}

impl Bundle {
    /// `runc spec` (rootless as needed) with no terminal, a writable root
    /// and `args` as the process.
    pub fn new(mode: Mode, tag: &str, args: &[&str]) -> Option<Bundle> {
        let b = Bundle::generated(mode, "runc")?;
        let _ = tag;
        b.edit(|c| {
            c["process"]["terminal"] = json!(false);
            c["process"]["args"] = json!(args);
            c["root"]["readonly"] = json!(false);
        });
        Some(b)
    }

    /// The bundle exactly as `TOOL spec [--rootless]` writes it, run by the
    /// mode's user (so the rootless id mapping is that user's own).
    pub fn generated(mode: Mode, tool: &str) -> Option<Bundle> {
        if !Path::new("/usr/bin").join(tool).exists() && !Path::new("/usr/sbin").join(tool).exists() {
            skip(
                &format!("{}: {tool} spec", mode.label()),
                &format!("{tool} is not installed (apt-get install {tool})"),
            );
            return None;
        }
        let dir = TestDir::new(mode, &format!("oci-{tool}"));
        let rootfs = dir.rootfs_copy(mode, "rootfs")?;
        let mut generate = as_mode_user(mode, &["timeout", "-k", "5", "20", tool, "spec"]);
        if mode == Mode::Rootless {
            generate.arg("--rootless");
        }
        run_host(generate.current_dir(dir.path()));
        let root = dir.mkdir("state");
        Some(Bundle { mode, dir, rootfs, root, id: unique("c") })
    }

    /// Changes config.json.
    pub fn edit(&self, f: impl FnOnce(&mut Value)) {
        let path = self.dir.join("config.json");
        let mut c: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        f(&mut c);
        self.dir.write("config.json", serde_json::to_vec_pretty(&c).unwrap());
    }

    /// `cove oci --root ROOT ARGS…` (not for create: see [`Bundle::create`]).
    pub fn oci(&self, args: &[&str]) -> Out {
        cove(self.mode).arg("oci").arg("--root").arg(&self.root).args(args).run()
    }

    /// `cove oci create --bundle DIR EXTRA… ID`. The container keeps
    /// create's stdout and stderr, so they are files here, not the
    /// harness's pipes (which would stay open as long as it runs).
    pub fn create(&self, extra: &[&str]) -> Out {
        let c = cove(self.mode).arg("oci").arg("--root").arg(&self.root).arg("create").arg("--bundle");
        let c = c.arg(self.dir.path()).args(extra).arg(&self.id);
        let desc = c.describe();
        let (code, stdout, stderr) = deadline_output(&mut c.command());
        Out { desc, code, signal: None, stdout: stdout.into_bytes(), stderr: stderr.into_bytes() }
    }

    /// `state` as JSON.
    pub fn state(&self) -> Value {
        let out = self.oci(&["state", &self.id]);
        out.ok();
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| out.fail(&format!("state JSON: {e}")))
    }
}

impl Drop for Bundle {
    fn drop(&mut self) {
        let _ = self.oci(&["delete", "--force", &self.id]);
    }
}

/// `argv` run as the mode's user.
fn as_mode_user(mode: Mode, argv: &[&str]) -> Command {
    let mut c = if mode == Mode::Rootless && is_root() {
        let mut c = Command::new("setpriv");
        c.args(["--reuid", TEST_USER, "--regid", TEST_USER, "--init-groups", "--"]).args(argv);
        c
    } else {
        let mut c = Command::new(argv[0]);
        c.args(&argv[1..]);
        c
    };
    c.env_remove("XDG_RUNTIME_DIR");
    c
}

/// Runs `cmd` with stdout/stderr in files, killed after 20 s: (code, out, err).
pub fn deadline_output(cmd: &mut Command) -> (Option<i32>, String, String) {
    deadline_output_within(cmd, Duration::from_secs(20))
}

/// [`deadline_output`] with another limit.
pub fn deadline_output_within(cmd: &mut Command, limit: Duration) -> (Option<i32>, String, String) {
    let base = std::env::temp_dir().join(unique("oci-out"));
    let (o, e) = (base.with_extension("out"), base.with_extension("err"));
    let file = |p: &Path| std::fs::File::create(p).unwrap();
    cmd.stdin(Stdio::null()).stdout(file(&o)).stderr(file(&e));
    let mut child = cmd.spawn().unwrap_or_else(|err| panic!("{cmd:?}: {err}"));
    let deadline = Instant::now() + limit;
    let code = loop {
        if let Some(st) = child.try_wait().unwrap() {
            break st.code();
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{cmd:?} did not finish within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let read = |p: &Path| std::fs::read_to_string(p).unwrap_or_default();
    let got = (code, read(&o), read(&e));
    let _ = (std::fs::remove_file(&o), std::fs::remove_file(&e));
    got
}

/// Polls `f` for up to [`WAIT`].
pub fn wait_until(f: impl Fn() -> bool) -> bool {
    let deadline = Instant::now() + WAIT;
    while Instant::now() < deadline {
        if f() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    f()
}

/// Whether `pid` is a zombie (exited, not reaped yet).
pub fn zombie(pid: i64) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|t| t.rsplit_once(')').map(|(_, r)| r.trim_start().starts_with('Z')))
        .unwrap_or(true)
}

/// A `--console-socket` listener, as an engine runs one.
pub struct Console {
    pub path: PathBuf,
    listener: UnixListener,
}

impl Console {
    /// Listens at `path` (connectable by the rootless user too).
    pub fn listen(path: &Path) -> Console {
        let listener = UnixListener::bind(path).unwrap();
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o777)).unwrap();
        listener.set_nonblocking(true).unwrap();
        Console { path: path.to_owned(), listener }
    }

    /// The terminal master the runtime sent (SCM_RIGHTS), within [`WAIT`].
    pub fn receive(&self) -> OwnedFd {
        let deadline = Instant::now() + WAIT;
        let (stream, _) = loop {
            match self.listener.accept() {
                Ok(s) => break s,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock && Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(10))
                }
                Err(e) => panic!("no connection on the console socket: {e}"),
            }
        };
        stream.set_nonblocking(false).unwrap();
        stream.set_read_timeout(Some(WAIT)).unwrap();
        let mut buf = [0u8; 256];
        let mut space = [MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(1))];
        let mut control = rustix::net::RecvAncillaryBuffer::new(&mut space);
        let mut iov = [IoSliceMut::new(&mut buf)];
        rustix::net::recvmsg(&stream, &mut iov, &mut control, rustix::net::RecvFlags::CMSG_CLOEXEC)
            .expect("recvmsg on the console socket");
        for m in control.drain() {
            if let rustix::net::RecvAncillaryMessage::ScmRights(mut fds) = m
                && let Some(fd) = fds.next()
            {
                return fd;
            }
        }
        panic!("the console socket message carried no descriptor");
    }
}

/// Writes all of `bytes` to the terminal master.
pub fn write_all(fd: &OwnedFd, bytes: &[u8]) {
    let mut done = 0;
    while done < bytes.len() {
        done += rustix::io::write(fd, &bytes[done..]).expect("write to terminal");
    }
}

/// Reads the terminal until `needle` shows up or `timeout` passes.
pub fn read_until(fd: &OwnedFd, needle: &str, timeout: Duration) -> String {
    let deadline = Instant::now() + timeout;
    let mut got = Vec::new();
    let mut file = std::fs::File::from(fd.as_fd().try_clone_to_owned().unwrap());
    while Instant::now() < deadline && !String::from_utf8_lossy(&got).contains(needle) {
        let mut pfd = [rustix::event::PollFd::new(fd, rustix::event::PollFlags::IN)];
        let ms = deadline.saturating_duration_since(Instant::now());
        let ts = rustix::event::Timespec { tv_sec: ms.as_secs() as i64, tv_nsec: ms.subsec_nanos() as i64 };
        if rustix::event::poll(&mut pfd, Some(&ts)).unwrap_or(0) == 0 {
            break;
        }
        let mut buf = [0u8; 4096];
        match file.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => got.extend_from_slice(&buf[..n]),
        }
    }
    String::from_utf8_lossy(&got).into_owned()
}
