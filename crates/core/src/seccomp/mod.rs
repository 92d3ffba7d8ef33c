//! Seccomp profiles: the model, Docker/OCI JSON profiles, and cove's
//! default profile. Portable data only; the Linux backend compiles a
//! profile to BPF.

use serde::{Deserialize, Serialize};

/// A seccomp profile (placeholder until the full model lands).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {}

/// cove's default profile.
pub fn default_profile() -> Profile {
    Profile {}
}

/// A profile that does not parse or validate, naming the rule.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("invalid seccomp profile: {0}")]
pub struct ProfileError(pub String);

/// Parses a Docker/OCI JSON seccomp profile.
pub fn parse_json(_text: &str) -> Result<Profile, ProfileError> {
    Err(ProfileError("custom profiles are not supported yet".into()))
}
