//! `cove exec`: the plan for a process that joins a running container.
//!
//! [`ExecPlan::build`] is pure: from the container's own [`Plan`] (as it was
//! started) and the exec flags ([`ExecRequest`]) it decides which namespaces
//! are joined and in which order, and the [`ProcessPlan`] of the new
//! process: the container's environment with the exec's `-e` on top, the
//! user resolved against the container's own `/etc/passwd` and `/etc/group`
//! text, and the container's capabilities, `no_new_privs`, seccomp profile
//! and umask. An exec never gets more than the container has.

use crate::env::{Env, EnvError};
use crate::plan::{IdRange, Namespace, Plan, ProcessPlan};
use crate::rootpath::{PathError, normalize};
use crate::user::{self, UserError};
use serde::{Deserialize, Serialize};

/// The exec flags, as given (`cove exec [-i] [-t] [-e K=V] [-u U] [-w DIR] [-d] CMD...`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ExecRequest {
    /// The command and its arguments.
    pub args: Vec<String>,
    /// `-e` values (`KEY=VALUE`, or `KEY` to copy the caller's value).
    pub env: Vec<String>,
    /// `-u`: `NAME|UID[:GROUP|GID]`; `None` keeps the container's user.
    pub user: Option<String>,
    /// `-w`: absolute working directory; `None` keeps the container's.
    pub workdir: Option<String>,
    /// `-t`: a pseudo-terminal.
    pub tty: bool,
    /// `-i`: connect stdin.
    pub stdin: bool,
    /// `-d`: start it and return.
    pub detach: bool,
}

/// The container's user database (`/etc/passwd`, `/etc/group` text), read
/// inside its root.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UserDatabase {
    /// `/etc/passwd`.
    pub passwd: String,
    /// `/etc/group`.
    pub group: String,
}

/// Everything a backend needs to join a container and run one process.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExecPlan {
    /// The container's namespaces to enter, in the order they are entered.
    pub join: Vec<Namespace>,
    /// Whether `setgroups` is allowed in the container's user namespace.
    pub setgroups: bool,
    /// The process, with the container's capabilities, no_new_privs and seccomp.
    pub process: ProcessPlan,
    /// Start and return without waiting (`-d`): no terminal, stdio on /dev/null.
    pub detach: bool,
}

/// An exec request that cannot be planned.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ExecError {
    /// No command was given.
    #[error("no command given: cove exec CONTAINER COMMAND [ARG...]")]
    NoCommand,
    /// `-u` names a user or group the container does not have.
    #[error(transparent)]
    User(#[from] UserError),
    /// A bad `-e`.
    #[error(transparent)]
    Env(#[from] EnvError),
    /// A bad `-w`.
    #[error("invalid --workdir: {0}")]
    Workdir(#[from] PathError),
    /// A user or group outside the container's id map.
    #[error("{kind} {id} is not mapped in the container's user namespace")]
    Unmapped {
        /// `uid` or `gid`.
        kind: &'static str,
        /// The id.
        id: u32,
    },
    /// `-d` with `-t`: nobody would hold the terminal.
    #[error("-d with -t is not supported yet: no monitor holds a detached exec's terminal (use -d alone)")]
    DetachedTerminal,
}

/// The order namespaces are entered in. ORDER: the user namespace first,
/// because it grants the capabilities (in the container's namespace) that
/// entering the others needs (setns(2)); then mount, pid, uts, ipc, net,
/// cgroup.
pub const JOIN_ORDER: [Namespace; 7] = [
    Namespace::User,
    Namespace::Mount,
    Namespace::Pid,
    Namespace::Uts,
    Namespace::Ipc,
    Namespace::Net,
    Namespace::Cgroup,
];

/// The container's namespaces in [`JOIN_ORDER`].
pub fn join_order(namespaces: &[Namespace]) -> Vec<Namespace> {
    JOIN_ORDER.iter().copied().filter(|ns| namespaces.contains(ns)).collect()
}

impl ExecPlan {
    /// Plans an exec into `container`. `lookup` gives the caller's variables
    /// for `-e KEY` without a value.
    pub fn build(
        container: &Plan,
        req: &ExecRequest,
        db: &UserDatabase,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<ExecPlan, ExecError> {
        if req.args.is_empty() {
            return Err(ExecError::NoCommand);
        }
        if req.detach && req.tty {
            return Err(ExecError::DetachedTerminal);
        }
        let base = &container.process;
        let (uid, gid, mut groups, home) = match &req.user {
            None => (base.uid, base.gid, base.groups.clone(), None),
            Some(spec) => {
                let ids = user::resolve(Some(spec), &db.passwd, &db.group)?;
                (ids.uid, ids.gid, ids.groups, Some(ids.home))
            }
        };
        check_mapped("uid", uid, &container.id_map.uids)?;
        check_mapped("gid", gid, &container.id_map.gids)?;
        if !container.id_map.setgroups {
            groups.clear();
        }
        let cwd = match &req.workdir {
            Some(w) => normalize(w)?,
            None => base.cwd.clone(),
        };
        let env = environment(&base.env, uid != base.uid, home.as_deref(), req, lookup)?;
        let process = ProcessPlan {
            args: req.args.clone(),
            env,
            cwd,
            uid,
            gid,
            groups,
            terminal: req.tty,
            stdin: req.stdin && !req.detach,
            ..base.clone()
        };
        Ok(ExecPlan {
            join: join_order(&container.namespaces),
            setgroups: container.id_map.setgroups,
            process,
            detach: req.detach,
        })
    }
}

/// The container's environment, then HOME for another user, TERM for `-t`,
/// then `-e` (Docker's exec: the container's variables, with the exec's on top).
fn environment(
    base: &[(String, String)],
    other_user: bool,
    home: Option<&str>,
    req: &ExecRequest,
    lookup: impl Fn(&str) -> Option<String>,
) -> Result<Vec<(String, String)>, EnvError> {
    let mut env = Env::default();
    for (k, v) in base {
        env.set(k, v);
    }
    if let (true, Some(home)) = (other_user, home) {
        env.set("HOME", home);
    }
    if req.tty {
        env.set_default("TERM", "xterm");
    }
    for e in &req.env {
        env.apply_arg(e, &lookup)?;
    }
    Ok(env.into_vec())
}

fn check_mapped(kind: &'static str, id: u32, ranges: &[IdRange]) -> Result<(), ExecError> {
    let mapped = ranges.iter().any(|r| id >= r.inside && u64::from(id) < u64::from(r.inside) + u64::from(r.count));
    if mapped { Ok(()) } else { Err(ExecError::Unmapped { kind, id }) }
}

#[cfg(test)]
mod tests;
