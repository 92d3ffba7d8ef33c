//! The zero-setup layout, container paths resolved through volumes, and
//! the refusal of what a backend cannot enforce, naming the flag.

use super::*;
use crate::plan::HostIdentity;
use crate::spec::{MountFlags, MountSpec, RootSpec, RunSpec};

fn spec() -> RunSpec {
    let mut s = RunSpec::zero_setup(&["sh"]);
    s.process.env = vec![];
    s.process.cwd = "/work".into();
    s.process.user.name = Some("root".into());
    s.mounts = vec![MountSpec::Bind { source: "/data".into(), destination: "/work".into(), read_only: true }];
    s
}

const CALLER: HostIdentity = HostIdentity { uid: 1000, gid: 1000, subids: None };

fn plan(s: &RunSpec) -> Plan {
    Plan::build(s, CALLER).unwrap()
}

#[test]
fn zero_setup_plan_lays_out_without_linux_trees() {
    let l = layout(&plan(&spec()), "test", &|_| false).unwrap();
    assert!(l.mirrors.contains(&"/usr".to_owned()));
    assert!(l.dirs.contains(&"/root".to_owned()) && l.dirs.contains(&"/etc".to_owned()));
    assert!(l.files.iter().any(|(p, _)| p == "/etc/passwd"));
    assert_eq!(l.scratch, vec![("/tmp".to_owned(), false, false)]);
    assert!(l.dirs.iter().chain(l.scratch.iter().map(|s| &s.0)).all(|d| !d.starts_with("/dev") && d != "/proc"));
    assert_eq!(l.devices, ["null", "zero", "full", "random", "urandom", "tty"]);
    // The optional /etc/resolv.conf bind is skipped when the host lacks it.
    assert_eq!(l.volumes.len(), 1);
    assert_eq!(l.volumes[0], Volume { source: "/data".into(), dest: "/work".into(), read_only: true, noexec: false });
}

#[test]
fn container_paths_resolve_to_the_longest_volume() {
    let mut s = spec();
    s.mounts.push(MountSpec::Bind { source: "/cache".into(), destination: "/work/cache".into(), read_only: false });
    let l = layout(&plan(&s), "test", &|_| true).unwrap();
    assert_eq!(l.place("/work"), Place::Volume("/data".into(), vec![]));
    assert_eq!(l.place("/work/a/b"), Place::Volume("/data".into(), vec!["a".into(), "b".into()]));
    assert_eq!(l.place("/work/cache/x"), Place::Volume("/cache".into(), vec!["x".into()]));
    assert_eq!(l.place("/workshop"), Place::ContainerDir(vec!["workshop".into()]), "a prefix is not a parent");
    assert_eq!(l.place("/"), Place::ContainerDir(vec![]));
}

#[test]
fn what_cannot_be_enforced_is_refused_naming_the_flag() {
    type Change = Box<dyn Fn(&mut RunSpec)>;
    let cases: Vec<(&str, Change)> = vec![
        (
            "--rootfs",
            Box::new(|s| {
                s.root = RootSpec::Directory { path: "/r".into(), writes: crate::spec::RootWrites::Throwaway }
            }),
        ),
        ("--user", Box::new(|s| s.process.user.uid = 1000)),
        ("--tty", Box::new(|s| s.process.terminal = true)),
        (
            "--tmpfs size=",
            Box::new(|s| {
                s.mounts.push(MountSpec::Tmpfs {
                    destination: "/t".into(),
                    size: Some(1 << 20),
                    mode: 0o1777,
                    flags: MountFlags::default(),
                })
            }),
        ),
        (
            "--security-opt seccomp=FILE",
            Box::new(|s| {
                s.security.seccomp = {
                    let mut p = crate::seccomp::default_profile();
                    p.rules.clear();
                    crate::spec::SeccompChoice::Profile(p)
                }
            }),
        ),
        ("--cpu-shares", Box::new(|s| s.limits.cpu_shares = Some(512))),
        ("--cpuset-cpus", Box::new(|s| s.limits.cpuset_cpus = Some("0".into()))),
        ("--oom-score-adj", Box::new(|s| s.limits.oom_score_adj = Some(500))),
        ("--domainname", Box::new(|s| s.extra.domainname = Some("example.org".into()))),
        ("--sysctl", Box::new(|s| s.extra.sysctls = vec![("kernel.msgmax".into(), "1".into())])),
    ];
    for (flag, change) in cases {
        let mut s = spec();
        change(&mut s);
        let err = layout(&plan(&s), "windows", &|_| true).unwrap_err();
        assert!(err.flag.starts_with(flag), "{flag}: {err}");
        assert!(err.to_string().contains("not supported by the windows backend"), "{err}");
    }
    let mut unconfined = spec();
    unconfined.security.seccomp = crate::spec::SeccompChoice::Unconfined;
    assert!(layout(&plan(&unconfined), "windows", &|_| true).is_ok(), "asking for less is fine");
}

#[test]
fn features_are_required_per_flag() {
    use crate::backend::{Capabilities, Feature, Support};
    let feature = |key, status| Feature { key, status, detail: format!("{key} detail"), fix: None };
    let caps = Capabilities {
        backend: "t".into(),
        facts: vec![],
        features: vec![feature("box", Support::Enforced), feature("pids_limit", Support::Degraded)],
    };
    let mut s = spec();
    assert!(require(&plan(&s), &caps, "t", &[("cove run", "box")]).is_ok());
    let err = require(&plan(&s), &caps, "t", &[("cove run", "other")]).unwrap_err();
    assert_eq!(err.to_string(), "cove run is not supported by the t backend: other was not probed (see `cove info`)");
    s.limits.pids = Some(3);
    assert!(require(&plan(&s), &caps, "t", &[]).is_ok(), "degraded is usable");
    s.limits.memory = Some(64 << 20);
    let err = require(&plan(&s), &caps, "t", &[]).unwrap_err();
    assert_eq!(err.flag, "--memory");
}
