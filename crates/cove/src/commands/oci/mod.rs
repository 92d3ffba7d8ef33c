//! `cove oci VERB` (or VERB under a runtime's name): the runtime-spec
//! operations on bundles, for podman, containerd and friends. Thin: the
//! config becomes a plan in `cove_core::oci`, the container is made by the
//! backend (`cove_backend_linux::oci`), the state lives in `store`.
//!
//! Errors end in exit 1, as with runc, and also go to `--log`.

mod create;
mod devices;
mod exec;
mod hooks;
mod lifecycle;
mod live;
mod store;

use crate::cli::oci::{OciArgs, OciVerb};
use crate::{output, platform};
use cove_core::backend::Backend;

/// The most of a `config.json` or `--process` file cove reads: engines
/// write a few KiB; anything near this is not a config.
const CONFIG_LIMIT: u64 = 16 << 20;

/// Reads an engine's JSON file: a regular file (a fifo would block
/// forever) of at most [`CONFIG_LIMIT`] bytes.
fn read_json_file(path: &std::path::Path) -> anyhow::Result<String> {
    use anyhow::Context;
    use std::io::Read;
    use std::os::unix::fs::OpenOptionsExt;
    let what = || format!("read {}", path.display());
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(rustix::fs::OFlags::NONBLOCK.bits() as i32)
        .open(path)
        .with_context(what)?;
    let meta = file.metadata().with_context(what)?;
    anyhow::ensure!(meta.is_file(), "{}: not a regular file", path.display());
    anyhow::ensure!(meta.len() <= CONFIG_LIMIT, "{}: larger than {} MiB", path.display(), CONFIG_LIMIT >> 20);
    let mut text = String::new();
    file.take(CONFIG_LIMIT + 1).read_to_string(&mut text).with_context(what)?;
    anyhow::ensure!(text.len() as u64 <= CONFIG_LIMIT, "{}: larger than {} MiB", path.display(), CONFIG_LIMIT >> 20);
    Ok(text)
}

/// Runs one verb; returns the exit code.
pub fn dispatch(args: OciArgs) -> i32 {
    let uid = platform::backend().host_identity().uid;
    let root = store::root_dir(args.root.as_deref(), uid);
    let done = |r: anyhow::Result<()>| r.map(|()| 0);
    let checked = match (&args.root, &args.verb) {
        (None, verb) if !matches!(verb, OciVerb::Features) => store::check_default_root(&root, uid),
        _ => Ok(()),
    };
    let result = checked.and_then(|()| match &args.verb {
        OciVerb::Create(c) => done(create::create(&root, c, args.systemd_cgroup)),
        OciVerb::Start(a) => done(lifecycle::start(&root, &a.id)),
        OciVerb::State(a) => done(lifecycle::state(&root, &a.id)),
        OciVerb::Kill(k) => done(lifecycle::kill(&root, k)),
        OciVerb::Exec(e) => exec::exec(&root, e),
        OciVerb::Delete(d) => done(lifecycle::delete(&root, &d.id, d.force)),
        OciVerb::Ps(p) => done(lifecycle::ps(&root, &p.id, p.format)),
        OciVerb::Features => done(output::oci_json(&lifecycle::features())),
        OciVerb::Pause(a) => done(live::pause(&root, &a.id, true)),
        OciVerb::Resume(a) => done(live::pause(&root, &a.id, false)),
        OciVerb::Update(u) => done(live::update(&root, u)),
    });
    match result {
        Ok(code) => code,
        Err(err) => output::oci_error(&err, args.log.as_deref(), args.log_format),
    }
}
