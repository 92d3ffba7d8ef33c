//! The container's cgroups, joined by the exec: for every hierarchy where
//! the container's first process sits elsewhere than cove, cove writes the
//! joining process into the same cgroup (`cgroup.procs`), v1 and v2 alike,
//! before that process does anything of its own.

use crate::SpawnError;
use std::path::PathBuf;

/// One line of `/proc/PID/cgroup`: hierarchy id, controllers, path.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Line<'a> {
    id: &'a str,
    controllers: &'a str,
    path: &'a str,
}

fn lines(text: &str) -> impl Iterator<Item = Line<'_>> {
    text.lines().filter_map(|l| {
        let mut f = l.splitn(3, ':');
        Some(Line { id: f.next()?, controllers: f.next()?, path: f.next()? })
    })
}

/// The `cgroup.procs` files to write so that a process with our cgroups
/// (`ours`, `/proc/self/cgroup`) ends up in the container's (`theirs`,
/// `/proc/PID/cgroup`), using the mounts in `mountinfo`
/// (`/proc/self/mountinfo`). An error names a hierarchy that has no mount.
pub fn to_join(ours: &str, theirs: &str, mountinfo: &str) -> Result<Vec<PathBuf>, String> {
    let mut files = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for line in lines(theirs) {
        // A cgroup's name may hold a newline, so a container that can make
        // cgroups (SYS_ADMIN, its own cgroupfs) could forge a line for a
        // hierarchy it is already listed in; and `..` must never climb.
        if !seen.insert((line.id, line.controllers)) || line.path.split('/').any(|c| c == "..") {
            return Err(format!("the container's cgroup list is malformed at {:?}", line.path));
        }
        let same = lines(ours).any(|o| o.id == line.id && o.controllers == line.controllers && o.path == line.path);
        if same {
            continue;
        }
        let (mount_point, root) = mount_of(mountinfo, line.id, line.controllers)
            .ok_or_else(|| format!("cgroup hierarchy {}:{} is not mounted here", line.id, line.controllers))?;
        let below = if root == "/" { line.path } else { line.path.strip_prefix(root.as_str()).unwrap_or(line.path) };
        let mut dir = PathBuf::from(mount_point);
        dir.extend(below.split('/').filter(|s| !s.is_empty()));
        files.push(dir.join("cgroup.procs"));
    }
    Ok(files)
}

/// (mount point, root) of the hierarchy: cgroup2 for `0::`, else the v1
/// mount whose super options hold every one of `controllers`
/// (`name=systemd` included).
fn mount_of(mountinfo: &str, id: &str, controllers: &str) -> Option<(String, String)> {
    mountinfo.lines().find_map(|line| {
        let (left, right) = line.split_once(" - ")?;
        let fields: Vec<&str> = left.split(' ').collect();
        let mut right = right.split(' ');
        let (fstype, _source, opts) = (right.next()?, right.next()?, right.next().unwrap_or(""));
        let wanted = match (id, controllers) {
            ("0", "") => fstype == "cgroup2",
            _ => fstype == "cgroup" && controllers.split(',').all(|c| opts.split(',').any(|o| o == c)),
        };
        if wanted { Some((unescape(fields.get(4)?), unescape(fields.get(3)?))) } else { None }
    })
}

/// Mountinfo's escapes for the characters that appear in paths here.
fn unescape(s: &str) -> String {
    s.replace("\\040", " ").replace("\\011", "\t").replace("\\012", "\n").replace("\\134", "\\")
}

/// Moves `pid` into each cgroup (`cgroup.procs`).
pub fn attach(files: &[PathBuf], pid: i32) -> Result<(), SpawnError> {
    for f in files {
        std::fs::write(f, pid.to_string()).map_err(SpawnError::parent(format!("join cgroup {}", f.display())))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const MOUNTS: &str = "\
31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
50 31 0:39 /sub /mnt/mem rw,relatime - cgroup cgroup rw,memory
";

    #[test]
    fn forged_or_climbing_lines_are_refused() {
        let ours = "8:pids:/\n1:cpu:/\n";
        let forged = "8:pids:/cove/7-ab/x\n8:pids:/other\n1:cpu:/cove/7-ab\n";
        assert!(to_join(ours, forged, MOUNTS).is_err());
        assert!(to_join(ours, "8:pids:/cove/../..\n", MOUNTS).is_err());
    }

    #[test]
    fn only_hierarchies_that_differ_are_joined() {
        let ours = "9:name=systemd:/user\n8:pids:/\n1:cpu:/\n0::/\n";
        let theirs = "9:name=systemd:/user\n8:pids:/cove/7-ab\n1:cpu:/cove/7-ab\n0::/\n";
        assert_eq!(
            to_join(ours, theirs, MOUNTS).unwrap(),
            vec![
                PathBuf::from("/sys/fs/cgroup/pids/cove/7-ab/cgroup.procs"),
                PathBuf::from("/sys/fs/cgroup/cpu/cove/7-ab/cgroup.procs"),
            ]
        );
        assert!(to_join(ours, ours, MOUNTS).unwrap().is_empty());
    }

    #[test]
    fn v2_named_and_rooted_mounts() {
        let ours = "9:name=systemd:/a\n4:memory:/sub\n0::/a\n";
        let theirs = "9:name=systemd:/b\n4:memory:/sub/c\n0::/b/c\n";
        assert_eq!(
            to_join(ours, theirs, MOUNTS).unwrap(),
            vec![
                PathBuf::from("/sys/fs/cgroup/systemd/b/cgroup.procs"),
                PathBuf::from("/mnt/mem/c/cgroup.procs"),
                PathBuf::from("/sys/fs/cgroup/unified/b/c/cgroup.procs"),
            ]
        );
    }

    #[test]
    fn an_unmounted_hierarchy_is_an_error() {
        let err = to_join("", "3:rdma:/x\n", MOUNTS).unwrap_err();
        assert!(err.contains("3:rdma"), "{err}");
    }
}
