//! cove: Docker-style containers with no virtualization, no daemon and no root.
//!
//! This crate is the command line only: clap structures (`cli`), their
//! resolution into validated requests (`request`), one thin file per verb
//! (`commands`), one place that picks the OS backend (`platform`) and one
//! place that prints (`output`). Policy lives in `cove-core`; OS work in the
//! backends.

mod cli;
mod commands;
mod containers;
mod monitor;
mod output;
mod platform;
mod record_watch;
mod request;
#[cfg(target_os = "linux")]
mod selftest;
#[cfg(target_os = "linux")]
mod stdin_relay;
mod volumes;
// Windows and macOS: `cove test` checks the backend's primitives instead.
#[cfg(not(target_os = "linux"))]
#[path = "selftest_host.rs"]
mod selftest;
mod selftest_report;
#[cfg(target_os = "linux")]
mod store_helper;

fn main() {
    // ORDER: the store helper first: it must unshare while single-threaded.
    #[cfg(target_os = "linux")]
    if let Some(code) = store_helper::early(&std::env::args_os().collect::<Vec<_>>()) {
        std::process::exit(code);
    }
    // The monitor's own entry, before clap (see monitor::early_args).
    if let Some(args) = monitor::early_args(&std::env::args_os().collect::<Vec<_>>()) {
        std::process::exit(monitor::run(args).unwrap_or(cove_core::exit::COVE_ERROR));
    }
    output::end_quietly_on_closed_output();
    let code = match cli::parse() {
        Ok(cli) => commands::dispatch(cli).unwrap_or_else(|err| output::error(&err)),
        Err(err) => output::usage_error(err),
    };
    std::process::exit(code);
}
