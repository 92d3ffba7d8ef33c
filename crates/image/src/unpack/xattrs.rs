//! Extended attributes of layer entries (PAX `SCHILY.xattr.NAME` records):
//! which are applied, and applying them without following links.
//!
//! Applied: `user.*` (except `user.overlay.*`, which overlayfs would read
//! as its own markers: a layer must not forge whiteouts, opaque dirs or
//! redirects) and `security.capability` (file capabilities; inside a user
//! namespace the kernel stores them for that namespace's root, and
//! containers run with `no_new_privs`). Anything else (`trusted.*`,
//! `security.selinux`, ACLs) is skipped: it needs privileges outside the
//! namespace or means something on this host. A value the kernel refuses
//! (a file system without xattrs, no capability to set it) is counted, not
//! fatal: "kept where the kernel allows".

use std::io::Read;
use std::path::Path;

const PAX_PREFIX: &str = "SCHILY.xattr.";

/// The attributes of one entry that may be applied.
pub(super) type Xattrs = Vec<(String, Vec<u8>)>;

/// Whether a layer may set `name`.
pub(super) fn allowed(name: &str) -> bool {
    (name.starts_with("user.") && !name.starts_with("user.overlay.")) || name == "security.capability"
}

/// The entry's allowed attributes (from its PAX header) and how many were skipped.
pub(super) fn of_entry<R: Read>(entry: &mut tar::Entry<'_, R>) -> (Xattrs, u64) {
    let Ok(Some(pax)) = entry.pax_extensions() else { return (Vec::new(), 0) };
    let mut keep = Vec::new();
    let mut skipped = 0;
    for ext in pax.flatten() {
        let Some(name) = ext.key().ok().and_then(|k| k.strip_prefix(PAX_PREFIX)) else { continue };
        if allowed(name) {
            keep.push((name.to_owned(), ext.value_bytes().to_vec()));
        } else {
            skipped += 1;
        }
    }
    (keep, skipped)
}

/// Sets `attrs` on `path` without following a symlink (call after chown,
/// which clears `security.capability`); returns how many the kernel refused.
#[cfg(unix)]
pub(super) fn set_on_path(path: &Path, attrs: &Xattrs) -> u64 {
    attrs.iter().filter(|(n, v)| xattr::set(path, n, v).is_err()).count() as u64
}

/// No xattrs off Unix: every one is counted as not applied.
#[cfg(not(unix))]
pub(super) fn set_on_path(_path: &Path, attrs: &Xattrs) -> u64 {
    attrs.len() as u64
}

#[cfg(test)]
mod tests {
    use super::allowed;

    #[test]
    fn overlay_and_privileged_namespaces_are_refused() {
        assert!(allowed("user.mime_type"));
        assert!(allowed("security.capability"));
        assert!(!allowed("user.overlay.opaque"));
        assert!(!allowed("user.overlay.redirect"));
        assert!(!allowed("trusted.overlay.opaque"));
        assert!(!allowed("security.selinux"));
        assert!(!allowed("system.posix_acl_access"));
    }
}
