//! Creating files, directories and links for layer entries, with their
//! mode, ownership and mtime. The parents are already checked
//! (`paths.rs`); this file replaces the final component without following it.

use std::fs::{self, OpenOptions};
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use super::UnpackError;

/// Metadata from a tar header.
#[derive(Debug, Clone, Copy)]
pub(super) struct Meta {
    /// Permission bits including setuid, setgid and sticky.
    pub mode: u32,
    pub uid: u64,
    pub gid: u64,
    pub mtime: SystemTime,
}

impl Meta {
    pub(super) fn from_header(header: &tar::Header, raw: &Path) -> Result<Self, UnpackError> {
        let bad = |source: io::Error| UnpackError::Archive {
            source: io::Error::new(source.kind(), format!("header of {raw:?}: {source}")),
        };
        Ok(Meta {
            mode: header.mode().map_err(bad)? & 0o7777,
            uid: header.uid().map_err(bad)?,
            gid: header.gid().map_err(bad)?,
            // A hostile base-256 mtime could overflow SystemTime: clamp to the epoch.
            mtime: SystemTime::UNIX_EPOCH
                .checked_add(Duration::from_secs(header.mtime().map_err(bad)?))
                .unwrap_or(SystemTime::UNIX_EPOCH),
        })
    }
}

/// A directory whose metadata is applied once the whole layer is written.
pub(super) struct DirMeta {
    pub path: PathBuf,
    pub meta: Meta,
    pub owner: bool,
    pub attrs: super::xattrs::Xattrs,
}

pub(super) fn io_err(op: &'static str, path: &Path) -> impl FnOnce(io::Error) -> UnpackError {
    let path = path.to_owned();
    move |source| UnpackError::Io { op, path, source }
}

/// Removes whatever is at `host` unless it is a directory and `keep_dir`.
/// Never follows a symlink: a symlink is removed, not its target.
fn clear(host: &Path, keep_dir: bool) -> Result<(), UnpackError> {
    let result = match fs::symlink_metadata(host) {
        Ok(m) if m.is_dir() && keep_dir => Ok(()),
        Ok(m) if m.is_dir() => fs::remove_dir_all(host),
        Ok(_) => fs::remove_file(host),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    };
    result.map_err(io_err("replace existing entry", host))
}

/// Writes a regular file from `data`; returns the xattrs not applied.
pub(super) fn write_file(
    host: &Path,
    data: &mut impl Read,
    meta: &Meta,
    owner: bool,
    attrs: &super::xattrs::Xattrs,
) -> Result<u64, UnpackError> {
    clear(host, false)?;
    // create_new is O_CREAT|O_EXCL: if anything (a symlink included)
    // appeared at `host` since `clear`, this fails instead of following it.
    let mut file = OpenOptions::new().write(true).create_new(true).open(host).map_err(io_err("create file", host))?;
    copy(data, &mut file).map_err(io_err("write file", host))?;
    // ORDER: ownership before mode: chown clears setuid/setgid bits.
    if owner {
        sys::fchown(&file, meta.uid, meta.gid).map_err(io_err("set owner", host))?;
    }
    // ORDER: xattrs after the chown (which clears file capabilities) and
    // before the mode (a read-only file refuses `user.*` to its owner).
    let refused = super::xattrs::set_on_path(host, attrs);
    sys::set_file_mode(&file, meta.mode).map_err(io_err("set mode", host))?;
    file.set_modified(meta.mtime).map_err(io_err("set mtime", host))?;
    Ok(refused)
}

/// Copies an entry's data in 64 KiB writes (`io::copy` writes 8 KiB at a
/// time, and each write is a syscall).
fn copy(data: &mut impl Read, file: &mut fs::File) -> io::Result<()> {
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match data.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        io::Write::write_all(file, &buf[..n])?;
    }
}

/// Creates a directory (keeping an existing one); metadata comes later.
pub(super) fn make_dir(host: &Path) -> Result<(), UnpackError> {
    clear(host, true)?;
    match fs::create_dir(host) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists && fs::symlink_metadata(host).is_ok_and(|m| m.is_dir()) => {
            Ok(())
        }
        Err(source) => Err(UnpackError::Io { op: "create directory", path: host.into(), source }),
    }
}

/// Applies a directory's ownership, xattrs, mode and mtime, unless a later
/// entry replaced it with something that is not a directory (a symlink
/// must not have its target chmodded); returns the xattrs not applied.
pub(super) fn finish_dir(dir: &DirMeta) -> Result<u64, UnpackError> {
    let host = &dir.path;
    match fs::symlink_metadata(host) {
        Ok(m) if m.is_dir() => {}
        _ => return Ok(0),
    }
    if dir.owner {
        sys::lchown(host, dir.meta.uid, dir.meta.gid).map_err(io_err("set owner", host))?;
    }
    // ORDER: xattrs before the mode, which may make the dir read-only.
    let refused = super::xattrs::set_on_path(host, &dir.attrs);
    sys::set_dir_mode(host, dir.meta.mode).map_err(io_err("set mode", host))?;
    sys::set_dir_mtime(host, dir.meta.mtime).map_err(io_err("set mtime", host))?;
    Ok(refused)
}

/// Creates a symlink; the target is stored as is and never resolved here.
/// Its mtime is not set: `std` has no call that does so without following.
pub(super) fn make_symlink(host: &Path, target: &Path, meta: &Meta, owner: bool) -> Result<(), UnpackError> {
    clear(host, false)?;
    sys::symlink(target, host).map_err(io_err("create symlink", host))?;
    if owner {
        sys::lchown(host, meta.uid, meta.gid).map_err(io_err("set owner", host))?;
    }
    Ok(())
}

/// Hard-links `host` to the already checked regular file `source`.
pub(super) fn make_hardlink(source: &Path, host: &Path) -> Result<(), UnpackError> {
    if source == host {
        return Ok(());
    }
    clear(host, false)?;
    fs::hard_link(source, host).map_err(io_err("create hardlink", host))
}

/// The few calls that only Unix `std` has, with portable fallbacks of the
/// same signature so the rest of the crate has no `cfg`.
#[cfg(unix)]
mod sys {
    use std::fs::{self, File, Permissions};
    use std::io;
    use std::os::unix::fs::PermissionsExt;
    use std::path::Path;
    use std::time::SystemTime;

    fn id(v: u64) -> io::Result<u32> {
        u32::try_from(v).map_err(|_| io::Error::new(io::ErrorKind::InvalidData, format!("id {v} out of range")))
    }

    pub fn fchown(file: &File, uid: u64, gid: u64) -> io::Result<()> {
        std::os::unix::fs::fchown(file, Some(id(uid)?), Some(id(gid)?))
    }

    pub fn lchown(path: &Path, uid: u64, gid: u64) -> io::Result<()> {
        std::os::unix::fs::lchown(path, Some(id(uid)?), Some(id(gid)?))
    }

    pub fn set_file_mode(file: &File, mode: u32) -> io::Result<()> {
        file.set_permissions(Permissions::from_mode(mode))
    }

    /// Path-based: the caller has just checked `path` is a directory.
    pub fn set_dir_mode(path: &Path, mode: u32) -> io::Result<()> {
        fs::set_permissions(path, Permissions::from_mode(mode))
    }

    pub fn set_dir_mtime(path: &Path, mtime: SystemTime) -> io::Result<()> {
        File::open(path)?.set_modified(mtime)
    }

    pub fn symlink(target: &Path, link: &Path) -> io::Result<()> {
        std::os::unix::fs::symlink(target, link)
    }
}

#[cfg(not(unix))]
mod sys {
    use std::fs::File;
    use std::io;
    use std::path::Path;
    use std::time::SystemTime;

    pub fn fchown(_file: &File, _uid: u64, _gid: u64) -> io::Result<()> {
        Ok(())
    }

    pub fn lchown(_path: &Path, _uid: u64, _gid: u64) -> io::Result<()> {
        Ok(())
    }

    pub fn set_file_mode(file: &File, mode: u32) -> io::Result<()> {
        let mut perms = file.metadata()?.permissions();
        perms.set_readonly(mode & 0o222 == 0);
        file.set_permissions(perms)
    }

    pub fn set_dir_mode(_path: &Path, _mode: u32) -> io::Result<()> {
        Ok(())
    }

    pub fn set_dir_mtime(_path: &Path, _mtime: SystemTime) -> io::Result<()> {
        Ok(())
    }

    pub fn symlink(_target: &Path, _link: &Path) -> io::Result<()> {
        Err(io::Error::new(io::ErrorKind::Unsupported, "symlinks in layers need a Unix host"))
    }
}
