//! `fs`: the host's files stay out of reach. Protection: the container's
//! root is a fresh tmpfs with only the system directories mirrored in,
//! read-only. No flag turns that off; `--weaken` runs the probe on the host.

use super::runner::{Env, ProbeRun};
use super::verdict::{Outcome, all_denied};
use super::{Category, Check, judged};
use cove_backend_linux::selftest::{EACCES, ENOENT, EPERM, EROFS};
use std::path::PathBuf;

/// The `fs` checks.
pub const CHECKS: &[Check] = &[
    Check {
        name: "host-file",
        category: Category::Fs,
        proves: "a file the caller has just created on the host (in $HOME and under /tmp) does not exist inside",
        run: host_file,
    },
    Check { name: "shadow", category: Category::Fs, proves: "the host's /etc/shadow cannot be read", run: shadow },
    Check {
        name: "write-usr",
        category: Category::Fs,
        proves: "the host's /usr, shared into the container, cannot be written",
        run: write_usr,
    },
];

/// A marker file removed when dropped.
struct Marker(PathBuf);

impl Drop for Marker {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn host_file(env: &Env) -> anyhow::Result<Outcome> {
    let mut markers = Vec::new();
    let name = format!(".cove-selftest-marker-{}", std::process::id());
    let home = std::env::var_os("HOME").map(|h| PathBuf::from(h).join(&name));
    for path in home.into_iter().chain([env.scratch.join(&name)]) {
        if std::fs::write(&path, "cove selftest marker\n").is_ok() {
            markers.push(Marker(path));
        }
    }
    let paths: Vec<String> = markers.iter().map(|m| m.0.display().to_string()).collect();
    let run = ProbeRun::new("read", &paths).on_host(env.weaken);
    judged(env, run, |r| all_denied(&r.attempts, &[ENOENT, EACCES]))
}

fn shadow(env: &Env) -> anyhow::Result<Outcome> {
    let on_host =
        if std::path::Path::new("/etc/shadow").exists() { "exists on the host" } else { "absent on the host" };
    let run = ProbeRun::new("read", ["/etc/shadow"]).on_host(env.weaken);
    let out = judged(env, run, |r| all_denied(&r.attempts, &[ENOENT, EACCES]))?;
    Ok(Outcome { evidence: format!("{} ({on_host})", out.evidence), ..out })
}

fn write_usr(env: &Env) -> anyhow::Result<Outcome> {
    let run = ProbeRun::new("create-in", ["/usr", "/usr/bin"]).on_host(env.weaken);
    judged(env, run, |r| all_denied(&r.attempts, &[EROFS, EACCES, EPERM]))
}
