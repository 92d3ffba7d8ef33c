//! The zero-setup root: the host's system directories read-only, a
//! generated `/etc`, and fresh `/tmp` and home — nothing else of the host.

use super::{MountFlags, MountStep};
use crate::spec::RunSpec;

/// Host directories that make up "the system" (symlinks kept as symlinks).
const SYSTEM_DIRS: &[&str] = &["/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"];

/// Host `/etc` entries that programs need and that hold no secrets.
const ETC_ENTRIES: &[&str] = &[
    "/etc/alternatives",
    "/etc/bash.bashrc",
    "/etc/ca-certificates",
    "/etc/ca-certificates.conf",
    "/etc/crypto-policies",
    "/etc/debian_version",
    "/etc/gai.conf",
    "/etc/host.conf",
    "/etc/inputrc",
    "/etc/ld.so.cache",
    "/etc/ld.so.conf",
    "/etc/ld.so.conf.d",
    "/etc/localtime",
    "/etc/login.defs",
    "/etc/mime.types",
    "/etc/nsswitch.conf",
    "/etc/os-release",
    "/etc/pki",
    "/etc/profile",
    "/etc/profile.d",
    "/etc/protocols",
    "/etc/services",
    "/etc/shells",
    "/etc/ssl",
    "/etc/terminfo",
    "/etc/timezone",
];

/// The generated user database of the zero-setup root.
pub fn user_database(uid: u32, gid: u32) -> (String, String) {
    let mut passwd = String::from("root:x:0:0:root:/root:/bin/sh\n");
    let mut group = String::from("root:x:0:\ntty:x:5:\n");
    if uid != 0 && uid != 65534 {
        passwd.push_str(&format!("user:x:{uid}:{gid}:user:/home/user:/bin/sh\n"));
    }
    if gid != 0 && gid != 5 && gid != 65534 {
        group.push_str(&format!("user:x:{gid}:\n"));
    }
    passwd.push_str("nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n");
    group.push_str("nogroup:x:65534:\n");
    (passwd, group)
}

/// The steps that fill the empty root tmpfs.
pub(super) fn steps(spec: &RunSpec) -> Vec<MountStep> {
    let user = &spec.process.user;
    let ro = MountFlags { read_only: true, nodev: true, ..MountFlags::default() };
    let mirror = |p: &&str| MountStep::Mirror { path: (*p).into(), flags: ro };
    let mut steps: Vec<MountStep> = SYSTEM_DIRS.iter().map(mirror).collect();
    steps.push(MountStep::Dir { path: "/etc".into(), mode: 0o755, owner: None });
    steps.extend(ETC_ENTRIES.iter().map(mirror));
    let (passwd, group) = user_database(user.uid, user.gid);
    let hostname = &spec.hostname;
    let hosts = format!("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n127.0.1.1\t{hostname}\n");
    for (path, contents) in [
        ("/etc/passwd", passwd),
        ("/etc/group", group),
        ("/etc/hostname", format!("{hostname}\n")),
        ("/etc/hosts", hosts),
    ] {
        steps.push(MountStep::File { path: path.into(), contents, mode: 0o644 });
    }
    steps.push(MountStep::Bind {
        source: "/etc/resolv.conf".into(),
        dest: "/etc/resolv.conf".into(),
        flags: MountFlags { read_only: true, nosuid: true, nodev: true, noexec: true },
        optional: true,
    });
    for dir in ["/var", "/run", "/home", "/mnt", "/opt", "/srv", "/media"] {
        steps.push(MountStep::Dir { path: dir.into(), mode: 0o755, owner: None });
    }
    steps.push(MountStep::Dir { path: "/var/tmp".into(), mode: 0o1777, owner: None });
    steps.push(MountStep::Tmpfs {
        dest: "/tmp".into(),
        mode: 0o1777,
        size: None,
        flags: MountFlags { nosuid: true, nodev: true, ..MountFlags::default() },
    });
    let home_mode = if user.uid == 0 { 0o700 } else { 0o755 };
    steps.push(MountStep::Dir { path: user.home.clone(), mode: home_mode, owner: Some((user.uid, user.gid)) });
    steps
}
