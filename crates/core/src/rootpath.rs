//! Container paths: normalising them, and reading files inside a root
//! directory without ever following a link out of it.

use std::io;
use std::path::{Component, Path, PathBuf};

/// A container path that is not absolute or not clean.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PathError {
    /// The path does not start with `/`.
    #[error("container path {0:?} must be absolute")]
    NotAbsolute(String),
    /// The path is empty or contains a NUL byte.
    #[error("container path {0:?} is empty or contains a NUL byte")]
    Invalid(String),
}

/// Normalises an absolute container path lexically: `.` and empty parts are
/// dropped and `..` never climbs above `/` (as inside a chroot).
pub fn normalize(path: &str) -> Result<String, PathError> {
    if path.is_empty() || path.contains('\0') {
        return Err(PathError::Invalid(path.to_owned()));
    }
    if !path.starts_with('/') {
        return Err(PathError::NotAbsolute(path.to_owned()));
    }
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    Ok(format!("/{}", parts.join("/")))
}

/// Resolves `path` inside `root` as if `root` were `/`: symlinks are
/// followed, absolute targets restart at `root`, and `..` stops at `root`.
/// The result always lies under `root`. Missing trailing parts are kept as
/// they are.
pub fn resolve_in_root(root: &Path, path: &str) -> io::Result<PathBuf> {
    let mut pending: Vec<String> = split(path);
    pending.reverse();
    let mut done: Vec<String> = Vec::new();
    let mut links = 0;
    while let Some(part) = pending.pop() {
        if part == ".." {
            done.pop();
            continue;
        }
        let candidate = join(root, &done).join(&part);
        match std::fs::symlink_metadata(&candidate) {
            Ok(m) if m.file_type().is_symlink() => {
                links += 1;
                if links > 40 {
                    return Err(io::Error::other(format!("too many symlinks in {path}")));
                }
                let target = std::fs::read_link(&candidate)?;
                let target = target.to_string_lossy();
                if target.starts_with('/') {
                    done.clear();
                }
                let mut more = split(&target);
                more.reverse();
                pending.extend(more);
            }
            _ => done.push(part),
        }
    }
    Ok(join(root, &done))
}

/// The most [`read_in_root`] reads: the files are an image's or a root
/// directory's (`/etc/passwd`, `/etc/group`), which may be hostile.
pub const READ_LIMIT: u64 = 8 << 20;

/// Reads a file inside `root` (see [`resolve_in_root`]); `Ok(None)` when
/// absent. Anything but a regular file (a fifo would block, a device could
/// be endless) counts as absent; more than [`READ_LIMIT`] bytes is an error.
pub fn read_in_root(root: &Path, path: &str) -> io::Result<Option<String>> {
    let resolved = resolve_in_root(root, path)?;
    match std::fs::symlink_metadata(&resolved) {
        Ok(m) if !m.is_file() => return Ok(None),
        Ok(m) if m.len() > READ_LIMIT => {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("{path} is larger than {READ_LIMIT} bytes"),
            ));
        }
        Ok(_) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    }
    let mut bytes = Vec::new();
    io::Read::read_to_end(&mut io::Read::take(std::fs::File::open(&resolved)?, READ_LIMIT), &mut bytes)?;
    Ok(Some(String::from_utf8_lossy(&bytes).into_owned()))
}

fn split(path: &str) -> Vec<String> {
    Path::new(path)
        .components()
        .filter_map(|c| match c {
            Component::Normal(p) => Some(p.to_string_lossy().into_owned()),
            Component::ParentDir => Some("..".to_owned()),
            _ => None,
        })
        .collect()
}

fn join(root: &Path, parts: &[String]) -> PathBuf {
    let mut p = root.to_path_buf();
    p.extend(parts);
    p
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn normalize_clamps_dotdot() {
        assert_eq!(normalize("/a/../../b/./c/").unwrap(), "/b/c");
        assert_eq!(normalize("/").unwrap(), "/");
        assert_eq!(normalize("/../..").unwrap(), "/");
        assert!(matches!(normalize("rel"), Err(PathError::NotAbsolute(_))));
        assert!(normalize("").is_err());
    }

    #[test]
    fn symlinks_stay_inside_root() {
        let dir = std::env::temp_dir().join(format!("cove-rootpath-{}", std::process::id()));
        let root = dir.join("root");
        std::fs::create_dir_all(root.join("etc")).unwrap();
        std::fs::write(root.join("etc/passwd"), "inside").unwrap();
        std::os::unix::fs::symlink("/etc/passwd", root.join("abs")).unwrap();
        std::os::unix::fs::symlink("../../../../etc/passwd", root.join("rel")).unwrap();
        for link in ["/abs", "/rel", "/etc/../../abs"] {
            let got = read_in_root(&root, link).unwrap();
            assert_eq!(got.as_deref(), Some("inside"), "{link}");
        }
        assert_eq!(read_in_root(&root, "/missing").unwrap(), None);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn only_bounded_regular_files_are_read() {
        let dir = std::env::temp_dir().join(format!("cove-rootpath-bounded-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        // A directory (a link to the root) and a fifo: absent, not read.
        std::os::unix::fs::symlink("/", dir.join("up")).unwrap();
        assert_eq!(read_in_root(&dir, "/up").unwrap(), None, "a directory");
        let fifo = std::process::Command::new("mkfifo").arg(dir.join("fifo")).status().unwrap();
        assert!(fifo.success());
        assert_eq!(read_in_root(&dir, "/fifo").unwrap(), None, "a fifo");
        let big = std::fs::File::create(dir.join("big")).unwrap();
        big.set_len(READ_LIMIT + 1).unwrap();
        assert!(read_in_root(&dir, "/big").is_err(), "larger than the limit");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
