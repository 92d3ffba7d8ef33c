//! `ExecPlan::build` from a container's plan and the exec flags: the
//! namespaces joined, privileges and defaults kept, environment, user
//! resolution, rootless id limits, bad requests.

use super::*;
use crate::plan::HostIdentity;
use crate::spec::{NetworkMode, RunSpec, SecuritySpec};

fn container(host: HostIdentity, network: NetworkMode) -> Plan {
    let mut spec = RunSpec {
        network,
        security: SecuritySpec { cap_drop: vec!["NET_RAW".into()], ..SecuritySpec::default() },
        ..RunSpec::zero_setup(&["sleep", "30"])
    };
    spec.process.env = vec![("PATH".into(), "/bin".into()), ("HOME".into(), "/root".into()), ("A".into(), "1".into())];
    spec.process.cwd = "/srv".into();
    spec.process.user.groups = vec![10];
    spec.process.user.name = Some("root".into());
    Plan::build(&spec, host).unwrap()
}

const ROOT: HostIdentity = HostIdentity { uid: 0, gid: 0, subids: None };
const USER: HostIdentity = HostIdentity { uid: 1000, gid: 1000, subids: None };
const DB: &str = "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n";
const GROUPS: &str = "root:x:0:\nwheel:x:10:app\napp:x:1000:\n";

fn db() -> UserDatabase {
    UserDatabase { passwd: DB.into(), group: GROUPS.into() }
}

fn req(args: &[&str]) -> ExecRequest {
    ExecRequest { args: args.iter().map(|s| s.to_string()).collect(), ..ExecRequest::default() }
}

#[test]
fn joins_the_containers_namespaces_user_first() {
    let plan = ExecPlan::build(&container(ROOT, NetworkMode::None), &req(&["ls"]), &db(), |_| None).unwrap();
    assert_eq!(plan.join, JOIN_ORDER.to_vec());
    let host_net = ExecPlan::build(&container(ROOT, NetworkMode::Host), &req(&["ls"]), &db(), |_| None).unwrap();
    assert_eq!(host_net.join.first(), Some(&Namespace::User));
    assert!(!host_net.join.contains(&Namespace::Net), "a host-network container has no netns of its own");
    assert_eq!(
        join_order(&[Namespace::Cgroup, Namespace::Mount, Namespace::User]),
        vec![Namespace::User, Namespace::Mount, Namespace::Cgroup]
    );
}

#[test]
fn keeps_the_containers_privileges_and_defaults() {
    let c = container(ROOT, NetworkMode::None);
    let plan = ExecPlan::build(&c, &req(&["ls", "-l"]), &db(), |_| None).unwrap();
    let p = &plan.process;
    assert_eq!(p.args, vec!["ls", "-l"]);
    assert_eq!(p.capabilities, c.process.capabilities);
    assert!(!p.capabilities.iter().any(|c| c == "CAP_NET_RAW"));
    assert_eq!((p.no_new_privileges, &p.seccomp, p.umask), (true, &c.process.seccomp, 0o022));
    assert!(p.seccomp.is_some());
    assert_eq!((p.uid, p.gid, p.groups.clone(), p.cwd.as_str()), (0, 0, vec![10], "/srv"));
    assert_eq!(p.env, c.process.env);
    assert!(plan.setgroups && !plan.detach && !p.terminal && !p.stdin);
}

#[test]
fn env_goes_on_top_of_the_containers() {
    let c = container(ROOT, NetworkMode::None);
    let mut r = req(&["env"]);
    r.env = vec!["A=2".into(), "B=x".into(), "FROMHOST".into()];
    r.tty = true;
    let p = ExecPlan::build(&c, &r, &db(), |k| (k == "FROMHOST").then(|| "h".into())).unwrap().process;
    let get = |k: &str| p.env.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    assert_eq!((get("A"), get("B"), get("FROMHOST"), get("TERM")), (Some("2"), Some("x"), Some("h"), Some("xterm")));
    assert_eq!(get("PATH"), Some("/bin"));
    r.env = vec!["=bad".into()];
    assert!(matches!(ExecPlan::build(&c, &r, &db(), |_| None), Err(ExecError::Env(_))));
}

#[test]
fn user_is_resolved_in_the_container() {
    let c = container(ROOT, NetworkMode::None);
    let mut r = req(&["id"]);
    r.user = Some("app".into());
    let p = ExecPlan::build(&c, &r, &db(), |_| None).unwrap().process;
    assert_eq!((p.uid, p.gid, p.groups.clone()), (1000, 1000, vec![10]));
    assert!(p.env.contains(&("HOME".into(), "/home/app".into())), "another user gets its own HOME");
    r.user = Some("nosuch".into());
    assert_eq!(ExecPlan::build(&c, &r, &db(), |_| None), Err(ExecError::User(UserError::UnknownUser("nosuch".into()))));
}

#[test]
fn rootless_single_id_map_limits_users_and_groups() {
    let c = container(USER, NetworkMode::None);
    let plan = ExecPlan::build(&c, &req(&["id"]), &db(), |_| None).unwrap();
    assert!(!plan.setgroups && plan.process.groups.is_empty(), "setgroups is denied in this namespace");
    let mut r = req(&["id"]);
    r.user = Some("app".into());
    assert_eq!(ExecPlan::build(&c, &r, &db(), |_| None), Err(ExecError::Unmapped { kind: "uid", id: 1000 }));
}

#[test]
fn workdir_detach_and_bad_requests() {
    let c = container(ROOT, NetworkMode::None);
    let mut r = req(&["pwd"]);
    r.workdir = Some("/a/../b/".into());
    r.detach = true;
    r.stdin = true;
    let plan = ExecPlan::build(&c, &r, &db(), |_| None).unwrap();
    assert_eq!(plan.process.cwd, "/b");
    assert!(plan.detach && !plan.process.stdin, "a detached exec never reads the caller's stdin");
    r.tty = true;
    assert_eq!(ExecPlan::build(&c, &r, &db(), |_| None), Err(ExecError::DetachedTerminal));
    r.workdir = Some("rel".into());
    r.tty = false;
    assert!(matches!(ExecPlan::build(&c, &r, &db(), |_| None), Err(ExecError::Workdir(_))));
    assert_eq!(ExecPlan::build(&c, &req(&[]), &db(), |_| None), Err(ExecError::NoCommand));
}
