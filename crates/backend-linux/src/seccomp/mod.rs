//! Seccomp profiles to BPF for this host, and loading them.
//!
//! [`compile`] turns a `cove_core::seccomp::Profile` plus the container's
//! capability names into a classic-BPF program with the meaning
//! `cove_core::seccomp` documents (`Profile::decide`). The argument
//! comparisons (64-bit, split into 32-bit halves) are `seccompiler`'s
//! `SeccompRule` blocks. The rest of the program is laid out here
//! (`bpf.rs`), because `seccompiler::SeccompFilter` gives every rule the
//! same action, while a profile mixes them (EPERM by default, ENOSYS for
//! `clone3`, any action per rule).
//!
//! The program allows only the native architecture and kills x32 calls,
//! whatever the profile says. The parent compiles before it clones, so a
//! profile that cannot be compiled fails before anything starts; the
//! command loads the result as its last step before `execve` ([`load`]).

mod bpf;
pub mod interp;
pub mod syscalls;
#[cfg(test)]
mod tests;

use bpf::{Arm, Chain, Layout};
use cove_core::seccomp::{Action, Arch, CmpOp, Context, Flag, KernelVersion, Profile, ProfileError};
use seccompiler::{SeccompCmpArgLen, SeccompCmpOp, SeccompCondition, SeccompRule};

/// An architecture cove can compile filters for.
#[derive(Debug)]
pub struct Target {
    /// The architecture.
    pub arch: Arch,
    /// Its `AUDIT_ARCH_*` value, as `seccomp_data.arch` shows it.
    pub audit_arch: u32,
    /// Whether x32 calls (`nr | 0x40000000`) share the architecture value and must be killed.
    pub x32: bool,
    /// Its syscall table (`syscalls.rs`).
    pub table: &'static str,
}

/// x86_64.
pub const X86_64: Target = Target { arch: Arch::X86_64, audit_arch: 0xC000_003E, x32: true, table: syscalls::X86_64 };
/// aarch64.
pub const AARCH64: Target =
    Target { arch: Arch::Aarch64, audit_arch: 0xC000_00B7, x32: false, table: syscalls::AARCH64 };

impl Target {
    /// The target for the architecture cove was built for, if supported.
    pub fn host() -> Option<&'static Target> {
        if cfg!(target_arch = "x86_64") {
            Some(&X86_64)
        } else if cfg!(target_arch = "aarch64") {
            Some(&AARCH64)
        } else {
            None
        }
    }
}

/// A compiled filter, ready for [`load`].
pub struct Filter {
    /// The program.
    pub program: Vec<libc::sock_filter>,
    /// `SECCOMP_FILTER_FLAG_*` bits.
    pub flags: libc::c_ulong,
}

impl std::fmt::Debug for Filter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Filter({} instructions, flags {:#x})", self.program.len(), self.flags)
    }
}

/// A profile that cannot become a filter on this host.
#[derive(Debug, thiserror::Error)]
pub enum CompileError {
    /// The profile breaks a rule of the model.
    #[error("seccomp profile: {0}")]
    Profile(#[from] ProfileError),
    /// A rule that `seccompiler` refused.
    #[error("seccomp profile: {rule}: {reason}")]
    Rule {
        /// `syscalls[N] "name"`.
        rule: String,
        /// What `seccompiler` said.
        reason: seccompiler::BackendError,
    },
    /// More instructions than the kernel takes (`BPF_MAXINSNS`).
    #[error("seccomp profile: the filter needs {0} BPF instructions; the kernel takes at most 4096")]
    TooLarge(usize),
    /// cove has no syscall table for this architecture.
    #[error("seccomp filters are not supported on {0} (use --security-opt seccomp=unconfined)")]
    UnsupportedArch(&'static str),
    /// The layout produced a backward jump: a bug in cove, refused rather than loaded.
    #[error("seccomp profile: internal error laying out the filter")]
    Layout,
}

/// Compiles `profile` for this machine: its architecture, its kernel (for
/// `minKernel`), and a container holding `capabilities`.
pub fn compile_for_host(profile: &Profile, capabilities: &[String]) -> Result<Filter, CompileError> {
    let target = Target::host().ok_or(CompileError::UnsupportedArch(std::env::consts::ARCH))?;
    compile(profile, capabilities, running_kernel(), target)
}

/// The running kernel's version (`0.0` when `uname` is unreadable, so that
/// no `minKernel` rule applies: the stricter reading).
fn running_kernel() -> KernelVersion {
    let release = rustix::system::uname().release().to_string_lossy().into_owned();
    KernelVersion::parse(&release).unwrap_or(KernelVersion { major: 0, minor: 0, patch: 0 })
}

/// Compiles `profile` for `target` (see the module docs).
pub fn compile(
    profile: &Profile,
    capabilities: &[String],
    kernel: KernelVersion,
    target: &Target,
) -> Result<Filter, CompileError> {
    profile.validate()?;
    let cx = Context { arch: target.arch, kernel, capabilities };
    let numbers = syscalls::numbers(target.table);
    let default_ret = ret(profile.default_action);
    // (number, plain, rule index), sorted: each number's rules in the order
    // they are tried (Profile::rules_for), conditional before plain.
    let mut tried: Vec<(u32, bool, usize)> = Vec::with_capacity(512);
    for (i, rule) in profile.rules.iter().enumerate().filter(|(_, r)| r.applies(&cx)) {
        let plain = rule.args.is_empty();
        tried.extend(rule.names.iter().filter_map(|n| numbers.get(n.as_str())).map(|nr| (*nr, plain, i)));
    }
    tried.sort_unstable();
    let mut chains = Vec::with_capacity(tried.len());
    for group in tried.chunk_by(|a, b| a.0 == b.0) {
        let chain = chain(profile, group, default_ret)?;
        if !(chain.arms.is_empty() && chain.ret == default_ret) {
            chains.push(chain);
        }
    }
    let layout = Layout {
        audit_arch: target.audit_arch,
        kill_x32: target.x32,
        enosys_above: matches!(profile.default_action, Action::Errno(_))
            .then(|| numbers.values().copied().max())
            .flatten(),
        default_ret,
    };
    let program = bpf::assemble(&layout, chains).ok_or(CompileError::Layout)?;
    if program.len() > libc::BPF_MAXINSNS as usize {
        return Err(CompileError::TooLarge(program.len()));
    }
    Ok(Filter { program, flags: flags(&profile.flags) })
}

/// One number's chain from its `(number, plain, rule index)` group: an arm
/// per condition set of each conditional rule, then the first plain rule's
/// action (or the default).
fn chain(profile: &Profile, group: &[(u32, bool, usize)], default_ret: u32) -> Result<Chain, CompileError> {
    let mut arms = Vec::new();
    for &(nr, plain, i) in group {
        let rule = &profile.rules[i];
        if plain {
            return Ok(Chain { nr, arms, ret: ret(rule.action) });
        }
        for set in rule.condition_sets() {
            let fail = |reason| CompileError::Rule { rule: rule.label(i), reason };
            let conditions = set.iter().map(condition).collect::<Result<Vec<_>, _>>().map_err(fail)?;
            let block: seccompiler::BpfProgram = SeccompRule::new(conditions).map_err(fail)?.into();
            let block = block.into_iter().map(|s| libc::sock_filter { code: s.code, jt: s.jt, jf: s.jf, k: s.k });
            arms.push(Arm { block: block.collect(), ret: ret(rule.action) });
        }
    }
    Ok(Chain { nr: group[0].0, arms, ret: default_ret })
}

/// A condition as `seccompiler` takes it: always the whole 64 bits, as
/// libseccomp compares.
fn condition(c: &cove_core::seccomp::Condition) -> Result<SeccompCondition, seccompiler::BackendError> {
    let (op, value) = match c.op {
        CmpOp::Eq => (SeccompCmpOp::Eq, c.value),
        CmpOp::Ne => (SeccompCmpOp::Ne, c.value),
        CmpOp::Lt => (SeccompCmpOp::Lt, c.value),
        CmpOp::Le => (SeccompCmpOp::Le, c.value),
        CmpOp::Gt => (SeccompCmpOp::Gt, c.value),
        CmpOp::Ge => (SeccompCmpOp::Ge, c.value),
        // seccompiler compares `arg & mask` with `value & mask`; validation
        // guarantees value_two has no bits outside the mask, so that is exact.
        CmpOp::MaskedEq => (SeccompCmpOp::MaskedEq(c.value), c.value_two),
    };
    SeccompCondition::new(c.index, SeccompCmpArgLen::Qword, op, value)
}

/// The `SECCOMP_RET_*` value of an action.
pub fn ret(action: Action) -> u32 {
    match action {
        Action::Allow => libc::SECCOMP_RET_ALLOW,
        Action::Errno(e) => libc::SECCOMP_RET_ERRNO | u32::from(e),
        Action::KillProcess => libc::SECCOMP_RET_KILL_PROCESS,
        Action::KillThread => libc::SECCOMP_RET_KILL_THREAD,
        Action::Trap => libc::SECCOMP_RET_TRAP,
        Action::Trace(data) => libc::SECCOMP_RET_TRACE | u32::from(data),
        Action::Log => libc::SECCOMP_RET_LOG,
    }
}

fn flags(list: &[Flag]) -> libc::c_ulong {
    list.iter().fold(0, |bits, f| {
        bits | match f {
            Flag::Tsync => libc::SECCOMP_FILTER_FLAG_TSYNC,
            Flag::Log => libc::SECCOMP_FILTER_FLAG_LOG,
            Flag::SpecAllow => libc::SECCOMP_FILTER_FLAG_SPEC_ALLOW,
        }
    })
}

/// Installs `filter` on the calling thread (seccomp(2)). Without
/// `no_new_privs` this needs `CAP_SYS_ADMIN` in the current user namespace.
#[cfg(target_os = "linux")]
pub fn load(filter: &Filter) -> std::io::Result<()> {
    crate::sys::seccomp::set_mode_filter(&filter.program, filter.flags)
}
