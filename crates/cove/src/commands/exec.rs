//! `cove exec`: run a command in a running container by joining it (its
//! namespaces, cgroups, root, capabilities, no_new_privs and seccomp),
//! never by starting a new sandbox.
//!
//! Until the container store exists (issue 5, lifecycle), only the hidden
//! test entries are here: `__plan` prints the plan `run` would carry out,
//! and `__join` joins the container whose first process is `--pid`, given
//! that plan. `cove exec CONTAINER` will take both from the store's record.

use crate::cli::{ExecArgs, JoinArgs, RunArgs};
use crate::{output, platform, request};
use anyhow::Context;
use cove_core::backend::Backend;
use cove_core::exec::{ExecPlan, ExecRequest};
use cove_core::plan::Plan;
use platform::join;

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
    let target = join::Target { pid: args.pid, start_time: args.start_time };
    let method = if args.ns_fds { join::Method::Descriptors } else { join::Method::Pidfd };
    exec_in(&container, target, &args.exec, args.args, method)
}

/// Pins the container, plans the exec against its user database, runs it.
fn exec_in(
    container: &Plan,
    target: join::Target,
    flags: &ExecArgs,
    args: Vec<String>,
    method: join::Method,
) -> anyhow::Result<i32> {
    let pinned = join::pin(&target)?;
    let db = pinned.user_database()?;
    let plan = ExecPlan::build(container, &request(flags, args), &db, |k| std::env::var(k).ok())?;
    let outcome = join::exec_with(&pinned, &plan, method)?;
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
