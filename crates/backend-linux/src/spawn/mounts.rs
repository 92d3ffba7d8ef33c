//! Mount primitives over the fd-based mount API (fsopen/fsmount,
//! open_tree/move_mount, mount_setattr): no step ever resolves a path string
//! through the new root.

use crate::sys::mount::{ATTR_NODEV, ATTR_NOEXEC, ATTR_NOSUID, ATTR_RDONLY, set_attrs};
use cove_core::plan::MountFlags;
use rustix::mount::{
    FsMountFlags, FsOpenFlags, MountAttrFlags, MoveMountFlags, OpenTreeFlags, fsconfig_create, fsconfig_set_flag,
    fsconfig_set_string, fsmount, fsopen, move_mount, open_tree,
};
use std::io;
use std::os::fd::{AsFd, OwnedFd};

/// `mount_setattr` bits for `flags`.
pub fn attr_bits(flags: MountFlags) -> u64 {
    let mut bits = 0;
    for (on, bit) in [
        (flags.read_only, ATTR_RDONLY),
        (flags.nosuid, ATTR_NOSUID),
        (flags.nodev, ATTR_NODEV),
        (flags.noexec, ATTR_NOEXEC),
    ] {
        if on {
            bits |= bit;
        }
    }
    bits
}

/// A new, detached instance of `fstype` configured with `options` (key,
/// value) and `switches` (flag keys).
pub fn fresh(fstype: &str, options: &[(&str, String)], switches: &[&str], flags: MountFlags) -> io::Result<OwnedFd> {
    let fs = fsopen(fstype, FsOpenFlags::FSOPEN_CLOEXEC)?;
    for (key, value) in options {
        fsconfig_set_string(&fs, *key, value.as_str())?;
    }
    for key in switches {
        fsconfig_set_flag(&fs, *key)?;
    }
    fsconfig_create(&fs)?;
    let attrs = MountAttrFlags::from_bits_retain(attr_bits(flags) as u32);
    Ok(fsmount(&fs, FsMountFlags::FSMOUNT_CLOEXEC, attrs)?)
}

/// A detached recursive copy of the mount tree at `source`.
pub fn clone_tree(source: impl AsFd) -> io::Result<OwnedFd> {
    let flags = OpenTreeFlags::OPEN_TREE_CLONE
        | OpenTreeFlags::OPEN_TREE_CLOEXEC
        | OpenTreeFlags::AT_EMPTY_PATH
        | OpenTreeFlags::AT_RECURSIVE;
    Ok(open_tree(source, "", flags)?)
}

/// A detached recursive bind of `source` with `flags` applied to every mount in it.
pub fn bind(source: impl AsFd, flags: MountFlags) -> io::Result<OwnedFd> {
    let tree = clone_tree(source)?;
    let bits = attr_bits(flags);
    if bits != 0 {
        set_attrs(&tree, bits, true)?;
    }
    Ok(tree)
}

/// Attaches the detached mount `mount` on top of `target`.
pub fn attach(mount: impl AsFd, target: impl AsFd) -> io::Result<()> {
    let flags = MoveMountFlags::MOVE_MOUNT_F_EMPTY_PATH | MoveMountFlags::MOVE_MOUNT_T_EMPTY_PATH;
    Ok(move_mount(mount, "", target, "", flags)?)
}

/// Attaches the detached mount `mount` at an absolute path of the current
/// mount namespace (used once: to give the new root a place before pivot_root).
pub fn attach_at(mount: impl AsFd, path: &std::path::Path) -> io::Result<()> {
    Ok(move_mount(mount, "", rustix::fs::CWD, path, MoveMountFlags::MOVE_MOUNT_F_EMPTY_PATH)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_to_bits() {
        let f = MountFlags { read_only: true, nosuid: true, nodev: false, noexec: true };
        assert_eq!(attr_bits(f), ATTR_RDONLY | ATTR_NOSUID | ATTR_NOEXEC);
        assert_eq!(attr_bits(MountFlags::default()), 0);
    }
}
