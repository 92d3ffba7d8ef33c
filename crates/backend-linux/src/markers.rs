//! Overlay markers in image layer directories, as overlayfs reads them
//! inside a user namespace (`userxattr`): a deleted path is a 0/0 character
//! device (which Linux 5.8+ lets anyone create), an opaque directory has
//! `user.overlay.opaque=y`.

use cove_core::overlay::OverlayMarkers;
use rustix::fs::{CWD, FileType, Mode, XattrFlags, makedev, mknodat};
use std::io;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::Path;

/// The Linux overlayfs marker writer.
#[derive(Debug, Clone, Copy, Default)]
pub struct LinuxOverlayMarkers;

impl OverlayMarkers for LinuxOverlayMarkers {
    fn whiteout(&self, path: &Path) -> io::Result<()> {
        Ok(mknodat(CWD, path, FileType::CharacterDevice, Mode::empty(), makedev(0, 0))?)
    }

    fn opaque(&self, dir: &Path) -> io::Result<()> {
        Ok(rustix::fs::lsetxattr(dir, "user.overlay.opaque", b"y", XattrFlags::empty())?)
    }

    fn is_whiteout(&self, path: &Path) -> bool {
        std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_char_device() && m.rdev() == 0)
    }

    fn is_opaque(&self, dir: &Path) -> bool {
        let mut value = [0u8; 2];
        matches!(rustix::fs::lgetxattr(dir, "user.overlay.opaque", &mut value[..]), Ok(1) if value[0] == b'y')
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whiteouts_and_opaque_dirs_as_overlay_reads_them() {
        let dir = std::env::temp_dir().join(format!("cove-markers-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let m = LinuxOverlayMarkers;
        let gone = dir.join("gone");
        m.whiteout(&gone).unwrap();
        assert!(m.is_whiteout(&gone));
        std::fs::write(dir.join("file"), "x").unwrap();
        assert!(!m.is_whiteout(&dir.join("file")) && !m.is_whiteout(&dir.join("missing")));
        assert!(!m.is_opaque(&dir));
        m.opaque(&dir).unwrap();
        assert!(m.is_opaque(&dir));
        let value = rustix::fs::lgetxattr(&dir, "user.overlay.opaque", &mut [0u8; 8][..]).unwrap();
        assert_eq!(value, 1);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
