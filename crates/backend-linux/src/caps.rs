//! Capability names (`CAP_*`) and their Linux numbers.

/// Linux capability names in number order (capability(7)).
const NAMES: &[&str] = &[
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_DAC_READ_SEARCH",
    "CAP_FOWNER",
    "CAP_FSETID",
    "CAP_KILL",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETPCAP",
    "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE",
    "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN",
    "CAP_NET_RAW",
    "CAP_IPC_LOCK",
    "CAP_IPC_OWNER",
    "CAP_SYS_MODULE",
    "CAP_SYS_RAWIO",
    "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",
    "CAP_SYS_ADMIN",
    "CAP_SYS_BOOT",
    "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",
    "CAP_SYS_TIME",
    "CAP_SYS_TTY_CONFIG",
    "CAP_MKNOD",
    "CAP_LEASE",
    "CAP_AUDIT_WRITE",
    "CAP_AUDIT_CONTROL",
    "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE",
    "CAP_MAC_ADMIN",
    "CAP_SYSLOG",
    "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND",
    "CAP_AUDIT_READ",
    "CAP_PERFMON",
    "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
];

/// An unknown capability name.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("unknown capability {0:?}")]
pub struct UnknownCapability(pub String);

/// The number of a capability, accepting `CAP_X`, `X`, any case.
pub fn number(name: &str) -> Result<u32, UnknownCapability> {
    let upper = name.to_ascii_uppercase();
    let full = if upper.starts_with("CAP_") { upper } else { format!("CAP_{upper}") };
    NAMES.iter().position(|n| *n == full).map(|i| i as u32).ok_or_else(|| UnknownCapability(name.to_owned()))
}

/// The bit mask of a list of names.
pub fn mask(names: &[String]) -> Result<u64, UnknownCapability> {
    names.iter().try_fold(0u64, |m, n| Ok(m | 1 << number(n)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_match_the_kernel() {
        assert_eq!(number("CAP_CHOWN"), Ok(0));
        assert_eq!(number("sys_admin"), Ok(21));
        assert_eq!(number("CAP_AUDIT_WRITE"), Ok(29));
        assert_eq!(number("CAP_CHECKPOINT_RESTORE"), Ok(40));
        assert!(number("CAP_NOPE").is_err());
    }

    #[test]
    fn docker_default_mask() {
        let names: Vec<String> = cove_core::plan::DEFAULT_CAPABILITIES.iter().map(|s| s.to_string()).collect();
        assert_eq!(mask(&names).unwrap(), 0xa80425fb, "Docker's default CapEff");
    }
}
