//! `tun`: can the caller open `/dev/net/tun` read-write? Built-in
//! networking needs it. Opening the device without `TUNSETIFF` creates
//! nothing.

use super::host::Host;
use super::{enforced, unavailable};
use cove_core::backend::Feature;
use std::io;
use std::os::unix::fs::MetadataExt;

const KEY: &str = "tun";
const DEVICE: &str = "/dev/net/tun";

/// What was found at `/dev/net/tun`.
#[derive(Clone, Debug)]
pub struct Evidence {
    /// `(mode bits, owner uid)` when the node exists.
    pub node: Option<(u32, u32)>,
    /// The read-write open's outcome.
    pub open: Result<(), io::ErrorKind>,
    /// The error text, for the detail.
    pub error: String,
    /// The caller's uid.
    pub uid: u32,
}

/// Tries the device and judges the result.
pub fn probe(host: &Host) -> Feature {
    let node = std::fs::metadata(DEVICE).ok().map(|m| (m.mode() & 0o7777, m.uid()));
    let open = std::fs::OpenOptions::new().read(true).write(true).open(DEVICE);
    let error = open.as_ref().err().map(ToString::to_string).unwrap_or_default();
    assess(&Evidence { node, open: open.map(drop).map_err(|e| e.kind()), error, uid: host.uid })
}

/// The verdict.
pub fn assess(ev: &Evidence) -> Feature {
    let create = "modprobe tun (or: mkdir -p /dev/net && mknod /dev/net/tun c 10 200 && chmod 0666 /dev/net/tun)";
    let Some((mode, owner)) = ev.node else {
        return unavailable(KEY, format!("{DEVICE} does not exist"), Some(create.into()));
    };
    match ev.open {
        Ok(()) => enforced(KEY, format!("{DEVICE} opened read-write (mode {mode:04o}, owner uid {owner})")),
        Err(io::ErrorKind::PermissionDenied) => unavailable(
            KEY,
            format!("{DEVICE} is mode {mode:04o}, owner uid {owner}: uid {} cannot open it read-write", ev.uid),
            Some(format!("chmod 0666 {DEVICE} (as most distributions ship it)")),
        ),
        Err(_) => unavailable(KEY, format!("opening {DEVICE} failed: {}", ev.error), Some("modprobe tun".into())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cove_core::backend::Support;

    fn ev(node: Option<(u32, u32)>, open: Result<(), io::ErrorKind>) -> Evidence {
        Evidence { node, open, error: "No such device (os error 19)".into(), uid: 1001 }
    }

    #[test]
    fn root_only_device_needs_chmod() {
        let f = assess(&ev(Some((0o600, 0)), Err(io::ErrorKind::PermissionDenied)));
        assert_eq!(f.status, Support::Unavailable);
        assert!(f.detail.contains("mode 0600"));
        assert_eq!(f.fix.as_deref(), Some("chmod 0666 /dev/net/tun (as most distributions ship it)"));
    }

    #[test]
    fn open_missing_and_broken_devices() {
        assert_eq!(assess(&ev(Some((0o666, 0)), Ok(()))).status, Support::Enforced);
        assert!(assess(&ev(None, Err(io::ErrorKind::NotFound))).fix.unwrap().starts_with("modprobe tun"));
        let f = assess(&ev(Some((0o666, 0)), Err(io::ErrorKind::Other)));
        assert!(f.detail.contains("No such device"));
    }
}
