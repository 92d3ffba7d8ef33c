//! Stage 3: from a set-up container to the user's program — stdio, identity,
//! capabilities, no_new_privs, signal mask, fds, the seccomp filter, then
//! `execve`.

use super::channel::Channel;
use super::error::{ChildError, at};
use super::gate::Gate;
use super::pty;
use crate::caps;
use crate::seccomp::{self, Filter};
use crate::sys;
use crate::sys::signal::SavedMask;
use cove_core::plan::ProcessPlan;
use rustix::fs::{CWD, FileType, Mode, OFlags, ResolveFlags, fstat, major, minor, openat2};
use rustix::process::{Gid, Uid};
use rustix::thread::{CapabilitySet, CapabilitySets};
use std::ffi::CString;
use std::io;
use std::os::fd::OwnedFd;

/// Turns this process into the container's command (after waiting at the
/// OCI start gate, when given). Returns only on error; `start`, when it
/// opened the gate, is told that error too.
pub fn exec(
    p: &ProcessPlan,
    chan: &Channel,
    mask: &SavedMask,
    setgroups: bool,
    filter: Option<&Filter>,
    gate: Option<Gate<'_>>,
) -> ChildError {
    // ORDER: seccomp last, after setuid, capset, no_new_privs and
    // close_range, so that the profile need not allow any setup syscall:
    // only execve (once per PATH candidate) and, if that fails, the report
    // to cove run under it. But without no_new_privs, loading a filter needs
    // CAP_SYS_ADMIN (seccomp(2)), which capset drops; then the filter goes
    // in before the identity changes, as runc does, and the profile must
    // allow setgroups, setres[ug]id, capset, prctl, chdir, umask,
    // rt_sigaction, rt_sigprocmask and close_range (Docker's default does).
    let (early, late) = if p.no_new_privileges { (None, filter) } else { (filter, None) };
    let mut started = None;
    let err = match prepare(p, chan, mask, setgroups, early, gate, &mut started) {
        Ok(()) => search_and_exec(p, late),
        Err(e) => e,
    };
    if let Some(conn) = &started {
        super::gate::report(conn, &err);
    }
    err
}

fn load(filter: Option<&Filter>) -> Result<(), ChildError> {
    filter.map_or(Ok(()), |f| seccomp::load(f).map_err(at("load seccomp filter", "")))
}

/// `-a` without stdout or stderr: that stream goes to `/dev/null`.
fn discard_output((stdout, stderr): (bool, bool)) -> Result<(), ChildError> {
    if !stdout && !stderr {
        return Ok(());
    }
    let null = open_null(OFlags::WRONLY)?;
    if stdout {
        rustix::stdio::dup2_stdout(&null).map_err(|e| at("redirect stdout", "/dev/null")(e.into()))?;
    }
    if stderr {
        rustix::stdio::dup2_stderr(&null).map_err(|e| at("redirect stderr", "/dev/null")(e.into()))?;
    }
    Ok(())
}

/// Descriptors 0–2 are handed to the command as they are: one that is a
/// directory (`cove run -i … < DIR`, `2</`), or an `O_PATH` one, would let
/// it walk the host's tree from there (`/proc/self/fd/0/..`). Refused.
fn refuse_directory_stdio() -> Result<(), ChildError> {
    let fds =
        [("stdin", rustix::stdio::stdin()), ("stdout", rustix::stdio::stdout()), ("stderr", rustix::stdio::stderr())];
    for (name, fd) in fds {
        let Ok(st) = fstat(fd) else { continue };
        let path_only = rustix::fs::fcntl_getfl(fd).is_ok_and(|f| f.contains(OFlags::PATH));
        if FileType::from_raw_mode(st.st_mode) == FileType::Directory || path_only {
            let step = "refuse a host directory (or O_PATH descriptor) as";
            return Err(at(step, name)(io::Error::from_raw_os_error(libc::EISDIR)));
        }
    }
    Ok(())
}

/// The container's `/dev/null`, which it may have replaced when this is
/// `cove exec` or OCI `exec`: by a fifo (open would block), a file, or a
/// link to `/proc/self/fd/N` (a descriptor still open here, from the host).
/// No link is followed, the open does not block, and it must be the null
/// device (1:3).
fn open_null(access: OFlags) -> Result<OwnedFd, ChildError> {
    let failed = |e: rustix::io::Errno| at("open", "/dev/null")(e.into());
    let flags = access | OFlags::CLOEXEC | OFlags::NOCTTY | OFlags::NONBLOCK;
    let resolve = ResolveFlags::NO_SYMLINKS | ResolveFlags::NO_MAGICLINKS;
    let null = openat2(CWD, "/dev/null", flags, Mode::empty(), resolve).map_err(failed)?;
    let st = fstat(&null).map_err(failed)?;
    let is_null = FileType::from_raw_mode(st.st_mode) == FileType::CharacterDevice
        && (major(st.st_rdev), minor(st.st_rdev)) == (1, 3);
    if !is_null {
        return Err(at("open /dev/null", "not the null device")(io::Error::from_raw_os_error(libc::ENXIO)));
    }
    Ok(null)
}

fn prepare(
    p: &ProcessPlan,
    chan: &Channel,
    mask: &SavedMask,
    setgroups: bool,
    early_filter: Option<&Filter>,
    gate: Option<Gate<'_>>,
    started: &mut Option<OwnedFd>,
) -> Result<(), ChildError> {
    // 1. stdio and session. The command always leads a new session, so the
    //    caller's terminal is never its controlling terminal: no TIOCSTI
    //    injection into the caller's shell (CVE-2017-5226 class).
    if p.terminal {
        pty::attach(chan, gate.is_some())?;
    } else {
        rustix::process::setsid().map_err(|e| at("setsid", "")(e.into()))?;
        if !p.stdin {
            let null = open_null(OFlags::RDONLY)?;
            rustix::stdio::dup2_stdin(&null).map_err(|e| at("redirect stdin", "/dev/null")(e.into()))?;
        }
        discard_output(p.discard_output)?;
        refuse_directory_stdio()?;
    }
    // 2. OCI create: a working directory that cannot exist fails `create`
    //    (as runc's init checks it); report, then wait for `start` (the
    //    terminal master has been sent by now, as the console socket needs
    //    it at create)
    if let Some(g) = gate {
        check_cwd_early(&p.cwd)?;
        *started = Some(super::gate::wait(g.listener, chan)?);
        // ORDER: startContainer hooks once `start` opened the gate, inside
        // the container (after pivot_root: their paths resolve there), as
        // its root before identity, seccomp and the fds close; a failure
        // reaches `start` on its connection and the process never runs.
        super::hooks::run_all("startContainer", g.start_container, g.state)?;
    }
    // 3. identity and capabilities (the seccomp filter first only without
    //    no_new_privs; see exec)
    load(early_filter)?;
    identity(p, setgroups)?;
    // 4. working directory, as the user, so permissions apply
    rustix::process::chdir(p.cwd.as_str()).map_err(|e| at("chdir to working directory", &p.cwd)(e.into()))?;
    cwd_inside_root(&p.cwd)?;
    // 5. no_new_privs: setuid binaries and file capabilities gain nothing
    if p.no_new_privileges {
        rustix::thread::set_no_new_privs(true).map_err(|e| at("set no_new_privs", "")(e.into()))?;
    }
    // 6. the command's umask; signals as a fresh process expects them
    rustix::process::umask(Mode::from_raw_mode(p.umask));
    sys::signal::reset_default(&[libc::SIGPIPE]).map_err(at("reset signal dispositions", ""))?;
    sys::signal::restore(mask).map_err(at("restore signal mask", ""))?;
    // 7. no descriptor but 0-2 survives execve (the channel closes on exec,
    //    which tells cove the command started)
    sys::exec::cloexec_from(3).map_err(at("close inherited descriptors", ""))
}

/// `create`'s early check of the working directory, as the namespace's
/// root: missing, not a directory, or outside the root fails. Denied
/// access is left to the real `chdir` as the user at `start`.
fn check_cwd_early(cwd: &str) -> Result<(), ChildError> {
    match rustix::process::chdir(cwd) {
        Err(rustix::io::Errno::ACCESS | rustix::io::Errno::PERM) => return Ok(()),
        Err(e) => return Err(at("chdir to working directory", cwd)(e.into())),
        Ok(()) => {}
    }
    cwd_inside_root(cwd)?;
    rustix::process::chdir("/").map_err(|e| at("chdir", "/")(e.into()))
}

/// The working directory must lie under the process's root. A `cwd` such as
/// `/proc/self/fd/N` (or `N/..`) follows a descriptor still open at this point
/// (`cove exec`, OCI `exec`, or one leaked by an engine) out of the
/// container (CVE-2024-21626). The kernel's `getcwd` marks such a directory
/// `(unreachable)` instead of an absolute path.
fn cwd_inside_root(cwd: &str) -> Result<(), ChildError> {
    let outside = || at("working directory outside the container root", cwd)(io::Error::from_raw_os_error(libc::EPERM));
    match rustix::process::getcwd(Vec::new()) {
        Ok(dir) if dir.as_bytes().starts_with(b"/") => Ok(()),
        Ok(_) | Err(rustix::io::Errno::NOENT) => Err(outside()),
        Err(e) => Err(at("getcwd", cwd)(e.into())),
    }
}

/// Groups, gid, uid, then the capability sets reduced to the plan's.
fn identity(p: &ProcessPlan, setgroups: bool) -> Result<(), ChildError> {
    // (uid_t)-1 is "unchanged" to the kernel (and rustix refuses it): a
    // hostile OCI config or image must not get that far.
    if p.uid == u32::MAX || p.gid == u32::MAX || p.groups.contains(&u32::MAX) {
        return Err(at("set user", format!("{}:{}", p.uid, p.gid))(io::Error::from_raw_os_error(libc::EINVAL)));
    }
    let keep = caps::mask(&p.capabilities)
        .map_err(|e| at("parse capabilities", e.0.clone())(io::Error::from(io::ErrorKind::InvalidInput)))?;
    // ORDER: the bounding set shrinks while CAP_SETPCAP is still held.
    sys::exec::drop_bounding(keep).map_err(at("drop bounding capabilities", ""))?;
    rustix::thread::set_keep_capabilities(true).map_err(|e| at("keep capabilities", "")(e.into()))?;
    if setgroups {
        let groups: Vec<Gid> = p.groups.iter().map(|g| Gid::from_raw(*g)).collect();
        rustix::thread::set_thread_groups(&groups).map_err(|e| at("setgroups", format!("{:?}", p.groups))(e.into()))?;
    }
    let (uid, gid) = (Uid::from_raw(p.uid), Gid::from_raw(p.gid));
    // ORDER: gid before uid, while we may still change it.
    rustix::thread::set_thread_res_gid(gid, gid, gid).map_err(|e| at("setgid", p.gid.to_string())(e.into()))?;
    rustix::thread::set_thread_res_uid(uid, uid, uid).map_err(|e| at("setuid", p.uid.to_string())(e.into()))?;
    // ORDER: capset after setuid, which clears the effective set. The
    // inheritable set holds only what an OCI config names (empty for cove's
    // own runs), so a non-root user cannot regain capabilities through
    // file-inheritable bits it was not given (CVE-2022-24769).
    let set = CapabilitySet::from_bits_retain(keep);
    let mut sets = CapabilitySets { effective: set, permitted: set, inheritable: CapabilitySet::empty() };
    let mut ambient = 0;
    if let Some(named) = &p.cap_sets {
        let m = |names: &[String]| {
            caps::mask(names)
                .map(CapabilitySet::from_bits_retain)
                .map_err(|e| at("parse capabilities", e.0.clone())(io::Error::from(io::ErrorKind::InvalidInput)))
        };
        sets = CapabilitySets {
            effective: m(&named.effective)?,
            permitted: m(&named.permitted)?,
            inheritable: m(&named.inheritable)?,
        };
        ambient = m(&named.ambient)?.bits();
    }
    rustix::thread::set_capabilities(None, sets).map_err(|e| at("set capabilities", "")(e.into()))?;
    rustix::thread::set_keep_capabilities(false).map_err(|e| at("keep capabilities", "")(e.into()))?;
    rustix::thread::clear_ambient_capability_set().map_err(|e| at("clear ambient capabilities", "")(e.into()))?;
    for cap in (0..64u32).filter(|c| ambient & (1 << c) != 0) {
        sys::exec::raise_ambient(cap).map_err(at("raise ambient capability", cap.to_string()))?;
    }
    Ok(())
}

/// Where to look for `program`: itself when it has a `/`, else each `PATH` entry.
pub fn candidates(program: &str, path_env: Option<&str>) -> Vec<String> {
    if program.contains('/') {
        return vec![program.to_owned()];
    }
    let path = path_env.unwrap_or(cove_core::env::DEFAULT_PATH);
    path.split(':').filter(|d| !d.is_empty()).map(|d| format!("{}/{program}", d.trim_end_matches('/'))).collect()
}

fn search_and_exec(p: &ProcessPlan, late_filter: Option<&Filter>) -> ChildError {
    let program = p.args.first().cloned().unwrap_or_default();
    let fail = |source: io::Error| ChildError::Exec { program: program.clone(), source };
    let cstrings = |items: Vec<String>| items.into_iter().map(CString::new).collect::<Result<Vec<_>, _>>();
    let (argv, envp) =
        match (cstrings(p.args.clone()), cstrings(p.env.iter().map(|(k, v)| format!("{k}={v}")).collect())) {
            (Ok(a), Ok(e)) => (a, e),
            _ => return fail(io::Error::from_raw_os_error(libc::EINVAL)),
        };
    let path_env = p.env.iter().find(|(k, _)| k == "PATH").map(|(_, v)| v.as_str());
    let paths: Vec<CString> = candidates(&program, path_env).into_iter().filter_map(|c| CString::new(c).ok()).collect();
    // Everything is allocated; from here on only execve runs (see exec).
    if let Err(e) = load(late_filter) {
        return e;
    }
    let mut last = io::Error::from_raw_os_error(libc::ENOENT);
    let mut denied = None;
    for path in paths {
        let err = sys::exec::execve(&path, &argv, &envp);
        match err.raw_os_error() {
            Some(libc::ENOENT) | Some(libc::ENOTDIR) => last = err,
            Some(libc::EACCES) => denied = Some(err),
            _ => return fail(err),
        }
    }
    fail(denied.unwrap_or(last))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_search() {
        assert_eq!(candidates("/bin/sh", Some("/x")), vec!["/bin/sh"]);
        assert_eq!(candidates("./run", None), vec!["./run"]);
        assert_eq!(candidates("ls", Some("/a/:/b::")), vec!["/a/ls", "/b/ls"]);
        assert_eq!(candidates("ls", None).len(), 6);
    }
}
