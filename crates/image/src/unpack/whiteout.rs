//! Whiteouts: `.wh.NAME` deletes `NAME` from lower layers, and
//! `.wh..wh..opq` in a directory hides everything lower layers put there.

use std::collections::HashSet;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use super::UnpackError;
use super::entries::io_err;
use super::paths;

const PREFIX: &str = ".wh.";
const OPAQUE: &str = ".wh..wh..opq";

/// One whiteout found in a layer, relative to the layer root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Whiteout {
    /// Delete this path (file, link or whole directory) from lower layers.
    Remove(PathBuf),
    /// Hide everything lower layers have under this directory.
    Opaque(PathBuf),
}

/// What [`super::unpack_layer`] does with whiteouts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WhiteoutMode {
    /// Flattened copy: every layer is unpacked onto the same directory, so
    /// `.wh.NAME` removes `NAME` there and an opaque marker removes what the
    /// directory held before this layer. Entries this layer wrote itself are
    /// kept, whatever order the archive lists them in.
    #[default]
    Apply,
    /// Overlay lower dir: each layer gets its own empty directory, nothing
    /// is deleted, and the caller translates [`super::UnpackReport::whiteouts`]
    /// into overlayfs markers (a 0/0 character device or the
    /// `user.overlay.whiteout` xattr for `Remove`, `user.overlay.opaque=y`
    /// on the directory for `Opaque`).
    Record,
}

/// Recognises a whiteout entry; `rel` is the normalised form of `raw`.
pub(super) fn parse(raw: &Path, rel: &Path) -> Result<Option<Whiteout>, UnpackError> {
    let Some(name) = rel.file_name().and_then(|n| n.to_str()) else { return Ok(None) };
    let Some(target) = name.strip_prefix(PREFIX) else { return Ok(None) };
    let dir = rel.parent().unwrap_or(Path::new("")).to_path_buf();
    if name == OPAQUE {
        return Ok(Some(Whiteout::Opaque(dir)));
    }
    if target.starts_with(PREFIX) {
        // Other `.wh..wh.*` names are aufs bookkeeping (`.wh..wh.plnk`): no-ops.
        return Ok(None);
    }
    if target.is_empty() || target == "." || target == ".." {
        return Err(UnpackError::BadWhiteout { entry: raw.into() });
    }
    Ok(Some(Whiteout::Remove(dir.join(target))))
}

/// Applies a whiteout to the flattened tree under `root`.
pub(super) fn apply(
    root: &Path,
    raw: &Path,
    whiteout: &Whiteout,
    written: &HashSet<PathBuf>,
) -> Result<(), UnpackError> {
    match whiteout {
        Whiteout::Remove(rel) => {
            if written.contains(rel) {
                return Ok(());
            }
            let host = match paths::existing_parents(root, raw, rel)? {
                Some(host) => host,
                None => return Ok(()),
            };
            remove_any(&host)
        }
        Whiteout::Opaque(dir) => {
            let host = match paths::existing_parents(root, raw, &dir.join(OPAQUE))? {
                Some(host) => host.parent().map(Path::to_path_buf).unwrap_or_default(),
                None => return Ok(()),
            };
            match fs::symlink_metadata(&host) {
                Ok(m) if m.is_dir() => clear_lower(&host, dir, written),
                _ => Ok(()),
            }
        }
    }
}

/// Removes everything under `host` (root-relative `rel`) that this layer did
/// not write; recurses into directories this layer wrote, since lower
/// content inside them is hidden too.
fn clear_lower(host: &Path, rel: &Path, written: &HashSet<PathBuf>) -> Result<(), UnpackError> {
    for child in fs::read_dir(host).map_err(io_err("list opaque directory", host))? {
        let child = child.map_err(io_err("list opaque directory", host))?;
        let child_rel = rel.join(child.file_name());
        let child_host = child.path();
        if !written.contains(&child_rel) {
            remove_any(&child_host)?;
            continue;
        }
        let is_dir = child.file_type().map_err(io_err("inspect", &child_host))?.is_dir();
        if is_dir {
            clear_lower(&child_host, &child_rel, written)?;
        }
    }
    Ok(())
}

/// Removes a file, symlink or directory tree without following symlinks.
fn remove_any(host: &Path) -> Result<(), UnpackError> {
    let result = match fs::symlink_metadata(host) {
        Ok(m) if m.is_dir() => fs::remove_dir_all(host),
        Ok(_) => fs::remove_file(host),
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(source) => Err(UnpackError::Io { op: "remove whited-out path", path: host.into(), source }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_str(s: &str) -> Result<Option<Whiteout>, UnpackError> {
        parse(Path::new(s), Path::new(s))
    }

    #[test]
    fn recognises_whiteouts() {
        assert_eq!(parse_str("a/.wh.b").unwrap(), Some(Whiteout::Remove("a/b".into())));
        assert_eq!(parse_str(".wh.top").unwrap(), Some(Whiteout::Remove("top".into())));
        assert_eq!(parse_str("a/.wh..wh..opq").unwrap(), Some(Whiteout::Opaque("a".into())));
        assert_eq!(parse_str(".wh..wh..opq").unwrap(), Some(Whiteout::Opaque("".into())));
        assert_eq!(parse_str("a/.wh..wh.plnk").unwrap(), None);
        assert_eq!(parse_str("a/b.wh.c").unwrap(), None);
        assert!(matches!(parse_str("a/.wh."), Err(UnpackError::BadWhiteout { .. })));
        assert!(matches!(parse_str("a/.wh..."), Err(UnpackError::BadWhiteout { .. })));
    }
}
