//! Container ids and names: 64 lowercase hex digits, shown shortened to 12.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A container id: 64 lowercase hex digits, like Docker's.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ContainerId(String);

/// An id string that is not 64 lowercase hex digits.
#[derive(Debug, thiserror::Error)]
#[error("invalid container id {0:?}: expected 64 lowercase hex digits")]
pub struct InvalidId(pub String);

impl ContainerId {
    /// A fresh random id from the operating system's random source.
    pub fn generate() -> Result<Self, getrandom::Error> {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes)?;
        Ok(Self(bytes.iter().map(|b| format!("{b:02x}")).collect()))
    }

    /// Parses a full id.
    pub fn parse(s: &str) -> Result<Self, InvalidId> {
        let ok = s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        if ok { Ok(Self(s.to_owned())) } else { Err(InvalidId(s.to_owned())) }
    }

    /// The full 64-digit id.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The 12-digit short form shown in tables and used as the default hostname.
    pub fn short(&self) -> &str {
        &self.0[..12]
    }
}

impl fmt::Display for ContainerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_ids_are_valid_and_distinct() {
        let a = ContainerId::generate().unwrap();
        let b = ContainerId::generate().unwrap();
        assert_ne!(a, b);
        assert!(ContainerId::parse(a.as_str()).is_ok());
        assert_eq!(a.short().len(), 12);
    }

    #[test]
    fn rejects_bad_ids() {
        assert!(ContainerId::parse("abc").is_err());
        assert!(ContainerId::parse(&"G".repeat(64)).is_err());
        assert!(ContainerId::parse(&"A".repeat(64)).is_err());
    }
}
