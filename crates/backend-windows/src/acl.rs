//! File-system grants for an AppContainer SID: which directory gets which
//! access entry, expressed as data (and as SDDL for reports and tests).
//! `sys/acl.rs` adds them with `SetEntriesInAclW` and revokes them at exit.

use std::fmt;

/// `FILE_GENERIC_READ | FILE_GENERIC_EXECUTE`: list, read, run.
pub const READ_EXECUTE: u32 = 0x0012_00a9;
/// Read and execute plus write and delete (`FILE_GENERIC_WRITE | DELETE`):
/// the "Modify" right, without changing permissions or owner.
pub const MODIFY: u32 = 0x0013_01bf;
/// `FILE_EXECUTE` (also "traverse" on directories; denied only on files,
/// see [`Grant::inherit`]).
pub const EXECUTE: u32 = 0x0000_0020;

/// Allow or deny.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AceKind {
    /// An access-allowed entry.
    Allow,
    /// An access-denied entry (ordered before allows by `SetEntriesInAclW`).
    Deny,
}

/// How an entry is inherited.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Inherit {
    /// The directory, its subdirectories and files (`OICI`).
    Tree,
    /// Files below the directory only (`OIIO`): used to deny execution of
    /// files without also denying traversal of directories.
    FilesOnly,
}

/// One access entry for a SID on a host path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Grant {
    /// Host path (a directory or a file).
    pub path: String,
    /// Allow or deny.
    pub kind: AceKind,
    /// The access mask.
    pub mask: u32,
    /// Inheritance.
    pub inherit: Inherit,
    /// The trustee, as a SID string.
    pub sid: String,
}

impl Grant {
    /// The entry in SDDL ACE form, e.g. `(A;OICI;0x1301bf;;;S-1-15-2-…)`.
    pub fn sddl(&self) -> String {
        let kind = match self.kind {
            AceKind::Allow => "A",
            AceKind::Deny => "D",
        };
        let inherit = match self.inherit {
            Inherit::Tree => "OICI",
            Inherit::FilesOnly => "OIIO",
        };
        format!("({kind};{inherit};{:#x};;;{})", self.mask, self.sid)
    }
}

impl fmt::Display for Grant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.path, self.sddl())
    }
}

/// What a directory is for the container.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Access {
    /// Writes allowed.
    pub write: bool,
    /// Running programs from it allowed.
    pub exec: bool,
}

/// The entries that give `sid` `access` to `path`: an allow of read (and,
/// with `write`, modify) on the tree, and a deny of execute on the files
/// below when `exec` is false.
pub fn grants_for(path: &str, sid: &str, access: Access) -> Vec<Grant> {
    let mask = if access.write { MODIFY } else { READ_EXECUTE };
    let allow =
        Grant { path: path.to_owned(), kind: AceKind::Allow, mask, inherit: Inherit::Tree, sid: sid.to_owned() };
    let mut v = vec![allow];
    if !access.exec {
        v.push(Grant {
            path: path.to_owned(),
            kind: AceKind::Deny,
            mask: EXECUTE,
            inherit: Inherit::FilesOnly,
            sid: sid.to_owned(),
        });
    }
    v
}

/// A whole DACL in SDDL (`D:` and the entries, denies first, as Windows
/// orders them), for reports.
pub fn dacl_sddl(grants: &[&Grant]) -> String {
    let mut sorted: Vec<&&Grant> = grants.iter().collect();
    sorted.sort_by_key(|g| g.kind == AceKind::Allow);
    let body: String = sorted.iter().map(|g| g.sddl()).collect();
    format!("D:{body}")
}

#[cfg(test)]
mod tests {
    use super::*;

    const SID: &str = "S-1-15-2-1-2-3-4-5-6-7";

    #[test]
    fn read_only_volume_gets_read_execute() {
        let g = grants_for(r"C:\data", SID, Access { write: false, exec: true });
        assert_eq!(g.len(), 1);
        assert_eq!(g[0].sddl(), "(A;OICI;0x1200a9;;;S-1-15-2-1-2-3-4-5-6-7)");
        assert_eq!(g[0].to_string(), r"C:\data (A;OICI;0x1200a9;;;S-1-15-2-1-2-3-4-5-6-7)");
    }

    #[test]
    fn writable_noexec_tree_gets_modify_and_a_file_execute_deny() {
        let g = grants_for(r"C:\c\tmp", SID, Access { write: true, exec: false });
        let sddl: Vec<String> = g.iter().map(Grant::sddl).collect();
        assert_eq!(sddl, ["(A;OICI;0x1301bf;;;S-1-15-2-1-2-3-4-5-6-7)", "(D;OIIO;0x20;;;S-1-15-2-1-2-3-4-5-6-7)"]);
        assert_eq!(dacl_sddl(&g.iter().collect::<Vec<_>>()), format!("D:{}{}", sddl[1], sddl[0]), "deny first");
    }

    #[test]
    fn masks_are_the_documented_generic_rights() {
        // FILE_GENERIC_READ 0x120089 | FILE_GENERIC_EXECUTE 0x1200a0.
        assert_eq!(READ_EXECUTE, 0x120089 | 0x1200a0);
        // + FILE_GENERIC_WRITE 0x120116 | DELETE 0x10000; never WRITE_DAC or WRITE_OWNER.
        assert_eq!(MODIFY, READ_EXECUTE | 0x120116 | 0x10000);
        assert_eq!(MODIFY & (0x40000 | 0x80000), 0);
    }
}
