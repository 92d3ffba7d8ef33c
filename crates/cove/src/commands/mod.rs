//! One file per verb: parse → request → library call → `output`.

#[cfg(target_os = "linux")]
mod attach;
mod create;
#[cfg(target_os = "linux")]
mod exec;
#[cfg(windows)]
mod exec_job;
#[cfg(target_os = "linux")]
mod foreground;
mod image;
mod images;
mod import;
mod info;
mod inspect;
mod login;
mod logs;
#[cfg(target_os = "linux")]
mod oci;
#[cfg(target_os = "linux")]
mod port;
mod prune_filter;
mod ps;
mod pull;
mod rename;
mod rm;
mod rmi;
mod run;
mod shell;
mod start;
mod stats;
mod stop;
mod system;
mod system_prune;
mod tag;
mod test;
#[cfg(target_os = "linux")]
mod top;
mod version;
mod volume;
mod wait;

use crate::cli::{Cli, Command, ContainerCommand};

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
        other => stored(other),
    }
}

/// The verbs on stored containers (`exec`, `top`, `port` and the OCI
/// helpers are Linux-only; issue 8).
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
        #[cfg(target_os = "linux")]
        Command::Attach(args) | Command::Container(ContainerCommand::Attach(args)) => attach::run(args),
        #[cfg(target_os = "linux")]
        Command::Exec(args) => exec::run(args),
        Command::Rename(args) | Command::Container(ContainerCommand::Rename(args)) => rename::run(args),
        #[cfg(target_os = "linux")]
        Command::Top(args) | Command::Container(ContainerCommand::Top(args)) => top::run(args),
        #[cfg(target_os = "linux")]
        Command::Port(args) => port::run(args),
        Command::Stats(args) => stats::run(args),
        Command::Container(ContainerCommand::Prune(args)) => rm::prune(args),
        Command::Monitor(args) => crate::monitor::run(args),
        #[cfg(target_os = "linux")]
        Command::Plan(args) => exec::plan(*args),
        #[cfg(target_os = "linux")]
        Command::Join(args) => exec::join(args),
        #[cfg(windows)]
        Command::Exec(args) => exec_job::run(args),
        #[cfg(target_os = "macos")]
        Command::Exec(_) => anyhow::bail!("cove exec runs on Linux and Windows only so far (issue 8)"),
        #[cfg(not(target_os = "linux"))]
        Command::Top(_) | Command::Port(_) | Command::Plan(_) | Command::Join(_) => {
            anyhow::bail!("this verb runs on Linux only so far (issue 8)")
        }
        #[cfg(not(target_os = "linux"))]
        Command::Container(ContainerCommand::Top(_)) => anyhow::bail!("cove top runs on Linux only so far (issue 8)"),
        #[cfg(not(target_os = "linux"))]
        Command::Attach(_) | Command::Container(ContainerCommand::Attach(_)) => {
            anyhow::bail!("cove attach runs on Linux only so far (issue 8): use cove logs -f")
        }
        _ => unreachable!("dispatched above"),
    }
}
