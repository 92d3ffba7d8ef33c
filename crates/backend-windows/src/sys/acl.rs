//! Adding the plan's access entries to files and directories, and revoking
//! them again (`SetEntriesInAclW` merged into the existing DACL).

use super::appcontainer::LocalSid;
use super::{wide, win32};
use crate::acl::{AceKind, Grant, Inherit};
use windows_sys::Win32::Foundation::LocalFree;
use windows_sys::Win32::Security::Authorization::{
    DENY_ACCESS, EXPLICIT_ACCESS_W, GRANT_ACCESS, GetNamedSecurityInfoW, NO_MULTIPLE_TRUSTEE, REVOKE_ACCESS,
    SE_FILE_OBJECT, SetEntriesInAclW, SetNamedSecurityInfoW, TRUSTEE_IS_SID, TRUSTEE_IS_UNKNOWN, TRUSTEE_W,
};
use windows_sys::Win32::Security::{
    ACL, DACL_SECURITY_INFORMATION, INHERIT_ONLY_ACE, OBJECT_INHERIT_ACE, PSECURITY_DESCRIPTOR,
    SUB_CONTAINERS_AND_OBJECTS_INHERIT,
};

/// Whether to add the entries or remove every entry of their SIDs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    /// Add the grants.
    Add,
    /// Remove all entries for the grants' SIDs.
    Revoke,
}

/// Applies `grants` (all for one path) to that path.
pub fn apply(path: &str, grants: &[&Grant], change: Change) -> std::io::Result<()> {
    let sids = grants.iter().map(|g| LocalSid::parse(&g.sid)).collect::<std::io::Result<Vec<_>>>()?;
    let entries: Vec<EXPLICIT_ACCESS_W> = grants.iter().zip(&sids).map(|(g, sid)| entry(g, sid, change)).collect();
    let w = wide(path);
    let mut dacl: *mut ACL = std::ptr::null_mut();
    let mut sd: PSECURITY_DESCRIPTOR = std::ptr::null_mut();
    // SAFETY: a NUL-terminated path and valid out pointers; only the DACL is asked for.
    win32(unsafe {
        GetNamedSecurityInfoW(
            w.as_ptr(),
            SE_FILE_OBJECT,
            DACL_SECURITY_INFORMATION,
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            &mut dacl,
            std::ptr::null_mut(),
            &mut sd,
        )
    })?;
    let mut merged: *mut ACL = std::ptr::null_mut();
    // SAFETY: `entries` point at SIDs alive in `sids`; `dacl` lives inside `sd`.
    let result = win32(unsafe { SetEntriesInAclW(entries.len() as u32, entries.as_ptr(), dacl, &mut merged) })
        .and_then(|()| {
            // SAFETY: a NUL-terminated path and the merged ACL just built.
            win32(unsafe {
                SetNamedSecurityInfoW(
                    w.as_ptr(),
                    SE_FILE_OBJECT,
                    DACL_SECURITY_INFORMATION,
                    std::ptr::null_mut(),
                    std::ptr::null_mut(),
                    merged,
                    std::ptr::null(),
                )
            })
        });
    // SAFETY: both were allocated by the calls above for the caller to free once (NULL is allowed).
    unsafe {
        LocalFree(merged.cast());
        LocalFree(sd);
    }
    result
}

/// The access entry of one grant for `sid` (which must outlive it).
fn entry(g: &Grant, sid: &LocalSid, change: Change) -> EXPLICIT_ACCESS_W {
    EXPLICIT_ACCESS_W {
        grfAccessPermissions: g.mask,
        grfAccessMode: match (change, g.kind) {
            (Change::Revoke, _) => REVOKE_ACCESS,
            (Change::Add, AceKind::Allow) => GRANT_ACCESS,
            (Change::Add, AceKind::Deny) => DENY_ACCESS,
        },
        grfInheritance: match g.inherit {
            Inherit::Tree => SUB_CONTAINERS_AND_OBJECTS_INHERIT,
            Inherit::FilesOnly => OBJECT_INHERIT_ACE | INHERIT_ONLY_ACE,
        },
        Trustee: TRUSTEE_W {
            pMultipleTrustee: std::ptr::null_mut(),
            MultipleTrusteeOperation: NO_MULTIPLE_TRUSTEE,
            TrusteeForm: TRUSTEE_IS_SID,
            TrusteeType: TRUSTEE_IS_UNKNOWN,
            ptstrName: sid.as_psid().cast(),
        },
    }
}
