//! `Plan::build` from a `RunSpec`: id maps (root, rootless, ranged),
//! network, roots, mount order, hardening defaults, serialisation.

use super::*;

fn spec(root: RootSpec) -> RunSpec {
    let mut s = RunSpec { root, ..RunSpec::zero_setup(&["sh"]) };
    s.process.env = vec![("PATH".into(), "/bin".into())];
    s.process.user.groups = vec![10];
    s.process.user.name = Some("root".into());
    s
}

const ROOT: HostIdentity = HostIdentity { uid: 0, gid: 0, subids: None };
const USER: HostIdentity = HostIdentity { uid: 1000, gid: 1001, subids: None };
const RANGED: HostIdentity = HostIdentity {
    uid: 1000,
    gid: 1001,
    subids: Some(SubIds { uid_start: 100000, uid_count: 65536, gid_start: 200000, gid_count: 65536 }),
};

#[test]
fn rootless_maps_the_requested_user_onto_the_caller() {
    let mut s = spec(RootSpec::HostSystem);
    s.process.user.uid = 33;
    s.process.user.gid = 44;
    let plan = Plan::build(&s, USER).unwrap();
    assert_eq!(plan.id_map.uids, vec![IdRange { inside: 33, outside: 1000, count: 1 }]);
    assert_eq!(plan.id_map.gids, vec![IdRange { inside: 44, outside: 1001, count: 1 }]);
    assert!(!plan.id_map.setgroups);
    assert!(plan.process.groups.is_empty(), "groups cannot be set when setgroups is denied");
    assert!(plan.mounts.iter().any(|m| matches!(m, MountStep::DevPts { gid: None, .. })));
}

#[test]
fn root_maps_identity_and_keeps_groups() {
    let plan = Plan::build(&spec(RootSpec::HostSystem), ROOT).unwrap();
    assert_eq!(plan.id_map.uids, vec![IdRange { inside: 0, outside: 0, count: u32::MAX }]);
    assert!(plan.id_map.setgroups);
    assert_eq!(plan.process.groups, vec![10]);
    assert!(plan.mounts.iter().any(|m| matches!(m, MountStep::DevPts { gid: Some(5), .. })));
}

#[test]
fn network_mode_decides_netns_and_sysfs() {
    let plan = Plan::build(&spec(RootSpec::HostSystem), USER).unwrap();
    assert!(plan.namespaces.contains(&Namespace::Net) && plan.loopback_up);
    assert!(plan.mounts.iter().any(|m| matches!(m, MountStep::Sysfs { fresh: true, flags, .. } if flags.read_only)));
    let mut s = spec(RootSpec::HostSystem);
    s.network = NetworkMode::Host;
    let plan = Plan::build(&s, USER).unwrap();
    assert!(!plan.namespaces.contains(&Namespace::Net) && !plan.loopback_up);
    assert!(plan.mounts.iter().any(|m| matches!(m, MountStep::Sysfs { fresh: false, flags, .. } if flags.read_only)));
}

#[test]
fn directory_roots_are_throwaway_unless_in_place() {
    let dir = RootSpec::Directory { path: "/r".into(), writes: RootWrites::Throwaway };
    assert_eq!(Plan::build(&spec(dir), USER).unwrap().root, RootStep::Overlay { lower: "/r".into() });
    let dir = RootSpec::Directory { path: "/r".into(), writes: RootWrites::InPlace };
    assert_eq!(Plan::build(&spec(dir), USER).unwrap().root, RootStep::Bind { source: "/r".into() });
    let layers = RootSpec::Layers { lowers: vec!["/top".into(), "/base".into()] };
    let want = RootStep::Layers { lowers: vec!["/top".into(), "/base".into()] };
    assert_eq!(Plan::build(&spec(layers), USER).unwrap().root, want);
}

#[test]
fn zero_setup_hides_host_state() {
    let plan = Plan::build(&spec(RootSpec::HostSystem), USER).unwrap();
    assert_eq!(plan.root, RootStep::Tmpfs);
    let mirrored: Vec<&str> = plan
        .mounts
        .iter()
        .filter_map(|m| match m {
            MountStep::Mirror { path, flags } => {
                assert!(flags.read_only, "{path} must be read-only");
                Some(path.as_str())
            }
            MountStep::Bind { source, .. } => source.to_str(),
            _ => None,
        })
        .collect();
    for hidden in ["/home", "/root", "/var", "/run", "/tmp", "/etc/shadow", "/etc/passwd"] {
        assert!(!mirrored.iter().any(|p| p == &hidden), "{hidden} must not come from the host");
    }
    assert!(mirrored.contains(&"/usr"));
    assert!(plan.mounts.iter().any(|m| matches!(m, MountStep::Tmpfs { dest, .. } if dest == "/tmp")));
}

#[test]
fn user_mounts_come_after_kernel_filesystems_and_are_checked() {
    let mut s = spec(RootSpec::HostSystem);
    s.mounts = vec![crate::spec::MountSpec::Tmpfs {
        destination: "/data".into(),
        size: None,
        mode: 0o1777,
        flags: MountFlags::default(),
    }];
    s.process.cwd = "/data/w".into();
    let plan = Plan::build(&s, USER).unwrap();
    let proc_at = plan.mounts.iter().position(|m| matches!(m, MountStep::Proc { .. })).unwrap();
    let data_at =
        plan.mounts.iter().position(|m| matches!(m, MountStep::Tmpfs { dest, .. } if dest == "/data")).unwrap();
    let cwd_at =
        plan.mounts.iter().position(|m| matches!(m, MountStep::Dir { path, .. } if path == "/data/w")).unwrap();
    assert!(proc_at < data_at && data_at < cwd_at);
    s.mounts.push(s.mounts[0].clone());
    assert_eq!(Plan::build(&s, USER), Err(PlanError::DuplicateMount("/data".into())));
}

#[test]
fn process_is_hardened_by_default() {
    let plan = Plan::build(&spec(RootSpec::HostSystem), USER).unwrap();
    assert!(plan.process.no_new_privileges);
    assert_eq!(plan.process.capabilities.len(), DEFAULT_CAPABILITIES.len());
    assert!(!plan.process.capabilities.iter().any(|c| c == "CAP_SYS_ADMIN"));
    assert!(plan.masked_paths.iter().any(|p| p == "/proc/kcore"));
}

#[test]
fn plans_serialise_round_trip() {
    let plan = Plan::build(&spec(RootSpec::HostSystem), USER).unwrap();
    let json = serde_json::to_string(&plan).unwrap();
    assert_eq!(serde_json::from_str::<Plan>(&json).unwrap(), plan);
}

#[test]
fn subordinate_ranges_map_root_to_the_caller_and_the_rest_to_the_range() {
    let mut s = spec(RootSpec::HostSystem);
    s.process.user.uid = 1000;
    let plan = Plan::build(&s, RANGED).unwrap();
    assert_eq!(
        plan.id_map.uids,
        vec![IdRange { inside: 0, outside: 1000, count: 1 }, IdRange { inside: 1, outside: 100000, count: 65535 }]
    );
    assert_eq!(plan.id_map.gids[1].outside, 200000);
    assert!(plan.id_map.helper && plan.id_map.setgroups);
    assert_eq!(plan.process.groups, vec![10], "groups can be set with ranges");
    s.process.user.uid = 70000;
    assert_eq!(Plan::build(&s, RANGED), Err(PlanError::Unmapped { kind: "uid", id: 70000, last: 65535 }));
}

#[test]
fn security_options_reach_the_process() {
    let mut s = spec(RootSpec::HostSystem);
    s.security.cap_add = vec!["net_admin".into()];
    s.security.cap_drop = vec!["CAP_CHOWN".into()];
    s.security.no_new_privileges = false;
    s.security.seccomp = crate::spec::SeccompChoice::Unconfined;
    let plan = Plan::build(&s, USER).unwrap();
    assert!(plan.process.capabilities.contains(&"CAP_NET_ADMIN".to_owned()));
    assert!(!plan.process.capabilities.contains(&"CAP_CHOWN".to_owned()));
    assert!(!plan.process.no_new_privileges);
    assert_eq!(plan.process.seccomp, None);
    assert!(Plan::build(&spec(RootSpec::HostSystem), USER).unwrap().process.seccomp.is_some());
    s.security.cap_add = vec!["CAP_BOGUS".into()];
    assert!(matches!(Plan::build(&s, USER), Err(PlanError::Capability(_))));
}

#[test]
fn root_with_userns_auto_maps_onto_roots_range() {
    let mut s = spec(RootSpec::HostSystem);
    s.security.userns = crate::spec::UsernsMode::Auto;
    let root_ranged = HostIdentity { uid: 0, gid: 0, ..RANGED };
    let plan = Plan::build(&s, root_ranged).unwrap();
    assert_eq!(plan.id_map.uids, vec![IdRange { inside: 0, outside: 100000, count: 65536 }]);
    assert_eq!(plan.id_map.gids, vec![IdRange { inside: 0, outside: 200000, count: 65536 }]);
    assert!(!plan.id_map.helper, "root writes its maps itself");
    assert_eq!(Plan::build(&s, ROOT), Err(PlanError::NoRootRange));
    s.security.userns = crate::spec::UsernsMode::Identity;
    assert_eq!(Plan::build(&s, root_ranged).unwrap().id_map.uids[0].count, u32::MAX);
}

#[test]
fn limits_are_checked_and_carried() {
    let mut s = spec(RootSpec::HostSystem);
    assert!(Plan::build(&s, ROOT).unwrap().limits.is_empty());
    s.limits = crate::spec::Limits {
        memory: Some(64 << 20),
        nano_cpus: Some(500_000_000),
        pids: Some(10),
        ..Default::default()
    };
    let plan = Plan::build(&s, USER).unwrap();
    assert_eq!(plan.limits.memory, Some(64 << 20));
    assert_eq!(plan.limits.cpu, Some(limits::CpuQuota { quota_us: 50_000, period_us: 100_000 }));
    assert_eq!(plan.limits.pids, Some(10));
    s.limits.memory = Some(1 << 20);
    let err = Plan::build(&s, ROOT).unwrap_err();
    assert!(matches!(err, PlanError::Limits(limits::LimitError::MemoryTooLow(_))), "{err}");
}

#[test]
fn bridge_gets_own_netns_and_generated_name_files() {
    let mut s = spec(RootSpec::HostSystem);
    s.network = NetworkMode::Bridge(crate::net::BridgeSpec::default());
    let plan = Plan::build(&s, USER).unwrap();
    assert!(plan.namespaces.contains(&Namespace::Net) && plan.loopback_up && plan.bridge.is_some());
    let resolv = plan.mounts.iter().find_map(|m| match m {
        MountStep::File { path, contents, .. } if path == "/etc/resolv.conf" => Some(contents.clone()),
        _ => None,
    });
    assert_eq!(resolv.as_deref(), Some("# generated by cove\nnameserver 10.0.2.3\n"));
    assert!(!plan.mounts.iter().any(|m| matches!(m, MountStep::Bind { dest, .. } if dest == "/etc/resolv.conf")));
    let dir = RootSpec::Directory { path: "/r".into(), writes: RootWrites::InPlace };
    let mut s = spec(dir);
    s.network = NetworkMode::Bridge(crate::net::BridgeSpec::default());
    let plan = Plan::build(&s, USER).unwrap();
    assert!(!plan.mounts.iter().any(|m| matches!(m, MountStep::File { .. })), "--rootfs-rw is never written to");
}

#[test]
fn shm_size_sysctls_domainname_and_group_add() {
    let mut s = spec(RootSpec::HostSystem);
    s.extra.shm_size = Some(1 << 30);
    s.extra.sysctls = vec![("kernel.shmmax".into(), "1024".into())];
    s.extra.domainname = Some("example.org".into());
    let plan = Plan::build(&s, ROOT).unwrap();
    let shm = plan.mounts.iter().find_map(|m| match m {
        MountStep::Tmpfs { dest, size, .. } if dest == "/dev/shm" => Some(*size),
        _ => None,
    });
    assert_eq!(shm, Some(Some(1 << 30)));
    assert_eq!(plan.sysctls, s.extra.sysctls);
    assert_eq!(plan.domainname.as_deref(), Some("example.org"));
    s.extra.no_shm = true;
    assert!(
        !Plan::build(&s, ROOT)
            .unwrap()
            .mounts
            .iter()
            .any(|m| matches!(m, MountStep::Tmpfs { dest, .. } if dest == "/dev/shm"))
    );
    s.extra.host_uts = true;
    assert!(!Plan::build(&s, ROOT).unwrap().namespaces.contains(&Namespace::Uts));
    s.extra.group_add = vec![10];
    assert!(Plan::build(&s, ROOT).is_ok());
    assert_eq!(Plan::build(&s, USER).unwrap_err(), PlanError::GroupsDenied);
}
