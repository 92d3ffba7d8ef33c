//! Paths inside the new root: every lookup is `openat2(RESOLVE_IN_ROOT)`, so
//! a symlink or `..` in a hostile tree can never reach a host path.

use rustix::fs::{AtFlags, Gid, Mode, OFlags, ResolveFlags, Uid, chownat, mkdirat, openat, openat2};
use rustix::io::Errno;
use std::io;
use std::os::fd::{AsFd, OwnedFd};

/// What to create when a path is missing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A directory.
    Dir,
    /// An empty regular file.
    File,
}

fn relative(path: &str) -> &str {
    match path.trim_start_matches('/') {
        "" => ".",
        rest => rest,
    }
}

/// Opens `path` inside `root` as an `O_PATH` descriptor.
pub fn open(root: impl AsFd, path: &str) -> io::Result<OwnedFd> {
    open_with(root, path, OFlags::PATH)
}

/// Opens `path` inside `root` with `flags` (always close-on-exec).
pub fn open_with(root: impl AsFd, path: &str, flags: OFlags) -> io::Result<OwnedFd> {
    let resolve = ResolveFlags::IN_ROOT | ResolveFlags::NO_MAGICLINKS;
    loop {
        match openat2(&root, relative(path), flags | OFlags::CLOEXEC, Mode::empty(), resolve) {
            Err(Errno::AGAIN | Errno::INTR) => continue,
            other => return other.map_err(Into::into),
        }
    }
}

/// Splits `/a/b/c` into (`/a/b`, `c`); `None` for `/`.
fn split(path: &str) -> Option<(&str, &str)> {
    let trimmed = path.trim_end_matches('/');
    let (parent, name) = trimmed.rsplit_once('/')?;
    (!name.is_empty()).then_some((if parent.is_empty() { "/" } else { parent }, name))
}

/// Opens `path` inside `root`, creating it (and missing parent directories,
/// mode 0755) as `kind` when absent. A new entry gets `mode`, and `owner`
/// when given; an existing one is left as it is.
pub fn ensure(root: impl AsFd, path: &str, kind: Kind, mode: u32, owner: Option<(u32, u32)>) -> io::Result<OwnedFd> {
    let root = root.as_fd();
    match open(root, path) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        other => return other,
    }
    let Some((parent_path, name)) = split(path) else { return open(root, "/") };
    // An O_PATH directory descriptor is a valid dirfd for the *at calls.
    let parent = ensure(root, parent_path, Kind::Dir, 0o755, None)?;
    let created = match kind {
        Kind::Dir => mkdirat(&parent, name, Mode::from_raw_mode(mode)),
        Kind::File => openat(
            &parent,
            name,
            OFlags::CREATE | OFlags::EXCL | OFlags::WRONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::from_raw_mode(mode),
        )
        .map(drop),
    };
    match created {
        Ok(()) => {
            if let Some((uid, gid)) = owner {
                chownat(&parent, name, Some(Uid::from_raw(uid)), Some(Gid::from_raw(gid)), AtFlags::SYMLINK_NOFOLLOW)?;
            }
        }
        Err(Errno::EXIST) => {}
        Err(e) => return Err(e.into()),
    }
    open(root, path)
}

/// The parent directory of `path` inside `root` (created when missing), as
/// a dirfd for `*at` calls, and the final name.
pub fn parent_of(root: impl AsFd, path: &str) -> io::Result<(OwnedFd, &str)> {
    let (parent, name) = split(path).ok_or_else(|| io::Error::from(io::ErrorKind::InvalidInput))?;
    Ok((ensure(root, parent, Kind::Dir, 0o755, None)?, name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_paths() {
        assert_eq!(split("/a/b/c"), Some(("/a/b", "c")));
        assert_eq!(split("/a"), Some(("/", "a")));
        assert_eq!(split("/"), None);
        assert_eq!(relative("/"), ".");
        assert_eq!(relative("/etc/x"), "etc/x");
    }

    #[test]
    fn ensure_stays_inside_root() {
        let base = std::env::temp_dir().join(format!("cove-inroot-{}", std::process::id()));
        let root_dir = base.join("root");
        let outside = base.join("outside");
        std::fs::create_dir_all(&root_dir).unwrap();
        std::fs::create_dir_all(&outside).unwrap();
        std::os::unix::fs::symlink(&outside, root_dir.join("evil")).unwrap();
        std::os::unix::fs::symlink("../../../..", root_dir.join("up")).unwrap();
        let root = rustix::fs::open(&root_dir, OFlags::PATH | OFlags::DIRECTORY, Mode::empty()).unwrap();
        // A link to a path the root lacks is refused (fail closed), never followed out.
        assert!(ensure(&root, "/evil/made", Kind::Dir, 0o755, None).is_err());
        assert!(!outside.join("made").exists(), "created through an absolute symlink");
        // `..` past the top stays at the top.
        ensure(&root, "/up/file", Kind::File, 0o644, None).unwrap();
        assert!(root_dir.join("file").is_file());
        // A link whose target exists inside the root is followed there.
        std::fs::create_dir_all(root_dir.join("inside")).unwrap();
        std::os::unix::fs::symlink("/inside", root_dir.join("good")).unwrap();
        ensure(&root, "/good/made", Kind::Dir, 0o755, None).unwrap();
        assert!(root_dir.join("inside/made").is_dir());
        std::fs::remove_dir_all(&base).unwrap();
    }
}
