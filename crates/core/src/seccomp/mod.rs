//! Seccomp profiles: the model, Docker/OCI JSON profiles ([`parse_json`]),
//! and cove's Docker-equivalent default ([`default_profile`]). Portable data
//! only; the Linux backend compiles a profile to BPF for the host.
//!
//! What a profile means (the contract every backend compiles to):
//!
//! - A rule applies when all of its `includes` hold and none of its
//!   `excludes` does ([`Rule::applies`]), as Docker decides: every
//!   `includes.caps` entry must be in the container's capability set, any
//!   `excludes.caps` entry in it drops the rule; `arches` name the native
//!   architecture; `minKernel` compares with the running kernel.
//! - For one syscall, rules with argument conditions are tried before rules
//!   without, each group in profile order, and the first that matches
//!   decides. A narrower rule is never hidden by a broader one.
//! - The conditions of a rule must all hold, except that a rule with two
//!   conditions on the same argument matches when any one of them holds
//!   (runc's reading, which libseccomp needs; see [`Rule::condition_sets`]).
//! - A syscall no applying rule matches gets `default_action`.
//! - Names the host's architecture lacks are skipped: a profile may list
//!   syscalls of every architecture.
//! - Only the native architecture is allowed: a foreign one (i386 code on
//!   x86_64) and x32 syscalls kill the process, whatever `architectures`
//!   lists.

use serde::{Deserialize, Serialize};

mod default;
mod json;
mod names;
mod semantics;
#[cfg(test)]
mod tests;

pub use default::default_profile;
pub use json::parse_json;

/// The largest errno a filter can return (`MAX_ERRNO`).
pub const MAX_ERRNO: u16 = 4095;

/// A seccomp profile.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    /// What a syscall no rule matches gets.
    pub default_action: Action,
    /// Architectures the profile names (`architectures`, or the `archMap`
    /// entry of every architecture). Informational: only the native one
    /// is ever allowed.
    pub architectures: Vec<Arch>,
    /// `seccomp(2)` filter flags.
    pub flags: Vec<Flag>,
    /// The `syscalls` entries, in order.
    pub rules: Vec<Rule>,
}

/// One `syscalls` entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rule {
    /// Syscall names.
    pub names: Vec<String>,
    /// What a matching call gets.
    pub action: Action,
    /// Argument conditions (see [`Rule::condition_sets`]).
    pub args: Vec<Condition>,
    /// The rule applies only when all of these hold.
    pub includes: Selector,
    /// The rule does not apply when any of these holds.
    pub excludes: Selector,
}

/// What a filter does with a syscall.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Action {
    /// Run it (`SCMP_ACT_ALLOW`).
    Allow,
    /// Fail it with this errno (`SCMP_ACT_ERRNO`).
    Errno(u16),
    /// Kill the whole process (`SCMP_ACT_KILL_PROCESS`).
    KillProcess,
    /// Kill the calling thread (`SCMP_ACT_KILL`, `SCMP_ACT_KILL_THREAD`).
    KillThread,
    /// Send `SIGSYS` (`SCMP_ACT_TRAP`).
    Trap,
    /// Notify a ptrace tracer with this value; ENOSYS without one (`SCMP_ACT_TRACE`).
    Trace(u16),
    /// Run it and log it (`SCMP_ACT_LOG`).
    Log,
}

/// A comparison of one syscall argument (64 bits, unsigned).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Condition {
    /// Argument index, 0–5.
    pub index: u8,
    /// The comparison.
    pub op: CmpOp,
    /// The operand; the mask for [`CmpOp::MaskedEq`].
    pub value: u64,
    /// The expected masked value for [`CmpOp::MaskedEq`]; unused otherwise.
    pub value_two: u64,
}

/// `SCMP_CMP_*`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum CmpOp {
    /// `arg == value`.
    Eq,
    /// `arg != value`.
    Ne,
    /// `arg < value`.
    Lt,
    /// `arg <= value`.
    Le,
    /// `arg > value`.
    Gt,
    /// `arg >= value`.
    Ge,
    /// `arg & value == value_two`.
    MaskedEq,
}

/// A seccomp architecture (`SCMP_ARCH_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[allow(missing_docs)]
pub enum Arch {
    X86,
    X86_64,
    X32,
    Arm,
    Aarch64,
    Mips,
    Mips64,
    Mips64N32,
    Mipsel,
    Mipsel64,
    Mipsel64N32,
    Ppc,
    Ppc64,
    Ppc64Le,
    S390,
    S390X,
    Parisc,
    Parisc64,
    Riscv64,
    Loongarch64,
    M68k,
    Sh,
    Sheb,
}

/// `seccomp(2)` filter flags (`SECCOMP_FILTER_FLAG_*`) a profile may ask for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Flag {
    /// Synchronise every thread (the command has one; accepted for compatibility).
    Tsync,
    /// Log every action but `ALLOW`.
    Log,
    /// Keep speculative-store-bypass mitigation off.
    SpecAllow,
}

/// Conditions on the container that decide whether a rule applies.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Selector {
    /// Capability names (`CAP_*`).
    pub caps: Vec<String>,
    /// Architectures.
    pub arches: Vec<Arch>,
    /// Lowest kernel version.
    pub min_kernel: Option<KernelVersion>,
}

/// A kernel version, `major.minor.patch`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct KernelVersion {
    /// Major.
    pub major: u32,
    /// Minor.
    pub minor: u32,
    /// Patch level (0 when not given).
    pub patch: u32,
}

/// What a rule's selectors are checked against.
#[derive(Clone, Copy, Debug)]
pub struct Context<'a> {
    /// The native architecture.
    pub arch: Arch,
    /// The running kernel.
    pub kernel: KernelVersion,
    /// The container's capabilities (`CAP_*`).
    pub capabilities: &'a [String],
}

/// A profile that does not parse or validate, naming the field or rule.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ProfileError {
    /// Not JSON of the expected shape (serde's message, with line and column).
    #[error("invalid seccomp profile: {0}")]
    Json(String),
    /// A value that is not allowed where it is.
    #[error("invalid seccomp profile: {at}: {problem}")]
    Invalid {
        /// Where: a top-level field, or `syscalls[N] "name"` and what in it.
        at: String,
        /// What is wrong.
        problem: String,
    },
}

impl Rule {
    /// How errors name this rule: `syscalls[3] "clone"`.
    pub fn label(&self, index: usize) -> String {
        rule_label(index, self.names.first().map(String::as_str))
    }
}

/// `syscalls[3] "clone"`, or `syscalls[3]` for a rule without names.
fn rule_label(index: usize, first: Option<&str>) -> String {
    match first {
        Some(name) => format!("syscalls[{index}] {name:?}"),
        None => format!("syscalls[{index}]"),
    }
}

impl Condition {
    /// Why the condition can never be compiled faithfully, if it cannot.
    pub fn problem(&self) -> Option<String> {
        if self.index > 5 {
            return Some(format!("argument index {} out of range (0-5)", self.index));
        }
        if self.op == CmpOp::MaskedEq && self.value_two & !self.value != 0 {
            return Some(format!(
                "SCMP_CMP_MASKED_EQ valueTwo {:#x} has bits outside the mask {:#x}, so it can never match",
                self.value_two, self.value
            ));
        }
        None
    }
}

impl Action {
    /// Why the action cannot be compiled, if it cannot.
    pub fn problem(&self) -> Option<String> {
        match self {
            Action::Errno(e) if *e > MAX_ERRNO => Some(format!("errno {e} out of range (0-{MAX_ERRNO})")),
            _ => None,
        }
    }
}

impl Profile {
    /// Checks what a backend relies on; [`parse_json`] calls it, and a
    /// backend calls it again on a profile that arrived by other means.
    pub fn validate(&self) -> Result<(), ProfileError> {
        let invalid = |at: String, problem: String| Err(ProfileError::Invalid { at, problem });
        if let Some(p) = self.default_action.problem() {
            return invalid("defaultAction".into(), p);
        }
        for (i, rule) in self.rules.iter().enumerate() {
            if rule.names.is_empty() {
                return invalid(rule.label(i), "no syscall names".into());
            }
            if let Some(bad) = rule.names.iter().find(|n| !names::valid_syscall_name(n)) {
                return invalid(rule.label(i), format!("invalid syscall name {bad:?}"));
            }
            if let Some(p) = rule.action.problem() {
                return invalid(rule.label(i), p);
            }
            for (j, c) in rule.args.iter().enumerate() {
                if let Some(p) = c.problem() {
                    return invalid(format!("{} args[{j}]", rule.label(i)), p);
                }
            }
            for cap in rule.includes.caps.iter().chain(&rule.excludes.caps) {
                if crate::capability::canonical(cap).ok().as_deref() != Some(cap.as_str()) {
                    return invalid(rule.label(i), format!("unknown capability {cap:?}"));
                }
            }
        }
        Ok(())
    }
}

impl KernelVersion {
    /// Parses `MAJOR.MINOR[.PATCH]`, ignoring what follows the last number
    /// (`6.8.0-45-generic`); `None` without at least `MAJOR.MINOR`.
    pub fn parse(text: &str) -> Option<KernelVersion> {
        let mut parts = text.trim().splitn(3, '.');
        let leading = |s: &str| -> Option<u32> {
            let digits: String = s.chars().take_while(char::is_ascii_digit).collect();
            digits.parse().ok()
        };
        let major = parts.next()?.parse().ok()?;
        let minor_text = parts.next()?;
        let minor = leading(minor_text)?;
        let minor_whole = minor_text.chars().all(|c| c.is_ascii_digit());
        let patch = if minor_whole { parts.next().and_then(leading).unwrap_or(0) } else { 0 };
        Some(KernelVersion { major, minor, patch })
    }
}
