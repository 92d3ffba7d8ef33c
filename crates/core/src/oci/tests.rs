//! config.json → Plan, on the configs `runc spec` generates.

use super::*;
use crate::plan::{IdRange, MountStep, SubIds};
use serde_json::{Value, json};

const RUNC: &str = include_str!("runc-spec.json");
const RUNC_ROOTLESS: &str = include_str!("runc-spec-rootless.json");

const ROOT: HostIdentity = HostIdentity { uid: 0, gid: 0, subids: None };
const USER: HostIdentity = HostIdentity { uid: 1001, gid: 1001, subids: None };

fn with(text: &str, edit: impl FnOnce(&mut Value)) -> String {
    let mut v: Value = serde_json::from_str(text).unwrap();
    edit(&mut v);
    v.to_string()
}

fn plan_of(text: &str, host: HostIdentity) -> Result<OciPlan, OciError> {
    plan(&parse(text)?, Path::new("/b"), host)
}

fn field_of(err: OciError) -> String {
    match err {
        OciError::Unsupported { field, .. } | OciError::Invalid { field, .. } => field,
        OciError::Json(e) => panic!("json error {e}"),
    }
}

#[test]
fn runc_default_config_as_root() {
    let p = plan_of(RUNC, ROOT).unwrap().plan;
    assert_eq!(p.namespaces[0], Namespace::User);
    for ns in [Namespace::Pid, Namespace::Net, Namespace::Ipc, Namespace::Uts, Namespace::Mount, Namespace::Cgroup] {
        assert!(p.namespaces.contains(&ns), "{ns:?} in {:?}", p.namespaces);
    }
    assert_eq!(p.id_map.uids, vec![IdRange { inside: 0, outside: 0, count: u32::MAX }]);
    assert_eq!(p.root, crate::plan::RootStep::Bind { source: "/b/rootfs".into() });
    assert!(p.read_only_root);
    assert_eq!(p.hostname, "runc");
    assert_eq!(p.process.args, vec!["sh"]);
    assert!(p.process.terminal);
    assert!(p.process.no_new_privileges);
    assert_eq!(p.process.capabilities, vec!["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]);
    assert_eq!(p.process.rlimits[0].resource, "RLIMIT_NOFILE");
    assert_eq!(p.process.rlimits[0].soft, 1024);
    assert!(matches!(&p.mounts[1], MountStep::Tmpfs { dest, mode: 0o755, size: Some(67108864), .. } if dest == "/dev"));
    assert!(matches!(&p.mounts[6], MountStep::Cgroup { dest, flags } if dest == "/sys/fs/cgroup" && flags.read_only));
    assert!(p.mounts.iter().any(|m| matches!(m, MountStep::Device { name, .. } if name == "null")));
    assert!(p.masked_paths.contains(&"/proc/kcore".to_owned()));
    assert!(p.limits.is_empty());
}

#[test]
fn runc_rootless_config() {
    let text = with(RUNC_ROOTLESS, |v| {
        v["linux"]["uidMappings"][0]["hostID"] = json!(1001);
        v["linux"]["gidMappings"][0]["hostID"] = json!(1001);
    });
    let p = plan_of(&text, USER).unwrap().plan;
    assert!(!p.namespaces.contains(&Namespace::Net));
    assert_eq!(p.id_map.uids, vec![IdRange { inside: 0, outside: 1001, count: 1 }]);
    assert!(!p.id_map.setgroups && !p.id_map.helper);
    assert!(matches!(&p.mounts[5], MountStep::Bind { source, dest, flags, .. }
        if source == Path::new("/sys") && dest == "/sys" && flags.read_only));
    // someone else's ids need the helpers and a subordinate range
    assert_eq!(field_of(plan_of(RUNC_ROOTLESS, USER).unwrap_err()), "linux.uidMappings");
    let sub = HostIdentity { subids: Some(SubIds { uid_start: 1, uid_count: 1, gid_start: 1, gid_count: 1 }), ..USER };
    assert!(plan_of(RUNC_ROOTLESS, sub).unwrap().plan.id_map.helper);
    // a user namespace without mappings maps 0 to the caller (as crun)
    let bare = with(RUNC_ROOTLESS, |v| {
        v["linux"]["uidMappings"] = Value::Null;
        v["linux"]["gidMappings"] = Value::Null;
    });
    assert_eq!(plan_of(&bare, USER).unwrap().plan.id_map.gids, vec![IdRange { inside: 0, outside: 1001, count: 1 }]);
    // no user namespace: only root may run it
    assert_eq!(field_of(plan_of(RUNC, USER).unwrap_err()), "linux.namespaces");
}

#[test]
fn unsupported_fields_are_named() {
    type Edit = Box<dyn Fn(&mut Value)>;
    let cases: Vec<(&str, Edit)> = vec![
        ("linux.sysctl", Box::new(|v| v["linux"]["sysctl"] = json!({"vm.overcommit_memory": "1"}))),
        ("hooks.startContainer[].path", Box::new(|v| v["hooks"] = json!({"startContainer": [{"path": "true"}]}))),
        ("hooks.prestart[].path", Box::new(|v| v["hooks"] = json!({"prestart": [{"path": "true"}]}))),
        ("process.apparmorProfile", Box::new(|v| v["process"]["apparmorProfile"] = json!("x"))),
        ("mounts[0].options", Box::new(|v| v["mounts"][0]["options"] = json!(["shared"]))),
        ("mounts[0].type", Box::new(|v| v["mounts"][0]["type"] = json!("nfs"))),
        ("linux.resources.cpu", Box::new(|v| v["linux"]["resources"]["cpu"] = json!({"realtimePeriod": 1000}))),
        ("linux.devices", Box::new(|v| v["linux"]["devices"] = json!([{"path": "/tmp/sda", "type": "b"}]))),
        (
            "process.capabilities.effective",
            Box::new(|v| v["process"]["capabilities"]["effective"] = json!(["CAP_SYS_ADMIN"])),
        ),
        ("hostname", Box::new(|v| v["linux"]["namespaces"] = json!([{"type": "mount"}]))),
        (
            "process.user.uid",
            Box::new(|v| {
                v["linux"]["namespaces"] = json!([{"type": "mount"}, {"type": "user"}]);
                v["linux"]["uidMappings"] = json!([{"containerID": 0, "hostID": 0, "size": 10}]);
                v["linux"]["gidMappings"] = json!([{"containerID": 0, "hostID": 0, "size": 10}]);
                v["process"]["user"]["uid"] = json!(10);
                v["hostname"] = json!(null);
            }),
        ),
    ];
    for (field, edit) in cases {
        let text = with(RUNC, |v| edit(v));
        let err = plan_of(&text, ROOT).expect_err(field);
        assert!(err.to_string().contains(field), "{err}");
        assert_eq!(field_of(err), field);
    }
}

#[test]
fn resources_become_limits() {
    let text = with(RUNC, |v| {
        v["linux"]["resources"]["memory"] = json!({"limit": 67108864, "swap": 134217728});
        v["linux"]["resources"]["cpu"] = json!({"quota": 50000, "period": 100000});
        v["linux"]["resources"]["pids"] = json!({"limit": 32});
        v["process"]["oomScoreAdj"] = json!(100);
        v["annotations"] = json!({"a": "b"});
        v["linux"]["sysctl"] = json!({"net.ipv4.ping_group_range": "0 0"});
    });
    let p = plan_of(&text, ROOT).unwrap();
    assert_eq!(p.plan.limits.memory, Some(64 << 20));
    assert_eq!(p.plan.limits.cpu.unwrap().quota_us, 50000);
    assert_eq!(p.plan.limits.pids, Some(32));
    assert_eq!(p.oom_score_adj, Some(100));
    assert_eq!(p.annotations.get("a").map(String::as_str), Some("b"));
    assert_eq!(p.plan.sysctls, vec![("net.ipv4.ping_group_range".to_owned(), "0 0".to_owned())]);
    let low = with(RUNC, |v| v["linux"]["resources"]["memory"] = json!({"limit": 4096}));
    assert_eq!(field_of(plan_of(&low, ROOT).unwrap_err()), "linux.resources.memory.limit");
}

#[test]
fn process_and_seccomp() {
    let text = with(RUNC, |v| {
        v["process"]["env"] = json!(["A=1", "B=x=y"]);
        v["process"]["user"] = json!({"uid": 5, "gid": 6, "additionalGids": [7], "umask": 63});
        v["process"]["cwd"] = json!("/tmp");
        v["process"]["capabilities"]["ambient"] = json!([]);
        v["linux"]["seccomp"] = json!({"defaultAction": "SCMP_ACT_ALLOW",
            "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_ERRNO"}]});
    });
    let p = plan_of(&text, ROOT).unwrap().plan.process;
    assert_eq!(p.env, vec![("A".into(), "1".into()), ("B".into(), "x=y".into())]);
    assert_eq!((p.uid, p.gid, p.groups.clone(), p.umask), (5, 6, vec![7], 0o77));
    assert_eq!(p.cwd, "/tmp");
    assert!(p.seccomp.is_some());
    let bad = with(RUNC, |v| v["process"]["env"] = json!(["NOEQUALS"]));
    assert_eq!(field_of(plan_of(&bad, ROOT).unwrap_err()), "process.env");
    assert!(matches!(parse("{not json"), Err(OciError::Json(_))));
}

#[test]
fn all_hooks_are_kept() {
    let text = with(RUNC, |v| {
        v["hooks"] = json!({
            "createRuntime": [{"path": "/bin/a", "args": ["a", "1"], "env": ["X=1"], "timeout": 5}],
            "prestart": [{"path": "/bin/b"}],
            "poststart": [{"path": "/bin/c"}],
            "poststop": [{"path": "/bin/d"}, {"path": "/bin/e"}],
            "createContainer": [{"path": "/bin/f"}],
            "startContainer": [{"path": "/bin/g", "timeout": 2}],
        })
    });
    let h = plan_of(&text, ROOT).unwrap().hooks;
    assert_eq!(
        h.create_runtime[0],
        Hook { path: "/bin/a".into(), args: vec!["a".into(), "1".into()], env: vec!["X=1".into()], timeout: Some(5) }
    );
    assert_eq!((h.prestart.len(), h.poststart.len(), h.poststop.len()), (1, 1, 2));
    assert_eq!((h.create_container[0].path.as_str(), h.start_container[0].timeout), ("/bin/f", Some(2)));
}

#[test]
fn update_resources_parse_like_create() {
    let r = super::parse_resources(
        r#"{"memory":{"limit":33554432},"cpu":{"quota":20000,"period":100000},"pids":{"limit":9}}"#,
    )
    .unwrap();
    assert_eq!(r.memory, Some(32 << 20));
    assert_eq!(r.cpu.unwrap().quota_us, 20000);
    assert_eq!(r.pids, Some(9));
    let refused = super::parse_resources(r#"{"blockIO":{"weight":10}}"#).unwrap_err();
    assert_eq!(field_of(refused), "linux.resources.blockIO");
    assert!(matches!(super::parse_resources("{nope"), Err(OciError::Json(_))));
}

#[test]
fn namespaces_joined_by_path_come_user_first_and_are_not_made() {
    let text = with(RUNC, |v| {
        v["linux"]["namespaces"] = json!([
            {"type": "pid"}, {"type": "mount"}, {"type": "network", "path": "/run/netns/t"},
            {"type": "ipc", "path": "/proc/7/ns/ipc"}, {"type": "uts", "path": "/proc/7/ns/uts"},
            {"type": "user", "path": "/proc/7/ns/user"}
        ]);
        v["linux"].as_object_mut().unwrap().remove("uidMappings");
        v["linux"].as_object_mut().unwrap().remove("gidMappings");
    });
    let p = plan_of(&text, ROOT).unwrap().plan;
    assert_eq!(p.namespaces, vec![Namespace::Pid, Namespace::Mount, Namespace::Cgroup], "cgroup: for the cgroup mount");
    let kinds: Vec<Namespace> = p.join_namespaces.iter().map(|j| j.kind).collect();
    assert_eq!(kinds, vec![Namespace::User, Namespace::Uts, Namespace::Ipc, Namespace::Net]);
    assert_eq!(p.join_namespaces[3].path, Path::new("/run/netns/t"));
    assert_eq!(p.hostname, "runc", "a joined uts namespace takes the hostname");
    assert!(!p.loopback_up);
    let mount = with(RUNC, |v| v["linux"]["namespaces"][1] = json!({"type": "mount", "path": "/proc/1/ns/mnt"}));
    let err = plan_of(&mount, ROOT).unwrap_err();
    assert_eq!(field_of(err), "linux.namespaces[].path");
    let relative = with(RUNC, |v| v["linux"]["namespaces"][0] = json!({"type": "pid", "path": "ns/pid"}));
    assert_eq!(field_of(plan_of(&relative, ROOT).unwrap_err()), "linux.namespaces[].path");
}

#[test]
fn capability_sets_are_kept_one_by_one() {
    let text = with(RUNC, |v| {
        v["process"]["capabilities"] = json!({"bounding": ["CAP_KILL", "CAP_CHOWN"], "effective": ["CAP_KILL"],
            "permitted": ["CAP_KILL", "CAP_CHOWN"], "inheritable": ["CAP_CHOWN"], "ambient": ["CAP_CHOWN", "CAP_KILL"]})
    });
    let p = plan_of(&text, ROOT).unwrap().plan.process;
    assert_eq!(p.capabilities, vec!["CAP_CHOWN", "CAP_KILL"]);
    let sets = p.cap_sets.unwrap();
    assert_eq!(sets.effective, vec!["CAP_KILL"]);
    assert_eq!(sets.inheritable, vec!["CAP_CHOWN"]);
    assert_eq!(sets.ambient, vec!["CAP_CHOWN"], "KILL is not inheritable, so it cannot be ambient");
}

#[test]
fn cpu_shares_cpusets_and_reservation_become_limits() {
    let r = super::parse_resources(
        r#"{"cpu":{"shares":512,"cpus":"0","mems":"0"},"memory":{"limit":67108864,"reservation":33554432}}"#,
    )
    .unwrap();
    assert_eq!(r.cpu_shares, Some(512));
    assert_eq!(r.cpuset_cpus.as_deref(), Some("0"));
    assert_eq!(r.cpuset_mems.as_deref(), Some("0"));
    assert_eq!(r.memory_reservation, Some(32 << 20));
    let bad = super::parse_resources(r#"{"cpu":{"cpus":"x"}}"#).unwrap_err();
    assert_eq!(field_of(bad), "linux.resources.cpu.cpus");
    let bad = super::parse_resources(r#"{"cpu":{"shares":1}}"#).unwrap_err();
    assert_eq!(field_of(bad), "linux.resources.cpu.shares");
    let rt = super::parse_resources(r#"{"cpu":{"realtimeRuntime":1000}}"#).unwrap_err();
    assert_eq!(field_of(rt), "linux.resources.cpu");
}
