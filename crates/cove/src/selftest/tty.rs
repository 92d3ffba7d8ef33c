//! `tty`: no keystrokes pushed into the caller's terminal (TIOCSTI, the
//! CVE-2017-5226 class). Protection: the command always starts a new
//! session, so the caller's terminal is never its controlling terminal, and
//! TIOCSTI on a terminal that is not one's own needs `CAP_SYS_ADMIN` of the
//! host. No flag turns that off; `--weaken` runs the probe on the host.
//!
//! The caller's real terminal is never used: the check makes a new
//! pseudo-terminal and gives it to `cove run` the way a shell would (as its
//! controlling terminal and stdin, with `-i`), so nothing can ever be typed
//! into the caller's shell, even when the check fails.

use super::runner::{Env, ProbeRun};
use super::verdict::{Outcome, all_denied};
use super::{Category, Check, judged};
use cove_backend_linux::selftest as sys;

/// The `tty` checks.
pub const CHECKS: &[Check] = &[Check {
    name: "tiocsti",
    category: Category::Tty,
    proves: "the command cannot push input into cove's controlling terminal with TIOCSTI (on fds 0-2 or /dev/tty)",
    run: tiocsti,
}];

fn tiocsti(env: &Env) -> anyhow::Result<Outcome> {
    let (master, slave) = sys::pty_pair()?;
    let run = ProbeRun::new::<&str>("tiocsti", []).tty(slave).on_host(env.weaken);
    let out = judged(env, run, |r| {
        let on_tty = r.get("isatty(0)").is_some_and(|a| a.found.first().is_some_and(|v| v == "true"));
        if !on_tty {
            return Outcome::skip(
                "the terminal did not reach the command as fd 0, so there was nothing to inject into",
            );
        }
        // Any error is a pass: the kernel refused the injection.
        let every_errno: Vec<i32> = r.attempts.iter().filter_map(|a| a.errno).collect();
        all_denied(r.attempts.iter().filter(|a| a.what.starts_with("TIOCSTI")), &every_errno)
    })?;
    drop(master);
    Ok(out)
}
