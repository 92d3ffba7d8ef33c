//! Capability names (`CAP_*`) to Linux numbers: a name's number is its
//! index in `cove_core::capability::ALL`, which follows capability(7).

use cove_core::capability::{ALL, UnknownCapability, canonical};

/// The number of a capability, accepting `CAP_X`, `X`, any case.
pub fn number(name: &str) -> Result<u32, UnknownCapability> {
    let full = canonical(name)?;
    ALL.iter().position(|n| *n == full).map(|i| i as u32).ok_or(UnknownCapability(name.to_owned()))
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
        assert!(number("ALL").is_err());
    }

    #[test]
    fn docker_default_mask() {
        let names: Vec<String> = cove_core::plan::DEFAULT_CAPABILITIES.iter().map(|s| s.to_string()).collect();
        assert_eq!(mask(&names).unwrap(), 0xa80425fb, "Docker's default CapEff");
    }
}
