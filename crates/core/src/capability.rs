//! Capability names: the known set (in Linux numbering order, which the
//! Linux backend relies on), Docker's name forms, and `--cap-add`/`--cap-drop`.

/// Every capability name cove knows, in Linux number order (capability(7)).
pub const ALL: &[&str] = &[
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

/// A capability name cove does not know.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("unknown capability {0:?} (see capabilities(7); names may omit the CAP_ prefix)")]
pub struct UnknownCapability(pub String);

/// `CAP_X` for `x`, `X` or `cap_x`; `ALL` stays `ALL`.
pub fn canonical(name: &str) -> Result<String, UnknownCapability> {
    let upper = name.trim().to_ascii_uppercase();
    if upper == "ALL" {
        return Ok(upper);
    }
    let full = if upper.starts_with("CAP_") { upper } else { format!("CAP_{upper}") };
    ALL.contains(&full.as_str()).then_some(full).ok_or_else(|| UnknownCapability(name.to_owned()))
}

/// Docker's rule: start from `defaults` (or from nothing when `drop` has
/// `ALL`), add `add` (`ALL` adds every capability), then remove `drop`.
/// The result is in Linux number order.
pub fn resolve(defaults: &[&str], add: &[String], drop: &[String]) -> Result<Vec<String>, UnknownCapability> {
    let add: Vec<String> = add.iter().map(|n| canonical(n)).collect::<Result<_, _>>()?;
    let drop: Vec<String> = drop.iter().map(|n| canonical(n)).collect::<Result<_, _>>()?;
    let has = |list: &[String], n: &str| list.iter().any(|x| x == n);
    let keep = |name: &str| {
        let base = !has(&drop, "ALL") && defaults.contains(&name);
        let added = has(&add, "ALL") || has(&add, name);
        (base || added) && !has(&drop, name)
    };
    Ok(ALL.iter().filter(|n| keep(n)).map(|n| n.to_string()).collect())
}

/// Capability sets given one by one (OCI `process.capabilities`); the
/// bounding set is the process plan's `capabilities`. Without them, every
/// set equals the bounding set except inheritable and ambient (empty).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CapSets {
    /// Effective (`CAP_*` names).
    pub effective: Vec<String>,
    /// Permitted.
    pub permitted: Vec<String>,
    /// Inheritable (only what the config names: never a default, CVE-2022-24769).
    pub inheritable: Vec<String>,
    /// Ambient (each must also be permitted and inheritable).
    pub ambient: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::DEFAULT_CAPABILITIES as D;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn names() {
        assert_eq!(canonical("net_admin").unwrap(), "CAP_NET_ADMIN");
        assert_eq!(canonical("CAP_SYS_ADMIN").unwrap(), "CAP_SYS_ADMIN");
        assert_eq!(canonical("all").unwrap(), "ALL");
        assert!(canonical("CAP_NOPE").is_err());
    }

    #[test]
    fn docker_add_drop_rules() {
        assert_eq!(resolve(D, &[], &[]).unwrap().len(), D.len());
        let r = resolve(D, &s(&["NET_ADMIN"]), &s(&["chown"])).unwrap();
        assert!(r.contains(&"CAP_NET_ADMIN".into()) && !r.contains(&"CAP_CHOWN".into()));
        assert_eq!(resolve(D, &s(&["KILL"]), &s(&["ALL"])).unwrap(), s(&["CAP_KILL"]));
        assert_eq!(resolve(D, &s(&["ALL"]), &s(&["SYS_ADMIN"])).unwrap().len(), ALL.len() - 1);
        assert!(resolve(D, &[], &s(&["ALL"])).unwrap().is_empty());
        assert!(resolve(D, &s(&["bogus"]), &[]).is_err());
    }
}
