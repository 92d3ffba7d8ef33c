//! The user-namespace id mapping: who the container's ids are on the host.

use super::{HostIdentity, IdMap, IdRange, MAPPED_RANGE, PlanError};
use crate::spec::{RunSpec, UsernsMode};

/// Root callers map every id to itself. Others with subordinate ranges map
/// 0 onto themselves and 1..=65535 onto their ranges (so images with several
/// owners work); without ranges, the requested user and group are mapped
/// onto the caller's single uid and gid.
pub(super) fn id_map(spec: &RunSpec, host: HostIdentity) -> Result<IdMap, PlanError> {
    let user = &spec.process.user;
    if host.uid == 0 {
        return root_id_map(spec, host);
    }
    let Some(sub) = host.subids else {
        return Ok(IdMap {
            uids: vec![IdRange { inside: user.uid, outside: host.uid, count: 1 }],
            gids: vec![IdRange { inside: user.gid, outside: host.gid, count: 1 }],
            setgroups: false,
            helper: false,
        });
    };
    let map = subordinate_map(host.uid, host.gid, sub);
    let (ucount, gcount) = (map.uids[1].count, map.gids[1].count);
    let check = |kind, id: u32, last: u32| if id > last { Err(PlanError::Unmapped { kind, id, last }) } else { Ok(()) };
    check("uid", user.uid, ucount)?;
    check("gid", user.gid, gcount)?;
    for g in &user.groups {
        check("gid", *g, gcount)?;
    }
    Ok(map)
}

/// The map of a rootless caller with subordinate ranges: 0 onto the caller,
/// 1..=65535 onto the first range (capped at its size), written by the
/// setuid helpers. Containers get it, and so does the image store's unpack
/// helper, so an image's uid N is uid N inside every container.
pub fn subordinate_map(uid: u32, gid: u32, sub: super::SubIds) -> IdMap {
    let ranges = |own: u32, start: u32, count: u32| {
        vec![IdRange { inside: 0, outside: own, count: 1 }, IdRange { inside: 1, outside: start, count }]
    };
    let (ucount, gcount) = (sub.uid_count.min(MAPPED_RANGE - 1), sub.gid_count.min(MAPPED_RANGE - 1));
    IdMap {
        uids: ranges(uid, sub.uid_start, ucount),
        gids: ranges(gid, sub.gid_start, gcount),
        setgroups: true,
        helper: true,
    }
}

/// Root callers: the identity map, or with `--userns auto` ids 0–65535 onto
/// root's first subordinate range (written directly; no helper needed).
fn root_id_map(spec: &RunSpec, host: HostIdentity) -> Result<IdMap, PlanError> {
    if spec.security.userns == UsernsMode::Identity {
        let all = vec![IdRange { inside: 0, outside: 0, count: u32::MAX }];
        return Ok(IdMap { uids: all.clone(), gids: all, setgroups: true, helper: false });
    }
    let sub = host.subids.ok_or(PlanError::NoRootRange)?;
    let (ucount, gcount) = (sub.uid_count.min(MAPPED_RANGE), sub.gid_count.min(MAPPED_RANGE));
    let user = &spec.process.user;
    for (kind, id, count) in [("uid", user.uid, ucount), ("gid", user.gid, gcount)] {
        if id >= count {
            return Err(PlanError::Unmapped { kind, id, last: count - 1 });
        }
    }
    Ok(IdMap {
        uids: vec![IdRange { inside: 0, outside: sub.uid_start, count: ucount }],
        gids: vec![IdRange { inside: 0, outside: sub.gid_start, count: gcount }],
        setgroups: true,
        helper: false,
    })
}

/// The `tty` group (5) owns new terminals when it is mapped.
pub(super) fn tty_gid(map: &IdMap) -> Option<u32> {
    map.gids.iter().any(|r| r.inside <= 5 && 5 - r.inside < r.count).then_some(5)
}
