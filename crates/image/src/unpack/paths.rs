//! Entry paths: lexical normalisation and walking parents without following
//! symlinks.

use std::collections::HashSet;
use std::fs;
use std::io;
use std::path::{Component, Path, PathBuf};

use super::UnpackError;

/// Turns an archive name into a root-relative path: `.` dropped, absolute
/// paths and `..` refused. `./` and `` become the empty path (the root).
pub(super) fn normalise(raw: &Path) -> Result<PathBuf, UnpackError> {
    let mut out = PathBuf::new();
    for component in raw.components() {
        match component {
            Component::Normal(c) => out.push(c),
            Component::CurDir => {}
            Component::ParentDir => return Err(UnpackError::ParentComponent { entry: raw.into() }),
            Component::RootDir | Component::Prefix(_) => {
                return Err(UnpackError::AbsolutePath { entry: raw.into() });
            }
        }
    }
    Ok(out)
}

/// Makes sure every parent of `rel` under `root` is a real directory
/// (creating missing ones with the default mode), never following a symlink.
/// Returns the host path of the entry itself. `known` holds the host
/// directories already checked or created during this unpack (their
/// `statx` is skipped); the caller removes a path from it whenever an entry
/// replaces it (see `State::forget`).
pub(super) fn prepare_parents(
    root: &Path,
    raw: &Path,
    rel: &Path,
    known: &mut HashSet<PathBuf>,
) -> Result<PathBuf, UnpackError> {
    Ok(walk_parents(root, raw, rel, true, Some(known))?.expect("created parents are never missing"))
}

/// Like [`prepare_parents`] but creates nothing: `None` when a parent is
/// missing or not a directory (so there is nothing to delete), an error when
/// one is a symlink. Used by whiteouts, which must never delete through a
/// symlink.
pub(super) fn existing_parents(root: &Path, raw: &Path, rel: &Path) -> Result<Option<PathBuf>, UnpackError> {
    let found = walk_parents(root, raw, rel, false, None)?;
    Ok(found.filter(|_| rel.file_name().is_some()))
}

/// Walks the parents of `rel` one component at a time with
/// `symlink_metadata`, refusing symlinks; a missing parent is created when
/// `create`, else the walk answers `None` (as for a non-directory).
fn walk_parents(
    root: &Path,
    raw: &Path,
    rel: &Path,
    create: bool,
    mut known: Option<&mut HashSet<PathBuf>>,
) -> Result<Option<PathBuf>, UnpackError> {
    let mut host = root.to_path_buf();
    let mut walked = PathBuf::new();
    for component in rel.parent().unwrap_or(Path::new("")).components() {
        host.push(component);
        walked.push(component);
        if known.as_ref().is_some_and(|k| k.contains(&host)) {
            continue;
        }
        if let Some(k) = known.as_mut() {
            k.insert(host.clone());
        }
        match fs::symlink_metadata(&host) {
            Ok(m) if m.file_type().is_symlink() => {
                return Err(UnpackError::SymlinkParent { entry: raw.into(), parent: walked });
            }
            Ok(m) if m.is_dir() => {}
            Ok(_) if create => return Err(UnpackError::NotADirectory { entry: raw.into(), parent: walked }),
            Ok(_) => return Ok(None),
            Err(e) if e.kind() == io::ErrorKind::NotFound && create => {
                fs::create_dir(&host).map_err(|source| UnpackError::Io {
                    op: "create parent directory",
                    path: host.clone(),
                    source,
                })?;
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(source) => return Err(UnpackError::Io { op: "inspect parent", path: host, source }),
        }
    }
    Ok(Some(rel.file_name().map_or(host.clone(), |name| host.join(name))))
}

/// Resolves a hardlink target (an archive name) to a host path that is an
/// existing regular file inside `root`, reached without following symlinks.
pub(super) fn hardlink_source(root: &Path, raw: &Path, target: &Path) -> Result<PathBuf, UnpackError> {
    let refuse = |reason| UnpackError::BadHardlink { entry: raw.into(), target: target.into(), reason };
    let rel = match normalise(target) {
        Ok(rel) if rel.as_os_str().is_empty() => return Err(refuse("is the layer root")),
        Ok(rel) => rel,
        Err(UnpackError::AbsolutePath { .. }) => return Err(refuse("is an absolute path")),
        Err(_) => return Err(refuse("leaves the layer root")),
    };
    let mut host = root.to_path_buf();
    let count = rel.components().count();
    for (i, component) in rel.components().enumerate() {
        host.push(component);
        let meta = match fs::symlink_metadata(&host) {
            Ok(m) => m,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Err(refuse("does not exist")),
            Err(source) => return Err(UnpackError::Io { op: "inspect hardlink target", path: host, source }),
        };
        let last = i + 1 == count;
        if meta.file_type().is_symlink() {
            return Err(refuse(if last { "is a symlink" } else { "has a symlink parent" }));
        }
        if !last && !meta.is_dir() {
            return Err(refuse("has a parent that is not a directory"));
        }
        if last && !meta.is_file() {
            return Err(refuse("is not a regular file"));
        }
    }
    Ok(host)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalise_drops_dots_and_refuses_escapes() {
        assert_eq!(normalise(Path::new("./a/./b/")).unwrap(), PathBuf::from("a/b"));
        assert_eq!(normalise(Path::new("./")).unwrap(), PathBuf::new());
        assert!(matches!(normalise(Path::new("../evil")), Err(UnpackError::ParentComponent { .. })));
        assert!(matches!(normalise(Path::new("a/../../b")), Err(UnpackError::ParentComponent { .. })));
        assert!(matches!(normalise(Path::new("a/b/..")), Err(UnpackError::ParentComponent { .. })));
        assert!(matches!(normalise(Path::new("/abs")), Err(UnpackError::AbsolutePath { .. })));
    }
}
