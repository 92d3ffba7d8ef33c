//! `cove exec`: run a command in a running container by joining it (its
//! namespaces, cgroups, root, capabilities, no_new_privs and seccomp),
//! never by starting a new sandbox.
//!
//! The container's record gives its first process (pid and start time, so
//! a reused pid is refused) and its spec, planned again as `run` planned
//! it. The hidden test entries `__plan` (print the plan `run` would carry
//! out) and `__join` (join the process `--pid` with the plan in `--plan`)
//! exercise the same path without the store.

use crate::cli::{ContainerExecArgs, ExecArgs, JoinArgs, RunArgs};
use crate::containers::{self, HostLiveness};
use crate::output::Exit;
use crate::{output, platform, request};
use anyhow::Context;
use cove_core::backend::Backend;
use cove_core::exec::{ExecPlan, ExecRequest};
use cove_core::plan::Plan;
use platform::join;

/// `cove exec [FLAGS] CONTAINER COMMAND...`.
pub fn run(mut args: ContainerExecArgs) -> anyhow::Result<i32> {
    let mut from_files = env_files(&args.exec.env_file)?;
    from_files.append(&mut args.exec.env);
    args.exec.env = from_files;
    anyhow::ensure!(
        !args.exec.privileged,
        "exec --privileged is not supported: cove never grants host privileges\n\
         hint: start the container with the capabilities it needs (cove run --cap-add CAP)"
    );
    let (store, _) = containers::open()?;
    let record = containers::find(&store, &args.container)?;
    let not_running =
        || anyhow::Error::from(Exit { code: 1, message: format!("container {} is not running", args.container) });
    let Some(init) = record.running_init(&HostLiveness::new()) else {
        return Err(not_running());
    };
    let target = join::Target { pid: init.pid, start_time: Some(init.start_time) };
    let plan = Plan::build(&record.spec, platform::backend().host_identity())
        .with_context(|| format!("plan of container {}", args.container))?;
    // The container may end between the record and the pin.
    let pinned = join::pin(&target).map_err(|e| if e.is_not_running() { not_running() } else { e.into() })?;
    exec_in(&plan, &pinned, &args.exec, args.args, join::Method::Pidfd)
}

/// `cove __plan RUN-FLAGS`: the plan as JSON on stdout.
pub fn plan(args: RunArgs) -> anyhow::Result<i32> {
    let host = platform::backend().host_identity();
    let (spec, _hold) = request::run_spec(args, host.uid)?;
    let plan = Plan::build(&spec, host).context("invalid run request")?;
    println!("{}", serde_json::to_string(&plan)?);
    Ok(0)
}

/// `cove __join --pid PID --plan FILE [EXEC FLAGS] COMMAND...`.
pub fn join(args: JoinArgs) -> anyhow::Result<i32> {
    let text = std::fs::read_to_string(&args.plan).with_context(|| format!("read {}", args.plan.display()))?;
    let container: Plan = serde_json::from_str(&text).with_context(|| format!("parse {}", args.plan.display()))?;
    let pinned = join::pin(&join::Target { pid: args.pid, start_time: args.start_time })?;
    let method = if args.ns_fds { join::Method::Descriptors } else { join::Method::Pidfd };
    exec_in(&container, &pinned, &args.exec, args.args, method)
}

/// Plans the exec against the pinned container's user database and runs it.
fn exec_in(
    container: &Plan,
    pinned: &join::Pinned,
    flags: &ExecArgs,
    args: Vec<String>,
    method: join::Method,
) -> anyhow::Result<i32> {
    let db = pinned.user_database()?;
    let plan = ExecPlan::build(container, &request(flags, args), &db, |k| std::env::var(k).ok())?;
    if flags.interactive && !flags.tty && !flags.detach {
        crate::stdin_relay::pipe_file_stdin()?;
    }
    let outcome = join::exec_with(pinned, &plan, method)?;
    Ok(output::run_outcome(&outcome))
}

fn request(flags: &ExecArgs, args: Vec<String>) -> ExecRequest {
    ExecRequest {
        args,
        env: flags.env.clone(),
        user: flags.user.clone(),
        workdir: flags.workdir.clone(),
        tty: flags.tty,
        stdin: flags.interactive,
        detach: flags.detach,
    }
}

/// `exec --env-file`: `KEY=VALUE` lines as `-e` entries (`#` comments and
/// blank lines skipped; a bare `KEY` copies the caller's value, as `-e KEY`).
fn env_files(files: &[std::path::PathBuf]) -> anyhow::Result<Vec<String>> {
    let mut out = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(f).with_context(|| format!("--env-file {}", f.display()))?;
        let lines = text.lines().map(|l| l.trim_start()).filter(|l| !l.is_empty() && !l.starts_with('#'));
        out.extend(lines.map(str::to_owned));
    }
    Ok(out)
}
