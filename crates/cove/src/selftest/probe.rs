//! The inside half of `cove test`: `cove __probe NAME ARGS…` runs in a
//! check's container (or, with `--weaken`, on the host), makes its attempts
//! and returns what happened. A probe never judges; the check that started
//! it does. Probes write nothing they do not remove, and open files for
//! writing without writing to them.

use super::wire::{Attempt, ProbeReport};
use anyhow::{Context, bail};
use cove_backend_linux::selftest as sys;
use std::fs::{File, OpenOptions};
use std::os::fd::AsFd;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;

/// Runs probe `name`. `setuid-prepare` does not return when it works: it
/// becomes `ids` through a setuid binary.
pub fn run(name: &str, args: &[String]) -> anyhow::Result<ProbeReport> {
    let mut r = ProbeReport::default();
    match name {
        "hello" => r.push(status(&["Uid", "NoNewPrivs", "Seccomp"])),
        "read" => args.iter().for_each(|p| r.push(read(p))),
        "create-in" => args.iter().for_each(|d| r.push(create_in(d))),
        "open-write" => args.iter().for_each(|p| r.push(open_write(p))),
        "pids" => r.push(pids()),
        "kill" => {
            let pid = pid_arg(args)?;
            r.push(Attempt::of(format!("kill({pid}, SIGKILL)"), sys::kill(pid, sys::SIGKILL), |_| vec![]));
        }
        "ptrace" => {
            let pid = pid_arg(args)?;
            r.push(Attempt::of(format!("ptrace(PTRACE_SEIZE, {pid})"), sys::ptrace_seize(pid), |_| vec![]));
            r.push(Attempt::of(format!("open /proc/{pid}/mem"), File::open(format!("/proc/{pid}/mem")), |_| vec![]));
        }
        "mount" => {
            r.push(Attempt::of("fsopen+fsmount tmpfs (detached)", sys::detached_tmpfs(), |_| vec![]));
            r.push(Attempt::of("open_tree(/, OPEN_TREE_CLONE)", sys::detached_clone_of_root(), |_| vec![]));
        }
        "unshare-user" => {
            r.push(status(&["Seccomp"]));
            r.push(Attempt::of("unshare(CLONE_NEWUSER)", sys::unshare(sys::CLONE_NEWUSER), |_| vec![]));
        }
        "unshare-other" => unshare_other(&mut r),
        "keyring" => {
            r.push(status(&["Seccomp"]));
            r.push(Attempt::of("add_key(user)", sys::add_process_key(c"cove-selftest", b"x"), |id| {
                vec![id.to_string()]
            }));
            r.push(Attempt::of("keyctl(JOIN_SESSION_KEYRING)", sys::join_new_session_keyring(), |_| vec![]));
        }
        "module" => module(&mut r),
        "raw-socket" => {
            r.push(Attempt::of("socket(AF_INET, SOCK_RAW)", sys::raw_socket(sys::RawFamily::Inet), |_| vec![]));
            r.push(Attempt::of("socket(AF_PACKET, SOCK_RAW)", sys::raw_socket(sys::RawFamily::Packet), |_| vec![]));
        }
        "tiocsti" => tiocsti(&mut r),
        "refused-syscalls" => {
            for (name, nr) in sys::REFUSED_SYSCALLS {
                r.push(Attempt::of(format!("{name}(0, …)"), sys::zero_args_syscall(*nr), |v| vec![v.to_string()]));
            }
        }
        "fds" => r.push(fds()),
        "setuid-prepare" => return setuid_prepare(args),
        "ids" => {
            r.push(Attempt::found("prepare", args.to_vec()));
            r.push(status(&["Uid", "CapEff", "NoNewPrivs"]));
        }
        "exe" => exe(&mut r, pid_arg(args)?),
        "plant" => plant(&mut r, args)?,
        "sleep" => {
            // A host helper: it ends with cove test, and after ten minutes at most.
            sys::die_with_parent()?;
            std::thread::sleep(std::time::Duration::from_secs(600));
        }
        other => bail!("unknown probe {other:?}"),
    }
    Ok(r)
}

fn pid_arg(args: &[String]) -> anyhow::Result<i32> {
    let arg = args.first().context("missing pid argument")?;
    arg.parse().with_context(|| format!("invalid pid {arg:?}"))
}

/// Selected `Field:\tvalue` lines of `/proc/self/status`.
fn status(fields: &[&str]) -> Attempt {
    Attempt::of("read /proc/self/status", std::fs::read_to_string("/proc/self/status"), |text| {
        text.lines()
            .filter(|l| fields.iter().any(|f| l.split(':').next() == Some(f)))
            .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
            .collect()
    })
}

fn read(path: &str) -> Attempt {
    // Only the size: the contents may be a secret (this is how /etc/shadow is tried).
    Attempt::of(format!("read {path}"), std::fs::read(path), |bytes| vec![format!("{} bytes", bytes.len())])
}

/// Creates (and at once removes) a new file in `dir`.
fn create_in(dir: &str) -> Attempt {
    let path = format!("{}/.cove-selftest-{}", dir.trim_end_matches('/'), std::process::id());
    let created = OpenOptions::new().write(true).create_new(true).open(&path);
    Attempt::of(format!("create a file in {dir}"), created, |_| {
        let removed = std::fs::remove_file(&path).is_ok();
        vec![format!("created {path}{}", if removed { " (removed again)" } else { "" })]
    })
}

/// Opens `path` for writing (no create, no truncate) and writes nothing.
fn open_write(path: &str) -> Attempt {
    Attempt::of(format!("open {path} for writing"), OpenOptions::new().write(true).open(path), |_| {
        vec!["opened for writing (nothing written)".to_owned()]
    })
}

fn pids() -> Attempt {
    let listed = std::fs::read_dir("/proc").map(|dir| {
        let mut pids: Vec<u32> = dir.flatten().filter_map(|e| e.file_name().to_str()?.parse().ok()).collect();
        pids.sort_unstable();
        pids.iter().map(u32::to_string).collect()
    });
    Attempt::of("list /proc", listed, |pids| pids)
}

fn unshare_other(r: &mut ProbeReport) {
    for (flag, name) in [
        (sys::CLONE_NEWNS, "CLONE_NEWNS"),
        (sys::CLONE_NEWNET, "CLONE_NEWNET"),
        (sys::CLONE_NEWUTS, "CLONE_NEWUTS"),
        (sys::CLONE_NEWIPC, "CLONE_NEWIPC"),
        (sys::CLONE_NEWPID, "CLONE_NEWPID"),
        (sys::CLONE_NEWCGROUP, "CLONE_NEWCGROUP"),
    ] {
        r.push(Attempt::of(format!("unshare({name})"), sys::unshare(flag), |_| vec![]));
    }
}

/// Loads garbage: the loader rejects it, so only the error code matters.
fn module(r: &mut ProbeReport) {
    r.push(Attempt::of("init_module(garbage)", sys::init_module(&[0u8; 64]), |_| vec![]));
    let fin = File::open("/dev/null").and_then(|null| sys::finit_module(null.as_fd()));
    r.push(Attempt::of("finit_module(/dev/null)", fin, |_| vec![]));
}

/// TIOCSTI on the standard descriptors and on `/dev/tty`. The byte pushed
/// is NUL, which a shell reading that terminal ignores.
fn tiocsti(r: &mut ProbeReport) {
    let stdin = std::io::stdin();
    r.push(Attempt::found("isatty(0)", vec![sys::is_terminal(stdin.as_fd()).to_string()]));
    r.push(Attempt::of("TIOCSTI on fd 0", sys::tiocsti(stdin.as_fd(), 0), |_| vec![]));
    r.push(Attempt::of("TIOCSTI on fd 1", sys::tiocsti(std::io::stdout().as_fd(), 0), |_| vec![]));
    r.push(Attempt::of("TIOCSTI on fd 2", sys::tiocsti(std::io::stderr().as_fd(), 0), |_| vec![]));
    let tty = OpenOptions::new().read(true).write(true).open("/dev/tty");
    r.push(Attempt::of("TIOCSTI on /dev/tty", tty.and_then(|t| sys::tiocsti(t.as_fd(), 0)), |_| vec![]));
}

/// Open descriptors, except the one reading the listing.
fn fds() -> Attempt {
    let listed = std::fs::read_dir("/proc/self/fd").map(|dir| {
        let mut fds: Vec<(u32, String)> = dir
            .flatten()
            .filter_map(|e| {
                let n: u32 = e.file_name().to_str()?.parse().ok()?;
                let target = std::fs::read_link(e.path()).map(|t| t.display().to_string()).unwrap_or_default();
                let listing = target.starts_with("/proc/") && target.ends_with("/fd");
                (!listing).then_some((n, target))
            })
            .collect();
        fds.sort();
        fds.into_iter().map(|(n, t)| format!("{n} -> {t}")).collect()
    });
    Attempt::of("list /proc/self/fd", listed, |fds| fds)
}

/// `setuid-prepare DIR UID GID`: as root, copies this binary into `DIR`
/// with mode 4755 (setuid root), switches to UID:GID, and executes the
/// copy as the `ids` probe, which reports the ids it got.
fn setuid_prepare(args: &[String]) -> anyhow::Result<ProbeReport> {
    let [dir, uid, gid] = args else { bail!("usage: setuid-prepare DIR UID GID") };
    let (uid, gid): (u32, u32) = (uid.parse()?, gid.parse()?);
    let target = format!("{}/cove-setuid", dir.trim_end_matches('/'));
    let mut r = ProbeReport::default();
    let mut facts = Vec::new();
    if let Some(nnp) = status(&["NoNewPrivs"]).found.first() {
        facts.push(format!("before exec: {nnp}"));
    }
    let copied = std::fs::copy("/proc/self/exe", &target).map(drop);
    if let Err(e) = copied.and_then(|()| std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o4755))) {
        r.push(Attempt::failed("prepare: make a setuid-root copy", &e));
        return Ok(r);
    }
    // Executed through a descriptor opened before the switch, so the new
    // user needs no access to the directories above it.
    let fd = match sys::open_path(&target) {
        Ok(fd) => fd,
        Err(e) => {
            r.push(Attempt::failed("prepare: open the copy", &e));
            return Ok(r);
        }
    };
    if let Err(e) = sys::switch_user(uid, gid) {
        r.push(Attempt::failed("prepare: switch to the user", &e));
        return Ok(r);
    }
    facts.push(format!("executing setuid-root {target} as {uid}:{gid}"));
    let via = format!("/proc/self/fd/{}", std::os::fd::AsRawFd::as_raw_fd(&fd));
    let err = std::process::Command::new(&via).arg("__probe").arg("ids").args(&facts).exec();
    r.push(Attempt::failed(format!("prepare: execute {target}"), &err));
    Ok(r)
}

/// Handles on the runtime's binary through `/proc/PID/exe`.
fn exe(r: &mut ProbeReport, pid: i32) {
    let link = format!("/proc/{pid}/exe");
    match sys::open_path(&link) {
        Ok(fd) => {
            r.push(Attempt::found(format!("open {link} with O_PATH"), vec!["got a handle".to_owned()]));
            let reopen = format!("/proc/self/fd/{}", std::os::fd::AsRawFd::as_raw_fd(&fd));
            r.push(Attempt::of(
                format!("reopen {link} for writing"),
                OpenOptions::new().write(true).open(reopen),
                |_| vec!["opened for writing (nothing written)".to_owned()],
            ));
        }
        Err(e) => r.push(Attempt::failed(format!("open {link} with O_PATH"), &e)),
    }
    r.push(Attempt::of(format!("open {link} for reading"), File::open(&link), |_| vec![]));
    r.push(open_write(&link));
}

/// `plant DIR TARGET`: symlinks in a volume that point out of the root:
/// `DIR/link -> TARGET` and `DIR/up -> ../../..` (far past `/`).
fn plant(r: &mut ProbeReport, args: &[String]) -> anyhow::Result<()> {
    let [dir, target] = args else { bail!("usage: plant DIR TARGET") };
    let up = "../".repeat(16);
    for (name, to) in [("link", target.as_str()), ("up", up.trim_end_matches('/'))] {
        let link = format!("{dir}/{name}");
        r.push(Attempt::of(format!("symlink {link} -> {to}"), std::os::unix::fs::symlink(to, &link), |_| vec![]));
    }
    Ok(())
}
