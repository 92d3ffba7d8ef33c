//! `cove_core::seccomp::parse_json` on arbitrary input. It must never
//! panic, and a profile it accepts must
//! - survive serialisation (the `Plan` carries it to the backend),
//! - compile for x86_64 and aarch64 unless it is too large for the kernel,
//! - pass the kernel's load-time checks, and
//! - return from the compiled BPF what `Profile::decide` says, for the
//!   syscalls it names, with arguments taken from its own conditions.

#![no_main]

use cove_backend_linux::seccomp::{AARCH64, CompileError, Target, X86_64, compile, interp, ret, syscalls};
use cove_core::seccomp::{Context, KernelVersion, Profile, parse_json};
use libfuzzer_sys::fuzz_target;

const KERNEL: KernelVersion = KernelVersion { major: 6, minor: 8, patch: 0 };

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(profile) = parse_json(text) else { return };
    let json = serde_json::to_string(&profile).expect("a profile serialises");
    assert_eq!(serde_json::from_str::<Profile>(&json).expect("and deserialises"), profile);
    // Half the inputs run as a container with CAP_SYS_ADMIN.
    let mut caps: Vec<String> = cove_core::plan::DEFAULT_CAPABILITIES.iter().map(|c| c.to_string()).collect();
    if data.len() % 2 == 1 {
        caps.push("CAP_SYS_ADMIN".into());
    }
    for target in [&X86_64, &AARCH64] {
        check(&profile, &caps, target);
    }
});

fn check(profile: &Profile, caps: &[String], target: &Target) {
    let filter = match compile(profile, caps, KERNEL, target) {
        Ok(filter) => filter,
        Err(CompileError::TooLarge(_)) => return,
        Err(e) => panic!("a parsed profile did not compile: {e}"),
    };
    interp::check(&filter.program).expect("the kernel would accept the program");
    let numbers = syscalls::numbers(target.table);
    let cx = Context { arch: target.arch, kernel: KERNEL, capabilities: caps };
    let mut vectors = vec![[0u64; 6], [u64::MAX; 6]];
    for c in profile.rules.iter().flat_map(|r| &r.args).take(16) {
        for v in [c.value, c.value.wrapping_add(1), c.value.wrapping_sub(1), c.value_two, c.value & c.value_two] {
            let mut args = [0u64; 6];
            args[usize::from(c.index)] = v;
            vectors.push(args);
        }
    }
    for name in profile.rules.iter().flat_map(|r| &r.names).take(64) {
        let Some(&nr) = numbers.get(name.as_str()) else { continue };
        for args in &vectors {
            let data = interp::SeccompData { nr, arch: target.audit_arch, instruction_pointer: 0, args: *args };
            let got = interp::run(&filter.program, &data).expect("the program returns");
            assert_eq!(got, ret(profile.decide(name, &cx, args)), "{name} {args:x?} on {:?}", target.arch);
        }
    }
}
