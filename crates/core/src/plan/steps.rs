//! The filesystem steps of a [`Plan`](super::Plan): how `/` is made
//! ([`RootStep`]) and what is put inside it, in order ([`MountStep`]).

use super::MountFlags;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// How the root filesystem is made.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum RootStep {
    /// An empty tmpfs, filled by later steps (the zero-setup sandbox).
    Tmpfs,
    /// An overlay with `lower` read-only and a throwaway upper layer.
    Overlay {
        /// The directory tree.
        lower: PathBuf,
    },
    /// An overlay of several lower dirs (topmost first), throwaway upper.
    Layers {
        /// The layer directories.
        lowers: Vec<PathBuf>,
    },
    /// The directory itself, writable.
    Bind {
        /// The directory tree.
        source: PathBuf,
    },
}

/// One step inside the new root. Container paths are absolute and are
/// always resolved inside the new root, never through a link out of it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum MountStep {
    /// Reproduce a host path: a symlink becomes the same symlink, a
    /// directory or file a read-only bind; skipped when the host lacks it.
    Mirror {
        /// Host path, also used as the container path.
        path: String,
        /// Flags of the bind.
        flags: MountFlags,
    },
    /// Bind a host path (following the caller's host symlinks).
    Bind {
        /// Host path.
        source: PathBuf,
        /// Container path; created (as a directory or file, like the source)
        /// when missing.
        dest: String,
        /// Flags applied to the whole bound tree.
        flags: MountFlags,
        /// Skip silently when the source is missing (otherwise an error).
        optional: bool,
    },
    /// A fresh tmpfs.
    Tmpfs {
        /// Container path.
        dest: String,
        /// Mode of its root directory.
        mode: u32,
        /// Size limit in bytes.
        size: Option<u64>,
        /// Flags.
        flags: MountFlags,
    },
    /// A fresh proc instance for the container's pid namespace.
    Proc {
        /// Container path.
        dest: String,
        /// Flags.
        flags: MountFlags,
    },
    /// sysfs, read-only: a fresh instance when the container has its own
    /// network namespace, otherwise a recursive read-only bind of the host's.
    Sysfs {
        /// Container path.
        dest: String,
        /// Mount a new instance (needs an owned network namespace).
        fresh: bool,
        /// Flags (of every mount in the tree, for a bind).
        flags: MountFlags,
    },
    /// A new devpts instance.
    DevPts {
        /// Container path.
        dest: String,
        /// Group owning new terminals (`tty`), when it is mapped.
        gid: Option<u32>,
        /// Flags.
        flags: MountFlags,
    },
    /// A new mqueue instance.
    Mqueue {
        /// Container path.
        dest: String,
        /// Flags.
        flags: MountFlags,
    },
    /// A new cgroup2 instance (the container's cgroup namespace as its root).
    Cgroup {
        /// Container path.
        dest: String,
        /// Flags.
        flags: MountFlags,
    },
    /// Bind the host's `/dev/NAME` (or `source`) onto `/dev/NAME`.
    Device {
        /// Device name under `/dev`.
        name: String,
        /// The host node, when not `/dev/NAME` (OCI `linux.devices`: a node
        /// of the same type and number).
        #[serde(default)]
        source: Option<std::path::PathBuf>,
        /// Flags of the bind (never `nodev`).
        flags: MountFlags,
    },
    /// A symlink.
    Symlink {
        /// What it points to.
        target: String,
        /// Container path of the link.
        link: String,
    },
    /// A directory, with missing parents; owner set only when created.
    Dir {
        /// Container path.
        path: String,
        /// Mode.
        mode: u32,
        /// (uid, gid) inside the container.
        owner: Option<(u32, u32)>,
    },
    /// A file with the given contents.
    File {
        /// Container path.
        path: String,
        /// Contents.
        contents: String,
        /// Mode.
        mode: u32,
    },
}

/// The propagation of the container's `/` after `pivot_root` (OCI
/// `linux.rootfsPropagation`), applied to the whole tree. Whatever it is,
/// the tree was made a slave of the host's first, so nothing the container
/// mounts reaches the host.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum RootPropagation {
    /// Receives nothing, sends nothing.
    Private,
    /// Receives the host's mounts (cove's default).
    Slave,
    /// Also propagates among the container's own peers.
    Shared,
    /// Private, and cannot be bind-mounted.
    Unbindable,
}
