//! One file per verb: parse → request → library call → `output`.

mod images;
mod import;
mod info;
#[cfg(target_os = "linux")]
mod oci;
mod run;
mod shell;
mod test;

use crate::cli::{Cli, Command};

/// Runs the verb and returns the process exit code.
pub fn dispatch(cli: Cli) -> anyhow::Result<i32> {
    match cli.command {
        Command::Run(args) => run::run(*args),
        Command::Shell(args) => shell::run(*args),
        Command::Info(args) => info::run(args),
        Command::Import(args) => import::run(args),
        Command::Images(args) => images::run(args),
        Command::Test(args) => test::run(args),
        Command::Probe(args) => test::probe(args),
        #[cfg(target_os = "linux")]
        Command::Oci(args) => Ok(oci::dispatch(args)),
        #[cfg(not(target_os = "linux"))]
        Command::Oci(_) => anyhow::bail!("cove oci: the OCI runtime runs on Linux only"),
    }
}
