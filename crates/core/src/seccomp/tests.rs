//! Seccomp profiles (Docker's and OCI's): parsing, errors naming the
//! place, kernel-version and capability selectors, rule order, comparisons.

use super::*;
use crate::plan::DEFAULT_CAPABILITIES;

const EPERM: Action = Action::Errno(1);

fn caps(extra: &[&str]) -> Vec<String> {
    DEFAULT_CAPABILITIES.iter().chain(extra).map(|c| c.to_string()).collect()
}

fn cx(capabilities: &[String]) -> Context<'_> {
    Context { arch: Arch::X86_64, kernel: KernelVersion { major: 6, minor: 1, patch: 0 }, capabilities }
}

/// A Docker-format profile written for these tests.
const DOCKER_STYLE: &str = r#"{
  "defaultAction": "SCMP_ACT_ERRNO",
  "defaultErrnoRet": 1,
  "archMap": [
    {"architecture": "SCMP_ARCH_X86_64", "subArchitectures": ["SCMP_ARCH_X86", "SCMP_ARCH_X32"]},
    {"architecture": "SCMP_ARCH_RISCV64", "subArchitectures": null}
  ],
  "syscalls": [
    {"names": ["read", "write", "_llseek"], "action": "SCMP_ACT_ALLOW", "comment": "", "includes": {}, "excludes": {}},
    {"names": ["clone"], "action": "SCMP_ACT_ALLOW",
     "args": [{"index": 0, "value": 2114060288, "valueTwo": 0, "op": "SCMP_CMP_MASKED_EQ"}],
     "excludes": {"caps": ["CAP_SYS_ADMIN"], "arches": ["s390", "s390x"]}},
    {"names": ["ptrace"], "action": "SCMP_ACT_ALLOW", "args": null, "includes": {"minKernel": "4.8"}},
    {"names": ["arch_prctl"], "action": "SCMP_ACT_ALLOW", "includes": {"arches": ["amd64", "x32"]}},
    {"names": ["clone3"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38, "excludes": {"caps": ["CAP_SYS_ADMIN"]}}
  ]
}"#;

#[test]
fn parses_a_docker_profile() {
    let p = parse_json(DOCKER_STYLE).unwrap();
    assert_eq!(p.default_action, EPERM);
    assert_eq!(p.architectures, vec![Arch::X86_64, Arch::X86, Arch::X32, Arch::Riscv64]);
    assert_eq!(p.rules.len(), 5);
    assert_eq!(p.rules[0].names, ["read", "write", "_llseek"]);
    let clone = &p.rules[1];
    assert_eq!(clone.args, vec![Condition { index: 0, op: CmpOp::MaskedEq, value: 0x7E02_0000, value_two: 0 }]);
    assert_eq!(clone.excludes.caps, ["CAP_SYS_ADMIN"]);
    assert_eq!(clone.excludes.arches, vec![Arch::S390, Arch::S390X]);
    assert_eq!(p.rules[2].includes.min_kernel, Some(KernelVersion { major: 4, minor: 8, patch: 0 }));
    assert_eq!(p.rules[3].includes.arches, vec![Arch::X86_64, Arch::X32]);
    assert_eq!(p.rules[4].action, Action::Errno(38));
}

#[test]
fn parses_an_oci_profile() {
    let p = parse_json(
        r#"{"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_AARCH64"],
            "flags": ["SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW"], "listenerPath": "",
            "syscalls": [
              {"name": "mkdir", "action": "SCMP_ACT_ERRNO", "errnoRet": 13},
              {"names": ["kill"], "action": "SCMP_ACT_KILL", "args": [{"index": 1, "value": 9, "op": "SCMP_CMP_EQ"}]},
              {"names": ["getpid"], "action": "SCMP_ACT_TRACE"},
              {"names": ["uname"], "action": "SCMP_ACT_LOG"},
              {"names": ["sync"], "action": "SCMP_ACT_TRAP"},
              {"names": ["acct"], "action": "SCMP_ACT_KILL_PROCESS"}
            ]}"#,
    )
    .unwrap();
    assert_eq!(p.default_action, Action::Allow);
    assert_eq!(p.architectures, vec![Arch::Aarch64]);
    assert_eq!(p.flags, vec![Flag::Log, Flag::SpecAllow]);
    let actions: Vec<Action> = p.rules.iter().map(|r| r.action).collect();
    let want =
        [Action::Errno(13), Action::KillThread, Action::Trace(1), Action::Log, Action::Trap, Action::KillProcess];
    assert_eq!(actions, want);
    assert_eq!(p.rules[0].names, ["mkdir"]);
    assert_eq!(p.rules[1].args[0], Condition { index: 1, op: CmpOp::Eq, value: 9, value_two: 0 });
}

#[test]
fn refuses_bad_profiles_naming_the_place() {
    let rule = |entry: &str| {
        format!(
            r#"{{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{{"names": ["read"], "action": "SCMP_ACT_ALLOW"}}, {entry}]}}"#
        )
    };
    let cases: Vec<(String, &str)> = vec![
        ("not json".into(), "invalid seccomp profile: expected"),
        ("{}".into(), "defaultAction: missing"),
        (r#"{"defaultAction": "SCMP_ACT_ALOW"}"#.into(), "defaultAction: unknown action SCMP_ACT_ALOW"),
        (r#"{"defaultAction": "SCMP_ACT_NOTIFY"}"#.into(), "defaultAction: SCMP_ACT_NOTIFY is not supported"),
        (r#"{"defaultAction": "SCMP_ACT_ALLOW", "defaultErrnoRet": 1}"#.into(), "errnoRet is only valid"),
        (r#"{"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 5000}"#.into(), "errnoRet 5000 out of range"),
        (r#"{"defaultAction": "SCMP_ACT_ERRNO", "defaultaction": "x"}"#.into(), "unknown field `defaultaction`"),
        (r#"{"defaultAction": "SCMP_ACT_ERRNO", "listenerPath": "/run/agent"}"#.into(), "listenerPath: seccomp notification"),
        (r#"{"defaultAction": "SCMP_ACT_ERRNO", "architectures": ["SCMP_ARCH_VAX"]}"#.into(), "architectures[0]: unknown architecture \"SCMP_ARCH_VAX\""),
        (
            r#"{"defaultAction": "SCMP_ACT_ERRNO", "architectures": ["SCMP_ARCH_X86"], "archMap": [{"architecture": "SCMP_ARCH_X86_64"}]}"#.into(),
            "set both 'architectures' and 'archMap'",
        ),
        (r#"{"defaultAction": "SCMP_ACT_ERRNO", "flags": ["SECCOMP_FILTER_FLAG_NEW_LISTENER"]}"#.into(), "flags[0]: SECCOMP_FILTER_FLAG_NEW_LISTENER needs"),
        (r#"{"defaultAction": "SCMP_ACT_ERRNO", "flags": ["SECCOMP_FILTER_FLAG_FOO"]}"#.into(), "flags[0]: unknown flag"),
        (rule(r#"{"names": ["clone"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_FOO"}]}"#), r#"syscalls[1] "clone" args[0]: unknown op SCMP_CMP_FOO"#),
        (rule(r#"{"names": ["clone"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 6, "value": 1, "op": "SCMP_CMP_EQ"}]}"#), r#"syscalls[1] "clone" args[0]: argument index 6 out of range"#),
        (rule(r#"{"names": ["clone"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": -1, "op": "SCMP_CMP_EQ"}]}"#), r#"syscalls[1] "clone": invalid value"#),
        (rule(r#"{"names": ["clone"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 1, "valueTwo": 2, "op": "SCMP_CMP_MASKED_EQ"}]}"#), "can never match"),
        (rule(r#"{"names": ["mkdir"], "action": "SCMP_ACT_ALLOW", "errnoRet": 1}"#), r#"syscalls[1] "mkdir": errnoRet is only valid"#),
        (rule(r#"{"names": ["mkdir"], "action": "SCMP_ACT_NOTIFY"}"#), r#"syscalls[1] "mkdir": SCMP_ACT_NOTIFY is not supported"#),
        (rule(r#"{"names": ["mkdir"], "action": "SCMP_ACT_ERRNO", "errnoRet": 4096}"#), "errnoRet 4096 out of range"),
        (rule(r#"{"name": "mkdir", "names": ["rmdir"], "action": "SCMP_ACT_ALLOW"}"#), r#"syscalls[1] "rmdir": set both 'name' and 'names'"#),
        (rule(r#"{"names": [], "action": "SCMP_ACT_ALLOW"}"#), "syscalls[1]: no syscall names"),
        (rule(r#"{"action": "SCMP_ACT_ALLOW"}"#), "syscalls[1]: no syscall names"),
        (rule(r#"{"names": ["Mkdir"], "action": "SCMP_ACT_ALLOW"}"#), r#"syscalls[1] "Mkdir": invalid syscall name "Mkdir""#),
        (rule(r#"{"names": ["mkdir"], "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_NOPE"]}}"#), r#"syscalls[1] "mkdir" includes: unknown capability "CAP_NOPE""#),
        (rule(r#"{"names": ["mkdir"], "action": "SCMP_ACT_ALLOW", "excludes": {"caps": ["ALL"]}}"#), "excludes: unknown capability \"ALL\""),
        (rule(r#"{"names": ["mkdir"], "action": "SCMP_ACT_ALLOW", "includes": {"arches": ["vax"]}}"#), "includes: unknown architecture \"vax\""),
        (rule(r#"{"names": ["mkdir"], "action": "SCMP_ACT_ALLOW", "includes": {"minKernel": "four"}}"#), "includes: invalid minKernel \"four\""),
        (rule(r#"{"nmes": ["mkdir"], "action": "SCMP_ACT_ALLOW"}"#), "syscalls[1]: unknown field `nmes`"),
        (rule(r#"{"names": ["mkdir"]}"#), r#"syscalls[1] "mkdir": missing field `action`"#),
    ];
    for (text, want) in cases {
        let err = parse_json(&text).expect_err(&text).to_string();
        assert!(err.contains(want), "{text}\n  got:  {err}\n  want: {want}");
    }
}

#[test]
fn kernel_versions() {
    let v = |major, minor, patch| Some(KernelVersion { major, minor, patch });
    assert_eq!(KernelVersion::parse("4.8"), v(4, 8, 0));
    assert_eq!(KernelVersion::parse("6.18.44-fc-v669"), v(6, 18, 44));
    assert_eq!(KernelVersion::parse("5.15.0-91-generic"), v(5, 15, 0));
    assert_eq!(KernelVersion::parse("6.8-rc1"), v(6, 8, 0));
    assert_eq!(KernelVersion::parse("6"), None);
    assert_eq!(KernelVersion::parse("x.1"), None);
    assert!(KernelVersion::parse("4.8") < KernelVersion::parse("4.10"));
}

#[test]
fn selectors_follow_docker() {
    let p = parse_json(DOCKER_STYLE).unwrap();
    let (plain, admin) = (caps(&[]), caps(&["CAP_SYS_ADMIN"]));
    assert!(p.rules[1].applies(&cx(&plain)));
    assert!(!p.rules[1].applies(&cx(&admin)), "any excluded capability drops the rule");
    assert!(!p.rules[1].applies(&Context { arch: Arch::S390X, ..cx(&plain) }));
    assert!(p.rules[2].applies(&cx(&plain)));
    assert!(!p.rules[2].applies(&Context { kernel: KernelVersion { major: 4, minor: 4, patch: 0 }, ..cx(&plain) }));
    assert!(p.rules[3].applies(&cx(&plain)));
    assert!(!p.rules[3].applies(&Context { arch: Arch::Aarch64, ..cx(&plain) }));
    let both = Rule {
        includes: Selector { caps: vec!["CAP_BPF".into(), "CAP_PERFMON".into()], ..Selector::default() },
        ..p.rules[0].clone()
    };
    assert!(!both.applies(&cx(&caps(&["CAP_BPF"]))), "every included capability is needed");
    assert!(both.applies(&cx(&caps(&["CAP_BPF", "CAP_PERFMON"]))));
}

#[test]
fn conditions_on_one_argument_are_alternatives() {
    let c = |index, value| Condition { index, op: CmpOp::Eq, value, value_two: 0 };
    let rule = |args: Vec<Condition>| Rule { args, ..parse_json(DOCKER_STYLE).unwrap().rules[0].clone() };
    let and = rule(vec![c(0, 1), c(1, 2)]);
    assert_eq!(and.condition_sets().len(), 1);
    assert!(and.matches(&[1, 2, 0, 0, 0, 0]) && !and.matches(&[1, 3, 0, 0, 0, 0]));
    let or = rule(vec![c(0, 1), c(0, 2), c(1, 5)]);
    assert_eq!(or.condition_sets().len(), 3);
    assert!(or.matches(&[2, 0, 0, 0, 0, 0]) && or.matches(&[0, 5, 0, 0, 0, 0]) && !or.matches(&[3, 3, 0, 0, 0, 0]));
}

#[test]
fn narrower_rules_are_tried_first() {
    let p = parse_json(
        r#"{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [
            {"names": ["socket"], "action": "SCMP_ACT_ALLOW"},
            {"names": ["socket"], "action": "SCMP_ACT_ERRNO", "errnoRet": 97, "args": [{"index": 0, "value": 17, "op": "SCMP_CMP_EQ"}]}
        ]}"#,
    )
    .unwrap();
    let none = caps(&[]);
    assert_eq!(p.decide("socket", &cx(&none), &[17, 0, 0, 0, 0, 0]), Action::Errno(97));
    assert_eq!(p.decide("socket", &cx(&none), &[2, 0, 0, 0, 0, 0]), Action::Allow);
    assert_eq!(p.decide("mkdir", &cx(&none), &[0; 6]), EPERM);
}

#[test]
fn comparisons_are_unsigned_64_bit() {
    let c = |op, value, value_two| Condition { index: 0, op, value, value_two };
    let big = 0x1_0000_0001u64;
    assert!(c(CmpOp::Gt, 1, 0).holds(&[big, 0, 0, 0, 0, 0]));
    assert!(c(CmpOp::Lt, u64::MAX, 0).holds(&[big, 0, 0, 0, 0, 0]));
    assert!(!c(CmpOp::Eq, 1, 0).holds(&[big, 0, 0, 0, 0, 0]), "the high half counts");
    assert!(c(CmpOp::MaskedEq, 0xff00, 0x1200).holds(&[0x12ab, 0, 0, 0, 0, 0]));
    assert!(c(CmpOp::Le, 5, 0).holds(&[5, 0, 0, 0, 0, 0]) && c(CmpOp::Ge, 5, 0).holds(&[5, 0, 0, 0, 0, 0]));
    assert!(c(CmpOp::Ne, 5, 0).holds(&[6, 0, 0, 0, 0, 0]));
}

#[test]
fn default_profile_is_valid_and_docker_sized() {
    let p = default_profile();
    p.validate().unwrap();
    assert_eq!(p.default_action, EPERM);
    let always: Vec<&str> = default::ALWAYS.iter().flat_map(|g| default::words(g)).collect();
    let mut unique = always.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), always.len(), "a name is in two groups");
    assert!((320..420).contains(&always.len()), "{} names", always.len());
    assert_eq!(default::NAMESPACE_FLAGS, 0x7E02_0000, "Docker's mask, 2114060288");
    let json = serde_json::to_string(&p).unwrap();
    assert_eq!(serde_json::from_str::<Profile>(&json).unwrap(), p, "Plan is serialised");
}

#[test]
fn default_profile_denies_what_docker_denies() {
    let p = default_profile();
    let plain = caps(&[]);
    let denied = [
        "keyctl",
        "add_key",
        "request_key",
        "kexec_load",
        "kexec_file_load",
        "init_module",
        "finit_module",
        "delete_module",
        "bpf",
        "perf_event_open",
        "userfaultfd",
        "open_by_handle_at",
        "mount",
        "umount2",
        "unshare",
        "setns",
        "pivot_root",
        "io_uring_setup",
        "io_uring_enter",
        "io_uring_register",
        "swapon",
        "reboot",
        "settimeofday",
        "clock_settime",
        "acct",
        "iopl",
        "lookup_dcookie",
        "fsopen",
        "open_tree",
        "move_mount",
        "syslog",
        "vhangup",
        "mbind",
        "kcmp",
        "pidfd_getfd",
        "sethostname",
        "quotactl",
        "lsm_set_self_attr",
    ];
    for name in denied {
        assert_eq!(p.decide(name, &cx(&plain), &[0; 6]), EPERM, "{name}");
    }
    for name in
        ["read", "execve", "openat", "mmap", "futex", "chown", "setuid", "chroot", "ptrace", "arch_prctl", "fchmodat2"]
    {
        assert_eq!(p.decide(name, &cx(&plain), &[0; 6]), Action::Allow, "{name}");
    }
    assert_eq!(p.decide("modify_ldt", &Context { arch: Arch::Aarch64, ..cx(&plain) }, &[0; 6]), EPERM);
}

#[test]
fn default_profile_gates_by_capability() {
    let p = default_profile();
    let (plain, admin) = (caps(&[]), caps(&["CAP_SYS_ADMIN"]));
    let newuser = 0x1000_0000;
    assert_eq!(p.decide("clone", &cx(&plain), &[0x11 | 0x0100_0000, 0, 0, 0, 0, 0]), Action::Allow, "fork-like");
    assert_eq!(p.decide("clone", &cx(&plain), &[newuser, 0, 0, 0, 0, 0]), EPERM);
    assert_eq!(p.decide("clone", &cx(&admin), &[newuser, 0, 0, 0, 0, 0]), Action::Allow);
    assert_eq!(p.decide("clone3", &cx(&plain), &[0; 6]), Action::Errno(38), "ENOSYS: libc falls back to clone");
    assert_eq!(p.decide("clone3", &cx(&admin), &[0; 6]), Action::Allow);
    for name in ["mount", "umount2", "unshare", "setns", "bpf", "perf_event_open", "fsopen", "sethostname"] {
        assert_eq!(p.decide(name, &cx(&admin), &[0; 6]), Action::Allow, "{name} with CAP_SYS_ADMIN");
    }
    let gated = [
        ("CAP_SYS_PTRACE", "process_vm_writev"),
        ("CAP_SYS_PTRACE", "kcmp"),
        ("CAP_SYS_MODULE", "init_module"),
        ("CAP_SYS_BOOT", "reboot"),
        ("CAP_SYS_TIME", "settimeofday"),
        ("CAP_SYS_NICE", "mbind"),
        ("CAP_SYSLOG", "syslog"),
        ("CAP_SYS_PACCT", "acct"),
        ("CAP_SYS_RAWIO", "iopl"),
        ("CAP_DAC_READ_SEARCH", "open_by_handle_at"),
        ("CAP_BPF", "bpf"),
        ("CAP_PERFMON", "perf_event_open"),
        ("CAP_SYS_TTY_CONFIG", "vhangup"),
    ];
    for (cap, name) in gated {
        assert_eq!(p.decide(name, &cx(&caps(&[cap])), &[0; 6]), Action::Allow, "{name} with {cap}");
    }
    assert_eq!(p.decide("chroot", &cx(&[]), &[0; 6]), EPERM, "CAP_SYS_CHROOT gates chroot");
}

#[test]
fn default_profile_restricts_personality_and_socket() {
    let p = default_profile();
    let plain = caps(&[]);
    for v in default::PERSONALITIES {
        assert_eq!(p.decide("personality", &cx(&plain), &[*v, 0, 0, 0, 0, 0]), Action::Allow, "{v:#x}");
    }
    assert_eq!(p.decide("personality", &cx(&plain), &[0x0040_0000, 0, 0, 0, 0, 0]), EPERM, "READ_IMPLIES_EXEC");
    assert_eq!(p.decide("socket", &cx(&plain), &[2, 1, 0, 0, 0, 0]), Action::Allow, "AF_INET");
    assert_eq!(p.decide("socket", &cx(&plain), &[40, 1, 0, 0, 0, 0]), EPERM, "AF_VSOCK");
}
