//! Overlay markers: how an image layer directory records what it deletes
//! from the layers below it, so that the layers can be stacked as overlay
//! lower directories instead of being flattened into one copy.
//!
//! The image store (portable) decides *where* a marker goes; a backend
//! decides *how* it is written on its file system (on Linux: a 0/0
//! character device for a deleted path, the `user.overlay.opaque` xattr for
//! an opaque directory, as overlayfs reads them with `userxattr`).

use std::io;
use std::path::Path;

/// Writes overlay markers into a layer directory.
pub trait OverlayMarkers: Send + Sync {
    /// Marks `path` (which does not exist yet) as deleted from lower layers.
    fn whiteout(&self, path: &Path) -> io::Result<()>;
    /// Marks the existing directory `dir` as hiding everything below it.
    fn opaque(&self, dir: &Path) -> io::Result<()>;
    /// Reads whether `path` is a deletion marker (for lookups through layers).
    fn is_whiteout(&self, path: &Path) -> bool;
    /// Reads whether the directory `dir` is marked opaque (for merging
    /// layers into one copy). The default: never.
    fn is_opaque(&self, _dir: &Path) -> bool {
        false
    }
}
