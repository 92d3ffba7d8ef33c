//! `cove test`: start real containers and try to get out of them; and the
//! hidden `cove __probe`, the half that runs inside.

use crate::cli::{ProbeArgs, TestArgs};
use crate::output;
use crate::selftest::{self, Flags, Options};

/// Runs the checks and prints the results; exit 1 when any check failed.
pub fn run(args: TestArgs) -> anyhow::Result<i32> {
    let flags = Flags {
        cap_add: args.security.cap_add,
        cap_drop: args.security.cap_drop,
        security_opt: args.security.security_opt,
        user: args.user,
    };
    if args.weaken {
        output::selftest_weakened();
    }
    let summary = selftest::run(Options { categories: args.categories, flags, weaken: args.weaken })?;
    output::selftest(args.format, &summary)?;
    Ok(if summary.failed > 0 { 1 } else { 0 })
}

/// Runs one probe and prints its report as one JSON line.
pub fn probe(args: ProbeArgs) -> anyhow::Result<i32> {
    let report = selftest::probe::run(&args.name, &args.args)?;
    output::probe_report(&report)?;
    Ok(0)
}
