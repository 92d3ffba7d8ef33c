//! `privilege`: operations that need a privilege the container must not
//! have. The protections are the capability sets (`--cap-add` turns them
//! off), the seccomp profile (`--security-opt seccomp=unconfined`), the
//! user namespace (capabilities there do not count for the host: no flag
//! turns that off) and read-only mounts of `/proc/sys` and `/sys` (no flag
//! either). `--weaken` runs each probe on the host.

use super::runner::{Env, ProbeRun};
use super::verdict::{Outcome, all_denied, seccomp_hint};
use super::{Category, Check, judged};
use cove_backend_linux::selftest::{EACCES, EAFNOSUPPORT, ENOENT, ENOSPC, ENOSYS, EPERM, EPROTONOSUPPORT, EROFS};

/// The `privilege` checks.
pub const CHECKS: &[Check] = &[
    Check {
        name: "ptrace-init",
        category: Category::Privilege,
        proves: "the command cannot ptrace or read the memory of the container's init (cove, holding every capability of the container's user namespace)",
        run: ptrace_init,
    },
    Check {
        name: "mount",
        category: Category::Privilege,
        proves: "the command cannot mount a filesystem (a tmpfs, or a clone of /)",
        run: mount,
    },
    Check {
        name: "unshare-userns",
        category: Category::Privilege,
        proves: "the command cannot create a nested user namespace (where it would hold every capability again)",
        run: unshare_userns,
    },
    Check {
        name: "unshare-ns",
        category: Category::Privilege,
        proves: "the command cannot create mount, network, UTS, IPC, pid or cgroup namespaces",
        run: unshare_ns,
    },
    Check {
        name: "keyring",
        category: Category::Privilege,
        proves: "the command cannot use the kernel keyring, which is not namespaced (add_key, keyctl)",
        run: keyring,
    },
    Check {
        name: "kernel-module",
        category: Category::Privilege,
        proves: "the command cannot load a kernel module (init_module, finit_module stop at the permission check)",
        run: kernel_module,
    },
    Check {
        name: "raw-socket",
        category: Category::Privilege,
        proves: "without NET_RAW (the check drops it unless --cap-add grants it), the command cannot open raw sockets",
        run: raw_socket,
    },
    Check {
        name: "proc-sys",
        category: Category::Privilege,
        proves: "kernel settings in /proc/sys and /proc/sysrq-trigger cannot be opened for writing",
        run: proc_sys,
    },
    Check {
        name: "sysfs",
        category: Category::Privilege,
        proves: "kernel settings in /sys cannot be opened for writing",
        run: sysfs,
    },
];

fn ptrace_init(env: &Env) -> anyhow::Result<Outcome> {
    // Weakened, the target is a host process of the caller's own.
    let sleeper = if env.weaken { Some(env.sleeper()?) } else { None };
    let run = match &sleeper {
        Some(s) => ProbeRun::new("ptrace", [s.pid()]).on_host(true),
        None => ProbeRun::new("ptrace", [1]).flags(["--init"]),
    };
    judged(env, run, |r| all_denied(&r.attempts, &[EPERM, EACCES]))
}

fn mount(env: &Env) -> anyhow::Result<Outcome> {
    let run = ProbeRun::new::<&str>("mount", []).on_host(env.weaken);
    judged(env, run, |r| all_denied(&r.attempts, &[EPERM, ENOSYS]))
}

fn unshare_userns(env: &Env) -> anyhow::Result<Outcome> {
    let run = ProbeRun::new::<&str>("unshare-user", []).on_host(env.weaken);
    judged(env, run, |r| {
        let out = all_denied(r.attempts.iter().filter(|a| a.what.starts_with("unshare")), &[EPERM, ENOSPC, ENOSYS]);
        Outcome { evidence: format!("{}{}", out.evidence, seccomp_hint(r)), ..out }
    })
}

fn unshare_ns(env: &Env) -> anyhow::Result<Outcome> {
    let run = ProbeRun::new::<&str>("unshare-other", []).on_host(env.weaken);
    judged(env, run, |r| all_denied(&r.attempts, &[EPERM, ENOSYS]))
}

fn keyring(env: &Env) -> anyhow::Result<Outcome> {
    let run = ProbeRun::new::<&str>("keyring", []).on_host(env.weaken);
    judged(env, run, |r| {
        let tries = r.attempts.iter().filter(|a| !a.what.starts_with("read /proc"));
        let out = all_denied(tries, &[EPERM, EACCES, ENOSYS]);
        Outcome { evidence: format!("{}{}", out.evidence, seccomp_hint(r)), ..out }
    })
}

fn kernel_module(env: &Env) -> anyhow::Result<Outcome> {
    // Any answer but EPERM means the capability check passed and the
    // kernel went on to parse the (garbage) image. ENOSYS from both calls
    // is the kernel's own (cove's seccomp profile answers EPERM): it was
    // built without modules, so there is nothing to show either way.
    let run = ProbeRun::new::<&str>("module", []).on_host(env.weaken);
    judged(env, run, |r| {
        let out = all_denied(&r.attempts, &[EPERM, ENOSYS]);
        if !r.attempts.is_empty() && r.attempts.iter().all(|a| a.errno == Some(ENOSYS)) {
            return Outcome::skip(format!("{}: this kernel cannot load modules at all", out.evidence));
        }
        out
    })
}

fn raw_socket(env: &Env) -> anyhow::Result<Outcome> {
    let granted = env.flags.grants("NET_RAW");
    let mut run = ProbeRun::new::<&str>("raw-socket", []).on_host(env.weaken);
    if !granted {
        run = run.flags(["--cap-drop", "NET_RAW"]);
    }
    let why = match (env.weaken, granted) {
        (true, _) => "on the host",
        (false, true) => "NET_RAW granted by --cap-add",
        (false, false) => "run with --cap-drop NET_RAW",
    };
    let out = judged(env, run, |r| all_denied(&r.attempts, &[EPERM, EACCES, EAFNOSUPPORT, EPROTONOSUPPORT]))?;
    Ok(Outcome { evidence: format!("{why}: {}", out.evidence), ..out })
}

fn proc_sys(env: &Env) -> anyhow::Result<Outcome> {
    let paths = ["/proc/sys/kernel/hostname", "/proc/sys/kernel/core_pattern", "/proc/sys/vm/drop_caches"];
    let run = ProbeRun::new("open-write", paths.iter().chain(&["/proc/sysrq-trigger"])).on_host(env.weaken);
    judged(env, run, |r| all_denied(&r.attempts, &[EROFS, EACCES, EPERM, ENOENT]))
}

/// Writable-by-root files of `/sys/kernel`; kernels have some of them.
const SYSFS_FILES: &[&str] = &[
    "/sys/kernel/uevent_helper",
    "/sys/kernel/profiling",
    "/sys/kernel/rcu_expedited",
    "/sys/kernel/mm/transparent_hugepage/enabled",
];

fn sysfs(env: &Env) -> anyhow::Result<Outcome> {
    let run = ProbeRun::new("open-write", SYSFS_FILES).on_host(env.weaken);
    judged(env, run, |r| {
        let present: Vec<_> = r.attempts.iter().filter(|a| a.errno != Some(ENOENT)).collect();
        if present.is_empty() {
            return Outcome::skip(format!("none of {} exists on this kernel", SYSFS_FILES.join(", ")));
        }
        all_denied(present, &[EROFS, EACCES, EPERM])
    })
}
