//! The BPF compiler checked by running its programs in the interpreter
//! (`interp.rs`): the default profile, syscall numbers against the
//! installed headers, foreign architectures, Docker and OCI profiles.

use super::interp::{SeccompData, check, run};
use super::*;
use cove_core::plan::DEFAULT_CAPABILITIES;
use cove_core::seccomp::{Condition, Rule, default_profile, parse_json};

const KERNEL: KernelVersion = KernelVersion { major: 6, minor: 8, patch: 0 };
const KILL: u32 = libc::SECCOMP_RET_KILL_PROCESS;
const EPERM: u32 = libc::SECCOMP_RET_ERRNO | 1;
const ENOSYS: u32 = libc::SECCOMP_RET_ERRNO | 38;

fn caps(extra: &[&str]) -> Vec<String> {
    DEFAULT_CAPABILITIES.iter().chain(extra).map(|c| c.to_string()).collect()
}

fn call(target: &Target, nr: u32, args: [u64; 6]) -> SeccompData {
    SeccompData { nr, arch: target.audit_arch, instruction_pointer: 0x7fff_0000, args }
}

/// Runs a checked program; panics where the kernel would refuse it.
fn eval(filter: &Filter, data: SeccompData) -> u32 {
    run(&filter.program, &data).expect("the program runs to a RET")
}

/// Argument vectors that exercise the default profile's conditions.
fn interesting_args() -> Vec<[u64; 6]> {
    let mut out = vec![[0; 6], [u64::MAX; 6], [0x1_0000_0000, 1, 2, 3, 4, 5]];
    for v in [0x8, 0x20000, 0x20008, 0xffff_ffff, 0x0040_0000, 0x1_0000_0000] {
        out.push([v, 0, 0, 0, 0, 0]); // personality
    }
    for v in [40, 2, 10, 16, 40 | 1 << 32] {
        out.push([v, 1, 0, 0, 0, 0]); // socket
    }
    for v in [0x0120_0011, 0x1000_0000 | 0x11, 0x2_0000, 0x4000_0000, 0x7E02_0000] {
        out.push([v, v, 0, 0, 0, 0]); // clone (and s390's second argument)
    }
    out
}

/// Every syscall of the target, with every interesting argument vector,
/// gets from the compiled filter what `Profile::decide` says.
fn assert_matches_model(profile: &Profile, capabilities: &[String], target: &Target) {
    let filter = compile(profile, capabilities, KERNEL, target).unwrap();
    check(&filter.program).unwrap();
    let cx = Context { arch: target.arch, kernel: KERNEL, capabilities };
    for (name, nr) in syscalls::entries(target.table) {
        for args in interesting_args() {
            let want = ret(profile.decide(name, &cx, &args));
            assert_eq!(eval(&filter, call(target, nr, args)), want, "{name} ({nr}) {args:x?} on {:?}", target.arch);
        }
    }
}

#[test]
fn default_profile_compiles_to_its_model() {
    let profile = default_profile();
    for target in [&X86_64, &AARCH64] {
        for extra in [&[][..], &["CAP_SYS_ADMIN"], &["CAP_SYS_PTRACE", "CAP_BPF"]] {
            assert_matches_model(&profile, &caps(extra), target);
        }
    }
}

#[test]
fn known_numbers() {
    let x86 = syscalls::numbers(X86_64.table);
    let arm = syscalls::numbers(AARCH64.table);
    let both = [("read", 0, 63), ("execve", 59, 221), ("clone", 56, 220), ("clone3", 435, 435), ("unshare", 272, 97)];
    for (name, x, a) in both {
        assert_eq!((x86[name], arm[name]), (x, a), "{name}");
    }
    assert_eq!((x86["mount"], x86["keyctl"], x86["uretprobe"], x86["listns"]), (165, 250, 335, 470));
    assert!(!arm.contains_key("open") && !arm.contains_key("arch_prctl"));
    for table in [X86_64.table, AARCH64.table] {
        let entries: Vec<_> = syscalls::entries(table).collect();
        let mut numbers: Vec<u32> = entries.iter().map(|e| e.1).collect();
        numbers.sort_unstable();
        numbers.dedup();
        assert_eq!(numbers.len(), entries.len(), "a number twice");
        assert_eq!(syscalls::numbers(table).len(), entries.len(), "a name twice");
    }
}

/// The tables agree with the kernel headers installed here, where there are any.
#[test]
fn numbers_match_installed_headers() {
    let headers = [
        ("/usr/include/x86_64-linux-gnu/asm/unistd_64.h", X86_64.table),
        ("/usr/include/asm-generic/unistd.h", AARCH64.table),
    ];
    for (path, table) in headers {
        let Ok(text) = std::fs::read_to_string(path) else {
            eprintln!("skipping {path}: not installed");
            continue;
        };
        let ours = syscalls::numbers(table);
        let mut compared = 0;
        for line in text.lines() {
            let mut words = line.split_whitespace();
            let (Some("#define"), Some(name), Some(num)) = (words.next(), words.next(), words.next()) else { continue };
            let (Some(name), Ok(num)) =
                (name.strip_prefix("__NR_").or(name.strip_prefix("__NR3264_")), num.parse::<u32>())
            else {
                continue;
            };
            if let Some(ours) = ours.get(name) {
                assert_eq!(*ours, num, "{name} in {path}");
                compared += 1;
            }
        }
        assert!(compared > 250, "only {compared} names compared in {path}");
    }
}

#[test]
fn foreign_architectures_and_x32_die() {
    let filter = compile(&default_profile(), &caps(&[]), KERNEL, &X86_64).unwrap();
    let i386 = SeccompData { arch: 0x4000_0003, ..call(&X86_64, 0, [0; 6]) };
    assert_eq!(eval(&filter, i386), KILL, "AUDIT_ARCH_I386");
    assert_eq!(eval(&filter, call(&X86_64, 0x4000_0000, [0; 6])), KILL, "x32 read");
    assert_eq!(eval(&filter, call(&X86_64, 0x4000_0000 | 59, [0; 6])), KILL, "x32 execve");
    let allow_all = parse_json(r#"{"defaultAction": "SCMP_ACT_ALLOW"}"#).unwrap();
    let open = compile(&allow_all, &[], KERNEL, &X86_64).unwrap();
    assert_eq!(eval(&open, call(&X86_64, 0x4000_0002, [0; 6])), KILL, "x32 even when everything is allowed");
    assert_eq!(eval(&open, call(&X86_64, 2, [0; 6])), libc::SECCOMP_RET_ALLOW);
    let arm = compile(&default_profile(), &caps(&[]), KERNEL, &AARCH64).unwrap();
    let arm32 = SeccompData { arch: 0x4000_0028, ..call(&AARCH64, 63, [0; 6]) };
    assert_eq!(eval(&arm, arm32), KILL, "AUDIT_ARCH_ARM");
}

#[test]
fn numbers_past_the_table_get_enosys() {
    let filter = compile(&default_profile(), &caps(&[]), KERNEL, &X86_64).unwrap();
    assert_eq!(eval(&filter, call(&X86_64, 471, [0; 6])), ENOSYS, "newer than cove: libc falls back");
    assert_eq!(eval(&filter, call(&X86_64, 400, [0; 6])), EPERM, "a gap in the table");
    assert_eq!(eval(&filter, call(&X86_64, 250, [0; 6])), EPERM, "keyctl");
    let kill = parse_json(r#"{"defaultAction": "SCMP_ACT_KILL_PROCESS"}"#).unwrap();
    let filter = compile(&kill, &[], KERNEL, &X86_64).unwrap();
    assert_eq!(eval(&filter, call(&X86_64, 471, [0; 6])), KILL, "only an errno default turns into ENOSYS");
}

#[test]
fn a_docker_profile_with_one_errno_rule() {
    let p = parse_json(
        r#"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
            {"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 122},
            {"names": ["no_such_call"], "action": "SCMP_ACT_KILL"}]}"#,
    )
    .unwrap();
    for target in [&X86_64, &AARCH64] {
        assert_matches_model(&p, &[], target);
    }
    let filter = compile(&p, &[], KERNEL, &X86_64).unwrap();
    assert_eq!(eval(&filter, call(&X86_64, 83, [0; 6])), libc::SECCOMP_RET_ERRNO | 122, "mkdir");
    assert_eq!(eval(&filter, call(&X86_64, 258, [0; 6])), libc::SECCOMP_RET_ERRNO | 122, "mkdirat");
    assert_eq!(eval(&filter, call(&X86_64, 84, [0; 6])), libc::SECCOMP_RET_ALLOW, "rmdir");
    assert_eq!(eval(&filter, call(&X86_64, 999, [0; 6])), libc::SECCOMP_RET_ALLOW, "no ENOSYS under an allow default");
}

#[test]
fn every_action_and_comparison() {
    let p = parse_json(
        r#"{"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 13, "syscalls": [
            {"names": ["read"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 2, "value": 4096, "op": "SCMP_CMP_LE"}]},
            {"names": ["read"], "action": "SCMP_ACT_LOG", "args": [{"index": 2, "value": 4096, "op": "SCMP_CMP_GT"}, {"index": 0, "value": 3, "op": "SCMP_CMP_LT"}]},
            {"names": ["write"], "action": "SCMP_ACT_TRACE", "errnoRet": 7, "args": [{"index": 0, "value": 2, "op": "SCMP_CMP_GE"}]},
            {"names": ["write"], "action": "SCMP_ACT_TRAP", "args": [{"index": 5, "value": 1, "op": "SCMP_CMP_NE"}]},
            {"names": ["kill"], "action": "SCMP_ACT_KILL_THREAD", "args": [{"index": 1, "value": 9, "op": "SCMP_CMP_EQ"}, {"index": 1, "value": 15, "op": "SCMP_CMP_EQ"}]},
            {"names": ["kill"], "action": "SCMP_ACT_ALLOW"},
            {"names": ["mmap"], "action": "SCMP_ACT_KILL_PROCESS", "args": [{"index": 2, "value": 6, "valueTwo": 6, "op": "SCMP_CMP_MASKED_EQ"}]}
        ]}"#,
    )
    .unwrap();
    for target in [&X86_64, &AARCH64] {
        assert_matches_model(&p, &[], target);
        let filter = compile(&p, &[], KERNEL, target).unwrap();
        let nr = |name| syscalls::numbers(target.table)[name];
        let at = |name, args| eval(&filter, call(target, nr(name), args));
        assert_eq!(at("read", [5, 0, 4096, 0, 0, 0]), libc::SECCOMP_RET_ALLOW);
        assert_eq!(at("read", [1, 0, 4097, 0, 0, 0]), libc::SECCOMP_RET_LOG);
        assert_eq!(at("read", [5, 0, 1 << 32, 0, 0, 0]), libc::SECCOMP_RET_ERRNO | 13, "64-bit: 2^32 > 4096");
        assert_eq!(at("write", [2, 0, 0, 0, 0, 0]), libc::SECCOMP_RET_TRACE | 7);
        assert_eq!(at("write", [1, 0, 0, 0, 0, 0]), libc::SECCOMP_RET_TRAP);
        assert_eq!(
            at("kill", [1, 15, 0, 0, 0, 0]),
            libc::SECCOMP_RET_KILL_THREAD,
            "same-argument conditions are alternatives"
        );
        assert_eq!(at("kill", [1, 1, 0, 0, 0, 0]), libc::SECCOMP_RET_ALLOW);
        assert_eq!(at("mmap", [0, 0, 7, 0, 0, 0]), KILL, "PROT_WRITE|PROT_EXEC");
        assert_eq!(at("mmap", [0, 0, 3, 0, 0, 0]), libc::SECCOMP_RET_ERRNO | 13);
    }
}

#[test]
fn minimal_kernel_and_flags() {
    let p = parse_json(
        r#"{"defaultAction": "SCMP_ACT_ERRNO", "flags": ["SECCOMP_FILTER_FLAG_LOG"], "syscalls": [
            {"names": ["ptrace"], "action": "SCMP_ACT_ALLOW", "includes": {"minKernel": "6.9"}}]}"#,
    )
    .unwrap();
    let old = compile(&p, &[], KERNEL, &X86_64).unwrap();
    let new = compile(&p, &[], KernelVersion { major: 6, minor: 18, patch: 1 }, &X86_64).unwrap();
    assert_eq!(eval(&old, call(&X86_64, 101, [0; 6])), EPERM);
    assert_eq!(eval(&new, call(&X86_64, 101, [0; 6])), libc::SECCOMP_RET_ALLOW);
    assert_eq!(new.flags, libc::SECCOMP_FILTER_FLAG_LOG);
}

#[test]
fn errors_name_the_rule() {
    let mut p = default_profile();
    p.rules[3].args.push(Condition { index: 9, op: cove_core::seccomp::CmpOp::Eq, value: 0, value_two: 0 });
    let err = compile(&p, &[], KERNEL, &X86_64).unwrap_err().to_string();
    assert!(err.contains("syscalls[3]") && err.contains("argument index 9"), "{err}");
    let huge = Rule {
        args: vec![Condition { index: 0, op: cove_core::seccomp::CmpOp::Ge, value: 1, value_two: 0 }; 3],
        ..p.rules[0].clone()
    };
    let p = Profile { rules: vec![huge], ..default_profile() };
    let err = compile(&p, &[], KERNEL, &X86_64).unwrap_err();
    assert!(matches!(err, CompileError::TooLarge(n) if n > 4096), "{err}");
}

#[test]
fn the_default_filter_is_small() {
    for target in [&X86_64, &AARCH64] {
        let filter = compile(&default_profile(), &caps(&["CAP_SYS_ADMIN"]), KERNEL, target).unwrap();
        assert!(filter.program.len() < 400, "{} instructions", filter.program.len());
        let steps = |(_, nr)| super::interp::run_counted(&filter.program, &call(target, nr, [0; 6])).unwrap().1;
        let most = syscalls::entries(target.table).map(|e| (steps(e), e.0)).max().unwrap();
        assert!(most.0 < 40, "{} takes {} instructions", most.1, most.0);
        eprintln!("{:?}: {} instructions, at most {} run ({})", target.arch, filter.program.len(), most.0, most.1);
    }
}

/// Loads a real filter in a forked child (process state changes stay
/// there) and checks that the kernel enforces it.
#[cfg(target_os = "linux")]
#[test]
fn loads_and_enforces_in_a_child() {
    use crate::sys::clone::{Forked, clone_process, exit_now};
    use rustix::process::{Pid, WaitOptions, waitpid};
    let p = parse_json(
        r#"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
            {"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 122}]}"#,
    )
    .unwrap();
    let filter = compile_for_host(&p, &[]).unwrap();
    let dir = std::env::temp_dir().join(format!("cove-seccomp-test-{}", std::process::id()));
    // Everything the child needs exists before the fork; it only makes syscalls.
    let pid = match clone_process(0).unwrap() {
        Forked::Child => {
            if rustix::thread::set_no_new_privs(true).is_err() {
                exit_now(200);
            }
            if load(&filter).is_err() {
                exit_now(201);
            }
            match rustix::fs::mkdir(&dir, rustix::fs::Mode::from_raw_mode(0o700)) {
                Ok(()) => exit_now(0),
                Err(e) => exit_now(e.raw_os_error()),
            }
        }
        Forked::Parent(pid) => pid,
    };
    let (_, status) = waitpid(Some(Pid::from_raw(pid).unwrap()), WaitOptions::empty()).unwrap().unwrap();
    let _ = std::fs::remove_dir(&dir);
    match status.exit_status() {
        Some(201) => eprintln!("skipping: this host refuses seccomp filters"),
        code => assert_eq!(code, Some(122), "mkdir under the filter"),
    }
}

/// Every name in the default profile is a syscall of x86_64 or aarch64, a
/// 32-bit variant of one (`chown32`, `fstat64`, `futex_time64`), or one of
/// the other architectures' names Docker lists too: a typo would otherwise
/// be skipped silently.
#[test]
fn default_profile_names_exist() {
    const ELSEWHERE: &str = "_llseek _newselect arm_fadvise64_64 arm_sync_file_range breakpoint cacheflush
        fadvise64_64 fstatat64 ipc mmap2 recv riscv_flush_icache riscv_hwprobe s390_pci_mmio_read
        s390_pci_mmio_write s390_runtime_instr send set_tls sigprocmask sigreturn socketcall stime swapcontext
        sync_file_range2 ugetrlimit umount waitpid";
    let (x86, arm) = (syscalls::numbers(X86_64.table), syscalls::numbers(AARCH64.table));
    let known = |n: &str| x86.contains_key(n) || arm.contains_key(n);
    let variant = |n: &str| ["_time64", "32", "64"].iter().any(|suffix| n.strip_suffix(suffix).is_some_and(known));
    for rule in default_profile().rules {
        for name in rule.names {
            let elsewhere = ELSEWHERE.split_whitespace().any(|n| n == name);
            assert!(known(&name) || variant(&name) || elsewhere, "{name} is no syscall cove knows");
        }
    }
}
