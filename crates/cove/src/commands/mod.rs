//! One file per verb: parse → request → library call → `output`.

#[cfg(target_os = "linux")]
mod attach;
#[cfg(target_os = "linux")]
mod create;
#[cfg(target_os = "linux")]
mod exec;
mod image;
mod images;
mod import;
mod info;
#[cfg(target_os = "linux")]
mod inspect;
mod login;
#[cfg(target_os = "linux")]
mod logs;
#[cfg(target_os = "linux")]
mod oci;
#[cfg(target_os = "linux")]
mod port;
#[cfg(target_os = "linux")]
mod prune_filter;
#[cfg(target_os = "linux")]
mod ps;
mod pull;
#[cfg(target_os = "linux")]
mod rename;
#[cfg(target_os = "linux")]
mod rm;
mod rmi;
mod run;
mod shell;
#[cfg(target_os = "linux")]
mod start;
#[cfg(target_os = "linux")]
mod stats;
#[cfg(target_os = "linux")]
mod stop;
mod system;
mod system_prune;
mod tag;
mod test;
#[cfg(target_os = "linux")]
mod top;
mod version;
mod volume;
#[cfg(target_os = "linux")]
mod wait;

#[cfg(target_os = "linux")]
use crate::cli::ContainerCommand;
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
        Command::Pull(args) => pull::run(args),
        Command::Volume(command) => volume::run(command),
        Command::Version(args) => version::run(args),
        Command::Login(args) => login::login(args),
        Command::Logout(args) => login::logout(args),
        Command::Test(args) => test::run(args),
        Command::Probe(args) => test::probe(args),
        #[cfg(target_os = "linux")]
        Command::Oci(args) => Ok(oci::dispatch(args)),
        #[cfg(not(target_os = "linux"))]
        Command::Oci(_) => anyhow::bail!("cove oci: the OCI runtime runs on Linux only"),
        #[cfg(target_os = "linux")]
        other => stored(other),
        #[cfg(not(target_os = "linux"))]
        _ => anyhow::bail!(
            "stored containers (create, -d, ps, exec, logs, stop, stats, ...) run on Linux only so far\n\
             hint: on this OS, run in the foreground: cove run -- CMD"
        ),
    }
}

/// The verbs on stored containers (Linux only so far; issue 8).
#[cfg(target_os = "linux")]
fn stored(command: Command) -> anyhow::Result<i32> {
    match command {
        Command::Create(args) => create::create(*args),
        Command::Start(args) | Command::Container(ContainerCommand::Start(args)) => start::run(args),
        Command::Ps(args) | Command::Container(ContainerCommand::Ls(args)) => ps::run(args),
        Command::Logs(args) | Command::Container(ContainerCommand::Logs(args)) => logs::run(args),
        Command::Stop(args) | Command::Container(ContainerCommand::Stop(args)) => stop::stop(args),
        Command::Restart(args) | Command::Container(ContainerCommand::Restart(args)) => stop::restart(args),
        Command::Kill(args) | Command::Container(ContainerCommand::Kill(args)) => stop::kill(args),
        Command::Rm(args) | Command::Container(ContainerCommand::Rm(args)) => rm::rm(args),
        Command::Inspect(args) => inspect::run(args),
        // `container inspect` looks at containers only (Docker's).
        Command::Container(ContainerCommand::Inspect(mut args)) => {
            args.kind = Some(crate::cli::ObjectKind::Container);
            inspect::run(args)
        }
        Command::Wait(args) | Command::Container(ContainerCommand::Wait(args)) => wait::run(args),
        Command::Attach(args) | Command::Container(ContainerCommand::Attach(args)) => attach::run(args),
        Command::Exec(args) => exec::run(args),
        Command::Rename(args) | Command::Container(ContainerCommand::Rename(args)) => rename::run(args),
        Command::Top(args) | Command::Container(ContainerCommand::Top(args)) => top::run(args),
        Command::Port(args) => port::run(args),
        Command::Stats(args) => stats::run(args),
        Command::Container(ContainerCommand::Prune(args)) => rm::prune(args),
        Command::Monitor(args) => crate::monitor::run(args),
        Command::Plan(args) => exec::plan(*args),
        Command::Join(args) => exec::join(args),
        _ => unreachable!("dispatched above"),
    }
}
