//! A plan turned into everything the Windows spawn needs, with no Win32
//! call: the AppContainer name and SID, capability SIDs, the job's name and
//! limits, the directories to create, the ACL grants, the program, command
//! line, environment block and working directory. Whatever the plan asks
//! for that Windows cannot enforce is refused here, before anything starts.

use crate::acl::{Access, Grant, grants_for};
use crate::appcontainer::{Capability, Sid, derive_sid, network_capabilities, profile_name};
use crate::cmdline::{CmdlineError, command_line};
use crate::envblock::{EnvBlockError, EnvContext, block, environment};
use crate::job::{JobLimitError, JobLimits, job_limits, job_name};
use cove_core::id::ContainerId;
use cove_core::plan::{Namespace, Plan};
use cove_core::sandbox::{Layout, Place, Unsupported, layout};
use std::path::Path;

/// Host facts the translation needs.
#[derive(Clone, Debug)]
pub struct Context {
    /// The container's id (names the profile and the job).
    pub id: ContainerId,
    /// The per-container directory (a host path, created by the spawn).
    pub container_dir: String,
    /// `%SystemRoot%`.
    pub system_root: String,
    /// Logical processors.
    pub cpus: u32,
}

/// Everything the spawn carries out, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WindowsPlan {
    /// AppContainer profile name.
    pub profile: String,
    /// Its SID (what `DeriveAppContainerSidFromAppContainerName` returns).
    pub sid: Sid,
    /// Capability SIDs of the token.
    pub capabilities: Vec<Capability>,
    /// Name of the container's Job Object.
    pub job_name: String,
    /// Its limits.
    pub job: JobLimits,
    /// Host directories to create, parents first.
    pub dirs: Vec<String>,
    /// Files to write: host path, contents.
    pub files: Vec<(String, String)>,
    /// Access entries to add (and to revoke at the end).
    pub grants: Vec<Grant>,
    /// argv\[0\] as given, and the candidates to look it up as, in order.
    pub program: (String, Vec<String>),
    /// The command line.
    pub command_line: String,
    /// The environment block.
    pub env_block: Vec<u16>,
    /// Working directory (host path).
    pub cwd: String,
    /// Connect the caller's stdin (otherwise `NUL`).
    pub stdin: bool,
}

/// Why a plan cannot run on Windows.
#[derive(Debug, thiserror::Error)]
pub enum TranslateError {
    /// A feature this backend does not have.
    #[error(transparent)]
    Unsupported(#[from] Unsupported),
    /// A limit the job cannot express.
    #[error(transparent)]
    Job(#[from] JobLimitError),
    /// An argv no command line can carry.
    #[error(transparent)]
    Cmdline(#[from] CmdlineError),
    /// An environment no block can carry.
    #[error(transparent)]
    Env(#[from] EnvBlockError),
    /// A container path with characters Windows file names cannot hold.
    #[error("container path {0:?} cannot be represented on Windows (one of \\ : * ? \" < > | in a component)")]
    Path(String),
}

/// Translates `plan`; `source_exists` decides optional bind sources.
pub fn translate(
    plan: &Plan,
    cx: &Context,
    source_exists: &dyn Fn(&Path) -> bool,
) -> Result<WindowsPlan, TranslateError> {
    let lay = layout(plan, "windows", source_exists)?;
    let profile = profile_name(&cx.id);
    let sid = derive_sid(&profile);
    let host = |p: &str| host_path(&lay, &cx.container_dir, p);
    let mut dirs = Vec::new();
    for d in lay.dirs.iter().chain(lay.scratch.iter().map(|s| &s.0)) {
        dirs.push(host(d)?);
    }
    let files = lay.files.iter().map(|(p, c)| Ok((host(p)?, c.clone()))).collect::<Result<_, TranslateError>>()?;
    let sid_text = sid.to_string();
    let mut grants = grants_for(&cx.container_dir, &sid_text, Access { write: !lay.read_only_root, exec: true });
    for (dest, read_only, noexec) in &lay.scratch {
        grants.extend(grants_for(&host(dest)?, &sid_text, Access { write: !read_only, exec: !noexec }));
    }
    for v in &lay.volumes {
        let access = Access { write: !v.read_only, exec: !v.noexec };
        grants.extend(grants_for(&v.source.display().to_string(), &sid_text, access));
    }
    let home = plan.process.env.iter().find(|(k, _)| k == "HOME").map_or("/root", |(_, v)| v.as_str());
    let env_cx = EnvContext {
        system_root: cx.system_root.clone(),
        home: host(home)?,
        temp: host("/tmp")?,
        hostname: plan.hostname.clone(),
    };
    let env = environment(&plan.process.env, &env_cx);
    let argv0 = plan.process.args.first().cloned().unwrap_or_default();
    let candidates = program_candidates(&argv0, &env, &host)?;
    Ok(WindowsPlan {
        profile,
        capabilities: network_capabilities(plan.namespaces.contains(&Namespace::Net)),
        sid,
        job_name: job_name(&cx.id),
        job: job_limits(&plan.limits, cx.cpus)?,
        dirs,
        files,
        grants,
        command_line: command_line(&plan.process.args)?,
        env_block: block(&env)?,
        program: (argv0, candidates),
        cwd: host(&plan.process.cwd)?,
        stdin: plan.process.stdin,
    })
}

/// The host path of a container path.
fn host_path(lay: &Layout, container_dir: &str, path: &str) -> Result<String, TranslateError> {
    let (base, parts) = match lay.place(path) {
        Place::ContainerDir(parts) => (container_dir.to_owned(), parts),
        Place::Volume(source, parts) => (source.display().to_string(), parts),
    };
    if parts.iter().any(|p| p.contains(['\\', ':', '*', '?', '"', '<', '>', '|'])) {
        return Err(TranslateError::Path(path.to_owned()));
    }
    Ok(parts.iter().fold(base, |acc, p| format!("{acc}\\{p}")))
}

/// Where to look for the program: a container path (`/…`) is mapped onto
/// the host; a Windows path (with `\` or `:`) is taken as it is; a bare
/// name is tried in each `PATH` directory of the container's environment,
/// with each `PATHEXT` extension when it has none.
fn program_candidates(
    argv0: &str,
    env: &[(String, String)],
    host: &dyn Fn(&str) -> Result<String, TranslateError>,
) -> Result<Vec<String>, TranslateError> {
    if argv0.starts_with('/') {
        return Ok(vec![host(argv0)?]);
    }
    if argv0.contains(['\\', ':']) {
        return Ok(vec![argv0.to_owned()]);
    }
    // The last setting of a name wins, in any case.
    let var = |name: &str| env.iter().rev().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str());
    let has_ext = Path::new(argv0).extension().is_some();
    let exts: Vec<&str> = if has_ext { vec![""] } else { var("PATHEXT").unwrap_or(".EXE").split(';').collect() };
    let dirs = var("PATH").unwrap_or_default().split(';').filter(|d| !d.is_empty());
    Ok(dirs
        .flat_map(|d| exts.iter().map(move |e| format!("{}\\{argv0}{}", d.trim_end_matches('\\'), e.to_lowercase())))
        .collect())
}

#[cfg(test)]
mod tests;
