//! Pure parsers shared by the cgroup probe and `cgroup::create`: cgroup mounts from
//! `/proc/self/mountinfo` (which controllers each v1 hierarchy holds) and the
//! caller's own cgroups from `/proc/self/cgroup`.

use std::path::PathBuf;

/// v1 controller names, as they appear in a v1 mount's super options.
const V1_CONTROLLERS: &[&str] = &[
    "blkio",
    "cpu",
    "cpuacct",
    "cpuset",
    "devices",
    "freezer",
    "hugetlb",
    "memory",
    "misc",
    "net_cls",
    "net_prio",
    "perf_event",
    "pids",
    "rdma",
];

/// One mounted cgroup hierarchy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CgroupMount {
    /// Where it is mounted.
    pub mount_point: String,
    /// The hierarchy's directory shown at the mount point (`/` usually).
    pub root: String,
    /// `None` for cgroup2; for v1, the controllers it holds (empty for a
    /// named hierarchy such as `name=systemd`).
    pub v1: Option<Vec<String>>,
    /// Mounted read-only.
    pub read_only: bool,
}

/// The caller's cgroups, from `/proc/self/cgroup`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SelfCgroup {
    /// The path in the v2 hierarchy (`0::/path`).
    pub v2: Option<String>,
    /// `(controllers, path)` for each v1 hierarchy.
    pub v1: Vec<(Vec<String>, String)>,
}

impl SelfCgroup {
    /// The caller's path in the v1 hierarchy holding `controller`.
    pub fn v1_path(&self, controller: &str) -> Option<&str> {
        self.v1.iter().find(|(c, _)| c.iter().any(|c| c == controller)).map(|(_, p)| p.as_str())
    }
}

/// The cgroup mounts in mountinfo text (proc(5): fields, `-`, fstype,
/// source, super options).
pub fn parse_mountinfo(text: &str) -> Vec<CgroupMount> {
    text.lines().filter_map(parse_mount_line).collect()
}

fn parse_mount_line(line: &str) -> Option<CgroupMount> {
    let (left, right) = line.split_once(" - ")?;
    let fields: Vec<&str> = left.split(' ').collect();
    let mut right = right.split(' ');
    let (fstype, _source, super_opts) = (right.next()?, right.next()?, right.next().unwrap_or(""));
    let (root, mount_point, opts) = (fields.get(3)?, fields.get(4)?, fields.get(5)?);
    let read_only = opts.split(',').chain(super_opts.split(',')).any(|o| o == "ro");
    let v1 = match fstype {
        "cgroup2" => None,
        "cgroup" => Some(super_opts.split(',').filter(|o| V1_CONTROLLERS.contains(o)).map(str::to_owned).collect()),
        _ => return None,
    };
    Some(CgroupMount { mount_point: unescape(mount_point), root: unescape(root), v1, read_only })
}

/// Decodes mountinfo's octal escapes (`\040` for a space).
fn unescape(field: &str) -> String {
    let bytes = field.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let octal = bytes.get(i + 1..i + 4).and_then(|d| u8::from_str_radix(std::str::from_utf8(d).ok()?, 8).ok());
        match (bytes[i], octal) {
            (b'\\', Some(b)) => {
                out.push(b);
                i += 4;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `/proc/self/cgroup` text: `id:controllers:path` lines.
pub fn parse_self_cgroup(text: &str) -> SelfCgroup {
    let mut me = SelfCgroup::default();
    for line in text.lines() {
        let mut fields = line.splitn(3, ':');
        let (Some(id), Some(ctl), Some(path)) = (fields.next(), fields.next(), fields.next()) else { continue };
        if id == "0" && ctl.is_empty() {
            me.v2 = Some(path.to_owned());
        } else {
            me.v1.push((ctl.split(',').map(str::to_owned).collect(), path.to_owned()));
        }
    }
    me
}

/// The directory of cgroup `path` under a mount of the hierarchy.
pub fn cgroup_dir(mount: &CgroupMount, path: &str) -> PathBuf {
    let below = match path.strip_prefix(mount.root.as_str()) {
        Some(rest) if mount.root != "/" => rest,
        _ => path,
    };
    let mut dir = PathBuf::from(&mount.mount_point);
    dir.extend(below.split('/').filter(|s| !s.is_empty()));
    dir
}

#[cfg(test)]
mod tests {
    use super::*;

    const HYBRID: &str = "\
31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
39 31 0:36 / /sys/fs/cgroup/pids ro,relatime - cgroup cgroup rw,pids
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime shared:9 - cgroup cgroup rw,xattr,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime shared:10 - cgroup2 cgroup2 rw,nsdelegate
";

    #[test]
    fn v1_mounts_list_their_controllers() {
        let mounts = parse_mountinfo(HYBRID);
        assert_eq!(mounts.len(), 6);
        assert_eq!(mounts[0].v1, Some(vec!["cpu".to_owned()]));
        assert!(mounts[3].read_only);
        assert_eq!(mounts[4].v1, Some(vec![]));
        assert_eq!(mounts[5].v1, None);
        assert_eq!(mounts[5].mount_point, "/sys/fs/cgroup/unified");
    }

    #[test]
    fn combined_controllers_and_escapes() {
        let line = "25 20 0:22 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct\n\
                    26 20 0:23 /a\\040b /mnt/my\\040cg rw - cgroup2 none rw\n";
        let mounts = parse_mountinfo(line);
        assert_eq!(mounts[0].v1, Some(vec!["cpu".to_owned(), "cpuacct".to_owned()]));
        assert_eq!(mounts[1].mount_point, "/mnt/my cg");
        assert_eq!(mounts[1].root, "/a b");
    }

    #[test]
    fn parses_own_cgroups() {
        let text = "9:name=systemd:/\n4:memory:/process_api/53d3\n2:cpu,cpuacct:/\n0::/user.slice/user-1001.slice\n";
        let me = parse_self_cgroup(text);
        assert_eq!(me.v2.as_deref(), Some("/user.slice/user-1001.slice"));
        assert_eq!(me.v1_path("memory"), Some("/process_api/53d3"));
        assert_eq!(me.v1_path("cpuacct"), Some("/"));
        assert_eq!(me.v1_path("pids"), None);
    }

    #[test]
    fn joins_paths_under_the_mount() {
        let mount = CgroupMount { mount_point: "/sys/fs/cgroup".into(), root: "/".into(), v1: None, read_only: false };
        assert_eq!(cgroup_dir(&mount, "/user.slice/a"), PathBuf::from("/sys/fs/cgroup/user.slice/a"));
        assert_eq!(cgroup_dir(&mount, "/"), PathBuf::from("/sys/fs/cgroup"));
        let bind = CgroupMount { root: "/docker/x".into(), ..mount };
        assert_eq!(cgroup_dir(&bind, "/docker/x/app"), PathBuf::from("/sys/fs/cgroup/app"));
    }
}
