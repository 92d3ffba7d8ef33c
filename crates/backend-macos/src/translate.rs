//! A plan turned into what the macOS spawn needs, with no I/O of its own:
//! the Seatbelt profile, the directories and files to create in the
//! container dir, the program's candidates, the environment and the working
//! directory. What macOS cannot enforce is refused here, before spawning.

use crate::profile::{Area, ProfileInput, SYSTEM_READ, render};
use crate::sbpl::UnquotablePath;
use cove_core::id::ContainerId;
use cove_core::plan::{Namespace, Plan};
use cove_core::sandbox::{Layout, Place, Unsupported, layout};
use std::path::Path;

/// Host facts the translation needs.
pub struct Context<'a> {
    /// The container's id.
    pub id: ContainerId,
    /// The per-container directory (resolved host path).
    pub container_dir: String,
    /// A host path resolved (symlinks followed, as the kernel checks them),
    /// or `None` when it does not exist.
    pub resolve: &'a dyn Fn(&str) -> Option<String>,
}

/// Everything the spawn carries out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MacPlan {
    /// The SBPL profile.
    pub profile: String,
    /// Host directories to create, parents first.
    pub dirs: Vec<String>,
    /// Files to write: host path, contents.
    pub files: Vec<(String, String)>,
    /// argv as given.
    pub args: Vec<String>,
    /// Host paths to try for argv\[0\], in order.
    pub candidates: Vec<String>,
    /// The environment.
    pub env: Vec<(String, String)>,
    /// Working directory (host path).
    pub cwd: String,
    /// Connect the caller's stdin (otherwise `/dev/null`).
    pub stdin: bool,
}

/// Why a plan cannot run on macOS.
#[derive(Debug, thiserror::Error)]
pub enum TranslateError {
    /// A feature this backend does not have.
    #[error(transparent)]
    Unsupported(#[from] Unsupported),
    /// A path the profile cannot hold.
    #[error(transparent)]
    Profile(#[from] UnquotablePath),
}

/// Translates `plan`.
pub fn translate(plan: &Plan, cx: &Context) -> Result<MacPlan, TranslateError> {
    let lay = layout(plan, "macos", &|p: &Path| (cx.resolve)(&p.display().to_string()).is_some())?;
    let host = |p: &str| host_path(&lay, &cx.container_dir, p);
    let dirs = lay.dirs.iter().chain(lay.scratch.iter().map(|s| &s.0)).map(|d| host(d)).collect();
    let files = lay.files.iter().map(|(p, c)| (host(p), c.clone())).collect();
    let mut areas = vec![Area { path: cx.container_dir.clone(), write: !lay.read_only_root, exec: true }];
    areas.extend(lay.scratch.iter().map(|(d, ro, noexec)| Area { path: host(d), write: !ro, exec: !noexec }));
    for v in &lay.volumes {
        let source = v.source.display().to_string();
        let path = (cx.resolve)(&source).unwrap_or(source);
        areas.push(Area { path, write: !v.read_only, exec: !v.noexec });
    }
    let mut read: Vec<String> = SYSTEM_READ.iter().map(|s| s.to_string()).collect();
    for m in lay.mirrors.iter().filter_map(|m| (cx.resolve)(m)) {
        if !read.iter().any(|r| m == *r || m.starts_with(&format!("{r}/"))) {
            read.push(m);
        }
    }
    // Not /dev/tty: it would be the caller's terminal (there is no new session).
    let devices = lay.devices.iter().filter(|d| *d != "tty").map(|d| format!("/dev/{d}")).collect();
    let input = ProfileInput {
        comment: format!("cove container {}", cx.id.short()),
        read,
        devices,
        areas,
        network: !plan.namespaces.contains(&Namespace::Net),
    };
    let env = environment(&plan.process.env, &host);
    let argv0 = plan.process.args.first().cloned().unwrap_or_default();
    let cwd = host(&plan.process.cwd);
    Ok(MacPlan {
        profile: render(&input)?,
        dirs,
        files,
        candidates: candidates(&lay, &argv0, &env, &cwd),
        args: plan.process.args.clone(),
        env,
        cwd,
        stdin: plan.process.stdin,
    })
}

/// Container paths in the container dir or a volume; anything else is a
/// host path of the same name (host paths are what the process sees).
fn host_path(lay: &Layout, container_dir: &str, path: &str) -> String {
    let (base, parts) = match lay.place(path) {
        Place::ContainerDir(parts) => (container_dir.to_owned(), parts),
        Place::Volume(source, parts) => (source.display().to_string(), parts),
    };
    parts.iter().fold(base, |acc, p| format!("{}/{p}", acc.trim_end_matches('/')))
}

/// `HOME` and `TMPDIR` moved into the container dir; the rest as planned.
fn environment(plan_env: &[(String, String)], host: &dyn Fn(&str) -> String) -> Vec<(String, String)> {
    let mut env: Vec<(String, String)> =
        plan_env.iter().map(|(k, v)| (k.clone(), if k == "HOME" { host(v) } else { v.clone() })).collect();
    if !env.iter().any(|(k, _)| k == "TMPDIR") {
        env.push(("TMPDIR".into(), host("/tmp")));
    }
    env
}

/// Where argv\[0\] may be: a path in a volume mapped onto its source, any
/// other absolute path as it is, a relative path below the working dir, a
/// bare name in each `PATH` directory.
fn candidates(lay: &Layout, argv0: &str, env: &[(String, String)], cwd: &str) -> Vec<String> {
    let mapped = |p: &str| match lay.place(p) {
        Place::Volume(source, parts) => parts.iter().fold(source.display().to_string(), |a, c| format!("{a}/{c}")),
        Place::ContainerDir(_) => p.to_owned(),
    };
    if argv0.starts_with('/') {
        return vec![mapped(argv0)];
    }
    if argv0.contains('/') {
        return vec![format!("{cwd}/{argv0}")];
    }
    let path = env.iter().rev().find(|(k, _)| k == "PATH").map_or("", |(_, v)| v.as_str());
    path.split(':')
        .filter(|d| d.starts_with('/'))
        .map(|d| format!("{}/{argv0}", mapped(d).trim_end_matches('/')))
        .collect()
}
