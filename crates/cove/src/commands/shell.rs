//! `cove shell [IMAGE]`: `cove run -it` with a shell, on the zero-setup
//! sandbox, `--rootfs`, or a local image. The container is removed when
//! the shell exits (`--rm` is implied).

use super::run;
use crate::cli::RunArgs;
use crate::request;
use std::io::IsTerminal;
use std::path::Path;

/// Starts the shell; returns its exit code.
pub fn run(mut args: RunArgs) -> anyhow::Result<i32> {
    args.interactive = true;
    // Stored while it runs (`ps`, `exec`), gone when the shell exits.
    args.rm = true;
    // A terminal when there is one; piped input still works without.
    args.tty |= std::io::stdin().is_terminal();
    if image_first(&args)? {
        // The image's shell, not its Entrypoint: `cove shell IMAGE [CMD...]`.
        if args.args.len() == 1 {
            args.entrypoint = Some("/bin/sh".to_owned());
        } else {
            args.entrypoint = Some(String::new());
        }
        return run::run(args);
    }
    if args.args.is_empty() {
        args.args = vec![shell(args.rootfs.is_none())];
    }
    // Otherwise every word is the command.
    args.after_dashdash = true;
    run::run(args)
}

/// Whether the first word (not after `--`, without `--rootfs`) names an
/// image in the local store.
fn image_first(args: &RunArgs) -> anyhow::Result<bool> {
    let Some(first) = args.args.first().filter(|_| args.rootfs.is_none() && !args.after_dashdash) else {
        return Ok(false);
    };
    request::image::exists(first, {
        use cove_core::backend::Backend;
        crate::platform::backend().host_identity().uid
    })
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
