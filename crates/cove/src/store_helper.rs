//! The image store's helper in the containers' user namespace (Linux,
//! rootless with subordinate ranges): `cove __store-helper STORE_ROOT`,
//! started by [`HelperMapper`] and recognised first thing in `main` (before
//! any thread exists, which `unshare(CLONE_NEWUSER)` needs). It reads one
//! `cove_image::MappedJob` (JSON) after the handshake of
//! `cove_backend_linux::mapped`, does it on the store and answers with
//! [`Answer`] (JSON) on stdout.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use cove_backend_linux::mapped::{self, MappedHelper};
use cove_image::{IdMapper, ImageStore, MappedJob};
use serde::{Deserialize, Serialize};

const ARG: &str = "__store-helper";

/// The helper's reply.
#[derive(Debug, Serialize, Deserialize)]
struct Answer {
    /// `None` when the job was done; else the error chain.
    error: Option<String>,
}

/// The helper's entry: `Some(exit code)` when argv asks for it.
pub fn early(argv: &[OsString]) -> Option<i32> {
    if argv.get(1)?.to_str()? != ARG {
        return None;
    }
    let root = PathBuf::from(argv.get(2)?);
    let answer = match serve(&root) {
        Ok(()) => Answer { error: None },
        Err(e) => Answer { error: Some(format!("{e:#}")) },
    };
    let text = serde_json::to_string(&answer).expect("answer serialises");
    println!("{text}");
    Some(0)
}

fn serve(root: &Path) -> anyhow::Result<()> {
    use anyhow::Context;
    let job = mapped::enter().context("enter the store helper's user namespace")?;
    let job: MappedJob = serde_json::from_slice(&job).context("read the store helper's job")?;
    let store = ImageStore::open(root).with_context(|| format!("open image store {}", root.display()))?;
    let store = if std::env::var("COVE_STORAGE").is_ok_and(|v| v == "flat") {
        store
    } else {
        crate::platform::with_overlay_markers(store)
    };
    Ok(store.serve_mapped(&job)?)
}

/// Runs store jobs in `cove __store-helper` processes.
#[derive(Debug)]
pub struct HelperMapper(MappedHelper);

impl HelperMapper {
    /// For a rootless caller with subordinate ranges, else `None`.
    pub fn for_caller() -> Option<Self> {
        let exe = std::env::current_exe().ok()?;
        MappedHelper::for_caller(exe).map(HelperMapper)
    }
}

impl IdMapper for HelperMapper {
    fn run(&self, store_root: &Path, job: &MappedJob) -> Result<(), String> {
        let input = serde_json::to_vec(job).map_err(|e| e.to_string())?;
        let args = [OsString::from(ARG), store_root.as_os_str().to_owned()];
        let out = self.0.run(&args, &input).map_err(|e| format!("store helper: {e}"))?;
        let answer: Answer = serde_json::from_slice(&out)
            .map_err(|e| format!("store helper answered {:?}: {e}", String::from_utf8_lossy(&out)))?;
        answer.error.map_or(Ok(()), Err)
    }
}
