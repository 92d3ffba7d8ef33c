//! Where a controller can be used: the one decision shared by `cove info`
//! (the `cgroups` feature) and `cove run` (where the container's cgroups
//! go), so that `info` reports exactly what `run` accepts.
//!
//! Per controller, a v1 hierarchy holding it wins when it is mounted
//! read-write and its root is writable (root only, in practice: the
//! container's cgroup is `MOUNT/cove/NAME`). Otherwise the unified (v2)
//! hierarchy: as root its root cgroup, rootless only the caller's own
//! cgroup when it is delegated (writable `cgroup.procs` and
//! `cgroup.subtree_control`); either way the controller must be listed in
//! that cgroup's `cgroup.controllers`. A cgroup2 mount alone is not enough:
//! on hybrid hosts it often holds no controller at all.

use super::mounts::{CgroupMount, SelfCgroup, cgroup_dir};
use std::path::{Path, PathBuf};

/// The leaf a rootless cove moves itself into under its delegated cgroup,
/// so that the cgroup may enable controllers for its children (cgroup v2's
/// no-internal-process rule).
pub const LEAF: &str = "cove-leaf";

/// Which hierarchy makes a controller usable.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Via {
    /// A v1 hierarchy.
    V1,
    /// The v2 hierarchy.
    V2,
}

/// Where cove may create cgroups for one controller.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    /// The hierarchy kind.
    pub via: Via,
    /// The cgroup under which `cove/NAME` is created.
    pub base: PathBuf,
}

/// What the decision reads from the host, injected so that it is testable.
pub trait Access {
    /// Whether the caller may write `path`.
    fn writable(&self, path: &Path) -> bool;
    /// The controllers listed in the v2 cgroup `dir`'s `cgroup.controllers`.
    fn controllers(&self, dir: &Path) -> Vec<String>;
}

/// The host's cgroup mounts and the caller's own cgroups.
#[derive(Clone, Debug)]
pub struct Hierarchies {
    /// Mounted hierarchies.
    pub mounts: Vec<CgroupMount>,
    /// The caller's cgroups.
    pub me: SelfCgroup,
    /// The caller is root.
    pub root: bool,
}

impl Hierarchies {
    /// The v2 mount: `/sys/fs/cgroup` when it is one, else the first.
    pub fn v2_mount(&self) -> Option<&CgroupMount> {
        self.mounts.iter().filter(|m| m.v1.is_none()).min_by_key(|m| m.mount_point != "/sys/fs/cgroup")
    }

    /// The caller's own v2 cgroup directory.
    pub fn v2_self(&self) -> Option<PathBuf> {
        self.v2_mount().zip(self.me.v2.as_deref()).map(|(m, p)| cgroup_dir(m, p))
    }

    /// The caller's v2 cgroup that rootless containers go under: its own,
    /// or the parent of the [`LEAF`] an earlier step moved it into.
    pub fn v2_base(&self) -> Option<PathBuf> {
        let me = self.v2_self()?;
        if me.file_name().is_some_and(|n| n == LEAF) { me.parent().map(Path::to_path_buf) } else { Some(me) }
    }

    /// Whether the caller's own v2 cgroup is delegated to it.
    pub fn delegated(&self, access: &dyn Access) -> bool {
        let dir = self.v2_base();
        self.v2_mount().is_some_and(|m| !m.read_only)
            && dir.is_some_and(|d| {
                access.writable(&d)
                    && access.writable(&d.join("cgroup.procs"))
                    && access.writable(&d.join("cgroup.subtree_control"))
            })
    }

    /// Where `controller` can be used by this caller, if anywhere.
    pub fn choose(&self, controller: &str, access: &dyn Access) -> Option<Target> {
        let holds = |m: &&CgroupMount| m.v1.as_ref().is_some_and(|c| c.iter().any(|x| x == controller));
        if let Some(m) = self.mounts.iter().find(holds) {
            let base = PathBuf::from(&m.mount_point);
            if !m.read_only && access.writable(&base) {
                return Some(Target { via: Via::V1, base });
            }
        }
        let v2 = self.v2_mount().filter(|m| !m.read_only)?;
        let base = if self.root {
            Some(PathBuf::from(&v2.mount_point)).filter(|b| access.writable(b))
        } else {
            self.v2_base().filter(|_| self.delegated(access))
        }?;
        access.controllers(&base).iter().any(|c| c == controller).then_some(Target { via: Via::V2, base })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cgroup::mounts::{parse_mountinfo, parse_self_cgroup};

    /// Writable: everything for root, only paths under `/sys/fs/cgroup/user`
    /// otherwise; v2 controllers as given.
    struct Fake {
        root: bool,
        v2: Vec<String>,
    }

    impl Access for Fake {
        fn writable(&self, path: &Path) -> bool {
            self.root || path.starts_with("/sys/fs/cgroup/user")
        }
        fn controllers(&self, _: &Path) -> Vec<String> {
            self.v2.clone()
        }
    }

    const HYBRID: &str = "35 31 0:32 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n\
                          36 31 0:33 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct\n\
                          39 31 0:36 / /sys/fs/cgroup/pids ro - cgroup cgroup rw,pids\n\
                          41 31 0:38 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw\n";
    const V2: &str = "41 31 0:38 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n";

    fn host(mounts: &str, root: bool) -> Hierarchies {
        let me = parse_self_cgroup("0::/user/1000\n");
        Hierarchies { mounts: parse_mountinfo(mounts), me, root }
    }

    #[test]
    fn root_on_hybrid_uses_v1_where_mounted_rw() {
        let h = host(HYBRID, true);
        let fake = Fake { root: true, v2: vec![] };
        let mem = h.choose("memory", &fake).unwrap();
        assert_eq!(mem, Target { via: Via::V1, base: "/sys/fs/cgroup/memory".into() });
        assert_eq!(h.choose("cpu", &fake).unwrap().base, PathBuf::from("/sys/fs/cgroup/cpu,cpuacct"));
        // pids is read-only in v1 and the cgroup2 mount holds no controller
        assert_eq!(h.choose("pids", &fake), None);
        let fake = Fake { root: true, v2: vec!["pids".into()] };
        assert_eq!(h.choose("pids", &fake).unwrap(), Target { via: Via::V2, base: "/sys/fs/cgroup/unified".into() });
    }

    #[test]
    fn rootless_needs_a_delegated_v2_cgroup() {
        let fake = Fake { root: false, v2: vec!["memory".into()] };
        assert_eq!(host(HYBRID, false).choose("memory", &fake), None);
        let h = host(V2, false);
        assert!(h.delegated(&fake));
        assert_eq!(
            h.choose("memory", &fake).unwrap(),
            Target { via: Via::V2, base: "/sys/fs/cgroup/user/1000".into() }
        );
        assert_eq!(h.choose("pids", &fake), None);
        let moved = Hierarchies { me: parse_self_cgroup("0::/user/1000/cove-leaf\n"), ..h.clone() };
        assert_eq!(moved.choose("memory", &fake).unwrap().base, PathBuf::from("/sys/fs/cgroup/user/1000"));
        let undelegated = Hierarchies { me: parse_self_cgroup("0::/system/x\n"), ..h };
        assert_eq!(undelegated.choose("memory", &fake), None);
    }
}
