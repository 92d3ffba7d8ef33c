//! The names Docker and OCI profiles use: `SCMP_ACT_*`, `SCMP_CMP_*`,
//! `SCMP_ARCH_*` (and Docker's short architecture names), filter flags.

use super::{Arch, CmpOp, Flag};

/// Each architecture with its `SCMP_ARCH_*` name and the short name Docker
/// uses in `includes.arches` (and further accepted spellings).
const ARCHES: &[(Arch, &str, &[&str])] = &[
    (Arch::X86, "SCMP_ARCH_X86", &["x86", "386"]),
    (Arch::X86_64, "SCMP_ARCH_X86_64", &["amd64", "x86_64"]),
    (Arch::X32, "SCMP_ARCH_X32", &["x32"]),
    (Arch::Arm, "SCMP_ARCH_ARM", &["arm"]),
    (Arch::Aarch64, "SCMP_ARCH_AARCH64", &["arm64", "aarch64"]),
    (Arch::Mips, "SCMP_ARCH_MIPS", &["mips"]),
    (Arch::Mips64, "SCMP_ARCH_MIPS64", &["mips64"]),
    (Arch::Mips64N32, "SCMP_ARCH_MIPS64N32", &["mips64n32"]),
    (Arch::Mipsel, "SCMP_ARCH_MIPSEL", &["mipsel", "mipsle"]),
    (Arch::Mipsel64, "SCMP_ARCH_MIPSEL64", &["mipsel64", "mips64le"]),
    (Arch::Mipsel64N32, "SCMP_ARCH_MIPSEL64N32", &["mipsel64n32", "mips3l64n32"]),
    (Arch::Ppc, "SCMP_ARCH_PPC", &["ppc"]),
    (Arch::Ppc64, "SCMP_ARCH_PPC64", &["ppc64"]),
    (Arch::Ppc64Le, "SCMP_ARCH_PPC64LE", &["ppc64le"]),
    (Arch::S390, "SCMP_ARCH_S390", &["s390"]),
    (Arch::S390X, "SCMP_ARCH_S390X", &["s390x"]),
    (Arch::Parisc, "SCMP_ARCH_PARISC", &["parisc"]),
    (Arch::Parisc64, "SCMP_ARCH_PARISC64", &["parisc64"]),
    (Arch::Riscv64, "SCMP_ARCH_RISCV64", &["riscv64"]),
    (Arch::Loongarch64, "SCMP_ARCH_LOONGARCH64", &["loong64", "loongarch64"]),
    (Arch::M68k, "SCMP_ARCH_M68K", &["m68k"]),
    (Arch::Sh, "SCMP_ARCH_SH", &["sh"]),
    (Arch::Sheb, "SCMP_ARCH_SHEB", &["sheb"]),
];

/// An `SCMP_ARCH_*` name (`architectures`, `archMap`).
pub fn scmp_arch(name: &str) -> Option<Arch> {
    ARCHES.iter().find(|(_, scmp, _)| *scmp == name).map(|(a, _, _)| *a)
}

/// A name in `includes.arches`/`excludes.arches`: Docker's short names
/// (`amd64`, `arm64`, `s390x`, …) or an `SCMP_ARCH_*` name.
pub fn selector_arch(name: &str) -> Option<Arch> {
    scmp_arch(name).or_else(|| ARCHES.iter().find(|(_, _, short)| short.contains(&name)).map(|(a, _, _)| *a))
}

/// What an `SCMP_ACT_*` name means; the errno/trace data comes separately.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ActionName {
    /// `SCMP_ACT_ALLOW`.
    Allow,
    /// `SCMP_ACT_ERRNO`.
    Errno,
    /// `SCMP_ACT_KILL_PROCESS`.
    KillProcess,
    /// `SCMP_ACT_KILL`, `SCMP_ACT_KILL_THREAD`.
    KillThread,
    /// `SCMP_ACT_TRAP`.
    Trap,
    /// `SCMP_ACT_TRACE`.
    Trace,
    /// `SCMP_ACT_LOG`.
    Log,
    /// `SCMP_ACT_NOTIFY` (recognised so that it can be refused by name).
    Notify,
}

/// An `SCMP_ACT_*` name.
pub fn action(name: &str) -> Option<ActionName> {
    Some(match name {
        "SCMP_ACT_ALLOW" => ActionName::Allow,
        "SCMP_ACT_ERRNO" => ActionName::Errno,
        "SCMP_ACT_KILL_PROCESS" => ActionName::KillProcess,
        "SCMP_ACT_KILL" | "SCMP_ACT_KILL_THREAD" => ActionName::KillThread,
        "SCMP_ACT_TRAP" => ActionName::Trap,
        "SCMP_ACT_TRACE" => ActionName::Trace,
        "SCMP_ACT_LOG" => ActionName::Log,
        "SCMP_ACT_NOTIFY" => ActionName::Notify,
        _ => return None,
    })
}

/// An `SCMP_CMP_*` name.
pub fn op(name: &str) -> Option<CmpOp> {
    Some(match name {
        "SCMP_CMP_EQ" => CmpOp::Eq,
        "SCMP_CMP_NE" => CmpOp::Ne,
        "SCMP_CMP_LT" => CmpOp::Lt,
        "SCMP_CMP_LE" => CmpOp::Le,
        "SCMP_CMP_GT" => CmpOp::Gt,
        "SCMP_CMP_GE" => CmpOp::Ge,
        "SCMP_CMP_MASKED_EQ" => CmpOp::MaskedEq,
        _ => return None,
    })
}

/// A `flags` entry: `Some(Err(why))` for a flag cove knows but refuses.
pub fn flag(name: &str) -> Option<Result<Flag, &'static str>> {
    Some(match name {
        "SECCOMP_FILTER_FLAG_TSYNC" => Ok(Flag::Tsync),
        "SECCOMP_FILTER_FLAG_LOG" => Ok(Flag::Log),
        "SECCOMP_FILTER_FLAG_SPEC_ALLOW" => Ok(Flag::SpecAllow),
        "SECCOMP_FILTER_FLAG_NEW_LISTENER" | "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV" => {
            Err("needs a seccomp notification agent, which cove does not have")
        }
        "SECCOMP_FILTER_FLAG_TSYNC_ESRCH" => Err("is not supported"),
        _ => return None,
    })
}

/// A syscall name as the kernel spells them: lowercase letters, digits and
/// `_` (`_llseek`), at most 64 bytes.
pub fn valid_syscall_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}
