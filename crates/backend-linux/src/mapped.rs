//! A helper process in a user namespace with the containers' id map, for
//! the image store (see `cove_image::images::IdMapper`): a rootless caller
//! with subordinate ranges unpacks, copies and removes image files there,
//! so they keep the image's owners.
//!
//! The helper is the cove binary itself, started with a first argument the
//! caller chooses. Protocol over its stdin and stdout:
//! 1. the helper (still single-threaded, first thing in `main`) calls
//!    `unshare(CLONE_NEWUSER)`, which gives it every capability in the new
//!    namespace, and writes `ready\n`;
//! 2. the parent writes the map with `newuidmap`/`newgidmap` (the same
//!    `subordinate_map` a container gets), then sends `go\n` and the job;
//! 3. the helper checks it is uid 0 inside, does the job, writes its answer
//!    and exits. No `execve` happens after the unshare, so the capabilities
//!    stay (an exec by an unmapped uid would drop them).
//!
//! Every wait has the helper's lifetime as its deadline: the helper is
//! killed and reaped when the parent gives up (drop), and dies with it
//! (`PR_SET_PDEATHSIG`).

use std::ffi::OsString;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use cove_core::plan::{IdMap, subordinate_map};

const READY: &str = "ready";
const GO: &str = "go";

/// Starts helpers for a rootless caller with subordinate ranges.
#[derive(Debug, Clone)]
pub struct MappedHelper {
    exe: PathBuf,
    map: IdMap,
}

impl MappedHelper {
    /// A helper for the calling user: `None` for root (who owns every id
    /// already) and for callers without usable subordinate ranges
    /// (`COVE_SUBIDS=off` included). The helper is `exe`.
    pub fn for_caller(exe: PathBuf) -> Option<Self> {
        let uid = rustix::process::getuid().as_raw();
        if uid == 0 {
            return None;
        }
        let sub = crate::probe::caller_subids(uid)?;
        let gid = rustix::process::getgid().as_raw();
        Some(MappedHelper { exe, map: subordinate_map(uid, gid, sub) })
    }

    /// The map the helper gets.
    pub fn map(&self) -> &IdMap {
        &self.map
    }

    /// Runs one helper (`exe args…`) with `input` as its job; returns
    /// what it wrote after the handshake. Its stderr is the caller's.
    pub fn run(&self, args: &[OsString], input: &[u8]) -> io::Result<Vec<u8>> {
        let child = Command::new(&self.exe)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| annotate(e, &format!("start {}", self.exe.display())))?;
        let mut guard = Reap(Some(child));
        let child = guard.0.as_mut().expect("child present");
        let pid = child.id();
        let mut out = BufReader::new(child.stdout.take().expect("piped stdout"));
        let mut line = String::new();
        out.read_line(&mut line).map_err(|e| annotate(e, &format!("read from helper {pid}")))?;
        if line.trim_end() != READY {
            let said = line.trim();
            return Err(io::Error::other(format!("helper {pid} did not enter its user namespace: {said}")));
        }
        let pid_i32 = i32::try_from(pid).map_err(io::Error::other)?;
        crate::spawn::write_id_maps(pid_i32, &self.map).map_err(|e| io::Error::other(e.to_string()))?;
        let mut stdin = child.stdin.take().expect("piped stdin");
        stdin.write_all(format!("{GO}\n").as_bytes()).and_then(|()| stdin.write_all(input))?;
        drop(stdin);
        let mut answer = Vec::new();
        out.read_to_end(&mut answer).map_err(|e| annotate(e, &format!("read from helper {pid}")))?;
        let mut child = guard.0.take().expect("child present");
        let status = child.wait()?;
        if !status.success() {
            return Err(io::Error::other(format!("helper {pid} ended with {status}")));
        }
        Ok(answer)
    }
}

/// The helper's side, first thing in `main` (before any thread exists):
/// enters a new user namespace, waits for the parent to map it, and
/// returns its job (the rest of stdin).
pub fn enter() -> io::Result<Vec<u8>> {
    // A helper never outlives the cove that started it (a killed pull
    // leaves a temp dir whose lock is free, which prune removes).
    rustix::process::set_parent_process_death_signal(Some(rustix::process::Signal::KILL))
        .map_err(|e| annotate(e.into(), "prctl(PR_SET_PDEATHSIG)"))?;
    crate::sys::probe::unshare(libc::CLONE_NEWUSER).map_err(|e| annotate(e, "unshare(CLONE_NEWUSER)"))?;
    let mut stdout = io::stdout().lock();
    stdout.write_all(format!("{READY}\n").as_bytes())?;
    stdout.flush()?;
    drop(stdout);
    let mut stdin = io::stdin().lock();
    let mut line = String::new();
    stdin.read_line(&mut line)?;
    if line.trim_end() != GO {
        return Err(io::Error::other("the parent did not map the helper's user namespace"));
    }
    // ORDER: work only once mapped: files created before would be unowned.
    if rustix::process::getuid().as_raw() != 0 || rustix::process::getgid().as_raw() != 0 {
        return Err(io::Error::other("the helper is not root in its user namespace (id map missing)"));
    }
    let mut job = Vec::new();
    stdin.read_to_end(&mut job)?;
    Ok(job)
}

fn annotate(e: io::Error, op: &str) -> io::Error {
    io::Error::new(e.kind(), format!("{op}: {e}"))
}

/// Kills and reaps a helper the parent gave up on.
struct Reap(Option<Child>);

impl Drop for Reap {
    fn drop(&mut self) {
        if let Some(mut child) = self.0.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
