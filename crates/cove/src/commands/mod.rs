//! One file per verb: parse → request → library call → `output`.

mod exec;
mod images;
mod import;
mod info;
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
        Command::Plan(args) => exec::plan(*args),
        Command::Join(args) => exec::join(args),
    }
}
