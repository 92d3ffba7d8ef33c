//! The monitor's attach socket: bound in the runtime directory once the
//! monitor owns the container, removed when it ends (`rm -f` removes one
//! a killed monitor left).

use anyhow::Context;
use cove_core::id::ContainerId;
use std::os::unix::net::UnixListener;
use std::path::PathBuf;
use std::time::Duration;

/// How long `start -a`'s monitor holds the output for its client.
pub const HOLD_LIMIT: Duration = Duration::from_secs(10);

/// The bound socket; its file goes on drop.
pub struct Socket {
    path: PathBuf,
    listener: UnixListener,
}

impl Socket {
    /// Binds container `id`'s socket (replacing one a dead monitor left:
    /// the caller holds the container, so no live monitor uses it).
    pub fn bind(id: &ContainerId) -> anyhow::Result<Socket> {
        let path = crate::containers::attach_socket(id)?;
        let _ = std::fs::remove_file(&path);
        let listener = UnixListener::bind(&path).with_context(|| format!("bind {}", path.display()))?;
        Ok(Socket { path, listener })
    }

    /// A second handle for the I/O thread.
    pub fn listener(&self) -> anyhow::Result<UnixListener> {
        self.listener.try_clone().with_context(|| format!("dup socket {}", self.path.display()))
    }
}

impl Drop for Socket {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}
