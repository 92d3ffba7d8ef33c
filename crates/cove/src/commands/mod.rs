//! One file per verb: parse → request → library call → `output`.

mod image;
mod images;
mod import;
mod info;
mod rmi;
mod run;
mod shell;
mod system;
mod tag;
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
        Command::Tag(args) => tag::run(args),
        Command::Rmi(args) => rmi::run(args),
        Command::Image(command) => image::run(command),
        Command::System(command) => system::run(command),
        Command::Test(args) => test::run(args),
        Command::Probe(args) => test::probe(args),
    }
}
