//! `cove shell`: `cove run -it` with a shell, on the zero-setup sandbox or
//! `--rootfs`. The container is removed when the shell exits (foreground
//! runs always are).

use super::run;
use crate::cli::RunArgs;
use std::io::IsTerminal;
use std::path::Path;

/// Starts the shell; returns its exit code.
pub fn run(mut args: RunArgs) -> anyhow::Result<i32> {
    args.interactive = true;
    // A terminal when there is one; piped input still works without.
    args.tty |= std::io::stdin().is_terminal();
    if args.args.is_empty() {
        args.args = vec![shell(args.rootfs.is_none())];
    }
    // Every word is the command: a shell never takes an image name.
    args.after_dashdash = true;
    run::run(args)
}

/// The caller's `$SHELL` in the zero-setup sandbox (the host's system
/// directories are mirrored, so it exists inside when it lives there),
/// otherwise `/bin/sh`.
fn shell(host_system: bool) -> String {
    let from_env = std::env::var("SHELL").ok().filter(|s| {
        let mirrored = ["/usr/", "/bin/", "/sbin/"].iter().any(|d| s.starts_with(d));
        host_system && mirrored && Path::new(s).is_file()
    });
    from_env.unwrap_or_else(|| "/bin/sh".to_owned())
}
