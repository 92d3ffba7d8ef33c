//! `-u/--user` resolution against the container's own `/etc/passwd` and
//! `/etc/group` text (never the host's).

use crate::spec::UserIds;

/// A `--user` value that cannot be resolved.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum UserError {
    /// A user name that the container's `/etc/passwd` does not list.
    #[error("unable to find user {0}: no matching entries in the container's /etc/passwd")]
    UnknownUser(String),
    /// A group name that the container's `/etc/group` does not list.
    #[error("unable to find group {0}: no matching entries in the container's /etc/group")]
    UnknownGroup(String),
    /// Empty or malformed.
    #[error("invalid --user {0:?}: expected NAME|UID[:GROUP|GID]")]
    Invalid(String),
}

struct PasswdEntry<'a> {
    name: &'a str,
    uid: u32,
    gid: u32,
    home: &'a str,
}

fn passwd_entries(text: &str) -> impl Iterator<Item = PasswdEntry<'_>> {
    text.lines().filter_map(|line| {
        let f: Vec<&str> = line.split(':').collect();
        if f.len() < 7 || line.starts_with('#') {
            return None;
        }
        Some(PasswdEntry { name: f[0], uid: f[2].parse().ok()?, gid: f[3].parse().ok()?, home: f[5] })
    })
}

/// (name, gid, members) for every well-formed `/etc/group` line.
fn group_entries(text: &str) -> impl Iterator<Item = (&str, u32, Vec<&str>)> {
    text.lines().filter_map(|line| {
        let f: Vec<&str> = line.split(':').collect();
        if f.len() < 4 || line.starts_with('#') {
            return None;
        }
        let members = f[3].split(',').filter(|m| !m.is_empty()).collect();
        Some((f[0], f[2].parse().ok()?, members))
    })
}

/// Resolves a `--user` value (`NAME|UID[:GROUP|GID]`, or `None` for the
/// default root) the way Docker does: numeric ids need no database entry;
/// names must exist; supplementary groups come from `/etc/group`.
pub fn resolve(spec: Option<&str>, passwd: &str, group: &str) -> Result<UserIds, UserError> {
    let spec = spec.unwrap_or("0");
    let (user_part, group_part) = match spec.split_once(':') {
        Some((u, g)) => (u, Some(g)),
        None => (spec, None),
    };
    if user_part.is_empty() || group_part == Some("") {
        return Err(UserError::Invalid(spec.to_owned()));
    }
    let entry = passwd_entries(passwd).find(|e| match user_part.parse::<u32>() {
        Ok(uid) => e.uid == uid,
        Err(_) => e.name == user_part,
    });
    let (uid, mut gid, home, name) = match (&entry, user_part.parse::<u32>()) {
        (Some(e), _) => (e.uid, e.gid, e.home.to_owned(), Some(e.name.to_owned())),
        (None, Ok(uid)) => (uid, uid, "/".to_owned(), None),
        (None, Err(_)) => return Err(UserError::UnknownUser(user_part.to_owned())),
    };
    if entry.is_none() && group_part.is_none() {
        gid = 0;
    }
    if let Some(g) = group_part {
        gid = match g.parse::<u32>() {
            Ok(n) => n,
            Err(_) => group_entries(group)
                .find(|(n, _, _)| *n == g)
                .map(|(_, id, _)| id)
                .ok_or_else(|| UserError::UnknownGroup(g.to_owned()))?,
        };
    }
    let mut groups: Vec<u32> = match &name {
        Some(n) if group_part.is_none() => group_entries(group)
            .filter(|(_, id, members)| *id != gid && members.contains(&n.as_str()))
            .map(|(_, id, _)| id)
            .collect(),
        _ => Vec::new(),
    };
    groups.dedup();
    // (uid_t)-1 means "unchanged" to setresuid(2) and cannot be mapped.
    if uid == u32::MAX || gid == u32::MAX || groups.contains(&u32::MAX) {
        return Err(UserError::Invalid(spec.to_owned()));
    }
    let home = if uid == 0 && home == "/" { "/root".to_owned() } else { home };
    Ok(UserIds { uid, gid, groups, home, name })
}

#[cfg(test)]
mod tests {
    use super::*;

    const PASSWD: &str = "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n";
    const GROUP: &str = "root:x:0:\nwheel:x:10:app\napp:x:1000:\n";

    #[test]
    fn default_is_root() {
        let u = resolve(None, PASSWD, GROUP).unwrap();
        assert_eq!((u.uid, u.gid, u.home.as_str()), (0, 0, "/root"));
    }

    #[test]
    fn names_and_numbers() {
        let u = resolve(Some("app"), PASSWD, GROUP).unwrap();
        assert_eq!((u.uid, u.gid, u.groups.clone()), (1000, 1000, vec![10]));
        let u = resolve(Some("1000:10"), PASSWD, GROUP).unwrap();
        assert_eq!((u.uid, u.gid), (1000, 10));
        let u = resolve(Some("4242"), PASSWD, GROUP).unwrap();
        assert_eq!((u.uid, u.gid, u.home.as_str()), (4242, 0, "/"));
        let u = resolve(Some("app:wheel"), PASSWD, GROUP).unwrap();
        assert_eq!((u.uid, u.gid), (1000, 10));
    }

    #[test]
    fn id_minus_one_is_invalid() {
        for spec in ["4294967295", "0:4294967295", "-1"] {
            assert!(resolve(Some(spec), PASSWD, GROUP).is_err(), "{spec}");
        }
        let passwd = "ghost:x:4294967295:0::/:/bin/sh\n";
        assert!(resolve(Some("ghost"), passwd, GROUP).is_err());
    }

    #[test]
    fn unknown_names_are_errors() {
        assert_eq!(resolve(Some("nobody2"), PASSWD, GROUP), Err(UserError::UnknownUser("nobody2".into())));
        assert_eq!(resolve(Some("app:nogroup"), PASSWD, GROUP), Err(UserError::UnknownGroup("nogroup".into())));
        assert!(matches!(resolve(Some(":1"), PASSWD, GROUP), Err(UserError::Invalid(_))));
    }
}
