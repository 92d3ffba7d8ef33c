//! `volumes`: a volume destination never lands on the host. Protection:
//! every container path is resolved inside the new root
//! (`openat2(RESOLVE_IN_ROOT)`), so a symlink the container planted in a
//! volume, or `..`, cannot lead a later mount out of it. No flag turns that
//! off; `--weaken` also binds the host directory the links point at into the
//! container at the same path, so that the path *is* reachable.

use super::runner::{Env, ProbeRun, Ran};
use super::verdict::{Outcome, describe};
use super::{Category, Check};
use anyhow::Context;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// The `volumes` checks.
pub const CHECKS: &[Check] = &[
    Check {
        name: "volume-symlink",
        category: Category::Volumes,
        proves: "symlinks a container plants in a writable volume (to a host dir, and ../.. past /) do not make a later container's mount create anything on the host",
        run: volume_symlink,
    },
    Check {
        name: "volume-dotdot",
        category: Category::Volumes,
        proves: "`..` in a volume destination stays inside the container's root",
        run: volume_dotdot,
    },
];

/// A writable volume source, an empty host directory that hostile links
/// aim at, and a file to mount.
struct Setup {
    src: PathBuf,
    target: PathBuf,
    payload: PathBuf,
}

fn setup(env: &Env, name: &str) -> anyhow::Result<Setup> {
    let base = env.scratch.join(name);
    let s = Setup { src: base.join("src"), target: base.join("target"), payload: base.join("payload") };
    for dir in [&s.src, &s.target] {
        std::fs::create_dir_all(dir).with_context(|| format!("create {}", dir.display()))?;
    }
    // Writable for whichever user the container runs as.
    std::fs::set_permissions(&s.src, std::fs::Permissions::from_mode(0o777))?;
    std::fs::write(&s.payload, "cove selftest payload\n").context("write the payload")?;
    Ok(s)
}

/// Runs the probe with `flags` (plus, weakened, the target bound at its
/// own path); then reports what appeared in the host target, clearing it.
fn attempt(env: &Env, s: &Setup, flags: &[String], dest: &str) -> anyhow::Result<(Ran, Vec<String>)> {
    let mut all = Vec::new();
    if env.weaken {
        all.extend(["-v".to_owned(), format!("{0}:{0}", s.target.display())]);
    }
    all.extend_from_slice(flags);
    all.extend(["-v".to_owned(), format!("{}:{dest}:ro", s.payload.display())]);
    let ran = env.run(ProbeRun::new("read", [dest]).flags(all))?;
    let mut created = Vec::new();
    for entry in std::fs::read_dir(&s.target).context("list the host target")?.flatten() {
        created.push(entry.path().display().to_string());
        let _ = std::fs::remove_file(entry.path()).or_else(|_| std::fs::remove_dir_all(entry.path()));
    }
    Ok((ran, created))
}

/// How one mount attempt ended, and whether that is consistent with the
/// host being untouched.
fn judge(label: &str, ran: &Ran, created: &[String]) -> (bool, String) {
    if !created.is_empty() {
        return (false, format!("{label}: created on the host: {}", created.join(", ")));
    }
    match (&ran.report, ran.code) {
        (Some(r), Some(0)) => {
            let read = match r.attempts.first() {
                Some(a) if a.succeeded() => format!("payload read back, {}", a.found.join(" ")),
                Some(a) => describe(a),
                None => "no read".to_owned(),
            };
            (true, format!("{label}: landed inside the container's own root ({read})"))
        }
        (None, Some(125)) => (true, format!("{label}: refused ({})", ran.first_error())),
        (_, code) => (false, format!("{label}: unexpected end ({code:?}): {}", ran.first_error())),
    }
}

fn volume_symlink(env: &Env) -> anyhow::Result<Outcome> {
    let s = setup(env, "volume-symlink")?;
    let vol = ["-v".to_owned(), format!("{}:/vol", s.src.display())];
    // 1. one container plants the links in the volume it may write
    let target = s.target.display().to_string();
    let planted = env.run(ProbeRun::new("plant", ["/vol", target.as_str()]).flags(&vol))?;
    let failed_plant = planted.report.as_ref().map(|r| r.attempts.iter().find(|a| !a.succeeded()).map(describe));
    match failed_plant {
        None => return Ok(Outcome::skip(format!("could not plant the links: {}", planted.first_error()))),
        Some(Some(why)) => return Ok(Outcome::skip(format!("could not plant the links: {why}"))),
        Some(None) => {}
    }
    // 2. later containers mount a file through each link
    let mut evidence = vec![format!("planted /vol/link -> {target} and /vol/up -> ../../..")];
    let mut held = true;
    for (label, dest) in [("through link", "/vol/link/abs".to_owned()), ("through up", format!("/vol/up{target}/rel"))]
    {
        let (ran, created) = attempt(env, &s, &vol, &dest)?;
        let (ok, what) = judge(label, &ran, &created);
        held &= ok;
        evidence.push(what);
    }
    evidence.push(format!("host {} {}", target, if held { "untouched" } else { "reached" }));
    Ok(if held { Outcome::pass(evidence.join("; ")) } else { Outcome::fail(evidence.join("; ")) })
}

fn volume_dotdot(env: &Env) -> anyhow::Result<Outcome> {
    let s = setup(env, "volume-dotdot")?;
    let dest = format!("/../../..{}/dotdot", s.target.display());
    let (ran, created) = attempt(env, &s, &[], &dest)?;
    let (ok, what) = judge(&format!("-v …:{dest}"), &ran, &created);
    let evidence = format!("{what}; host {} {}", display(&s.target), if ok { "untouched" } else { "reached" });
    Ok(if ok { Outcome::pass(evidence) } else { Outcome::fail(evidence) })
}

fn display(p: &Path) -> String {
    p.display().to_string()
}
