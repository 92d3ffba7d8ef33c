//! AppContainer identity: the profile name derived from a container id, its
//! SID (the same derivation as `DeriveAppContainerSidFromAppContainerName`),
//! and the capability SIDs a network mode grants.

use cove_core::id::ContainerId;
use sha2::{Digest, Sha256};
use std::fmt;

/// Prefix of every profile cove creates (`cove.` + 32 hex digits of the id).
pub const PROFILE_PREFIX: &str = "cove.";

/// The AppContainer profile name of a container: at most 64 characters, as
/// `CreateAppContainerProfile` requires; unique per container.
pub fn profile_name(id: &ContainerId) -> String {
    format!("{PROFILE_PREFIX}{}", &id.as_str()[..32])
}

/// A security identifier in its numeric form (`S-1-AUTHORITY-SUB-…`).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Sid {
    /// The identifier authority (15: app package authority).
    pub authority: u64,
    /// The sub-authorities, in order.
    pub subs: Vec<u32>,
}

impl fmt::Display for Sid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "S-1-{}", self.authority)?;
        self.subs.iter().try_for_each(|s| write!(f, "-{s}"))
    }
}

/// A string that is not a SID in the form cove writes.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("invalid SID {0:?}: expected S-1-AUTHORITY-SUBAUTHORITY… with 1 to 15 sub-authorities")]
pub struct InvalidSid(pub String);

impl Sid {
    /// Parses `S-1-A-S1-…` (decimal authority below 2^48, 1–15 sub-authorities).
    pub fn parse(s: &str) -> Result<Sid, InvalidSid> {
        let bad = || InvalidSid(s.to_owned());
        let rest = s.strip_prefix("S-1-").ok_or_else(bad)?;
        let mut parts = rest.split('-');
        let authority: u64 = decimal(parts.next()).ok_or_else(bad)?;
        let subs: Vec<u32> = parts.map(|p| decimal(Some(p))).collect::<Option<_>>().ok_or_else(bad)?;
        if authority >= 1 << 48 || subs.is_empty() || subs.len() > 15 {
            return Err(bad());
        }
        Ok(Sid { authority, subs })
    }

    /// Whether this is a per-app AppContainer SID (`S-1-15-2-` + 7 values).
    pub fn is_appcontainer(&self) -> bool {
        self.authority == 15 && self.subs.len() == 8 && self.subs[0] == 2
    }
}

/// Digits only (no sign, no spaces, no leading `+`), fitting the type.
fn decimal<T: std::str::FromStr>(p: Option<&str>) -> Option<T> {
    p.filter(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit())).and_then(|p| p.parse().ok())
}

/// The AppContainer SID Windows derives for `name`: `S-1-15-2-` followed by
/// the first 28 bytes of SHA-256 over the lower-cased name in UTF-16LE, as
/// seven little-endian 32-bit values.
pub fn derive_sid(name: &str) -> Sid {
    let utf16: Vec<u8> = name.to_lowercase().encode_utf16().flat_map(u16::to_le_bytes).collect();
    let hash = Sha256::digest(&utf16);
    let mut subs = vec![2];
    subs.extend(hash[..28].chunks_exact(4).map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]])));
    Sid { authority: 15, subs }
}

/// A well-known capability an AppContainer token can carry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Capability {
    /// The capability's name in app manifests.
    pub name: &'static str,
    /// Its SID.
    pub sid: &'static str,
}

/// Outbound connections to the internet.
pub const INTERNET_CLIENT: Capability = Capability { name: "internetClient", sid: "S-1-15-3-1" };
/// Inbound and outbound internet connections.
pub const INTERNET_CLIENT_SERVER: Capability = Capability { name: "internetClientServer", sid: "S-1-15-3-2" };
/// Home and work networks, both directions (includes loopback peers on the LAN).
pub const PRIVATE_NETWORK: Capability = Capability { name: "privateNetworkClientServer", sid: "S-1-15-3-3" };

/// The capabilities for a network mode: none for `--network none`, all three
/// for `--network host` (the "full"; "outbound" is `internetClient`
/// alone and needs a network mode the CLI does not have yet).
pub fn network_capabilities(own_network: bool) -> Vec<Capability> {
    if own_network { Vec::new() } else { vec![INTERNET_CLIENT, INTERNET_CLIENT_SERVER, PRIVATE_NETWORK] }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derivation_matches_windows_for_a_published_package() {
        // Microsoft Edge's AppContainer SID, as Windows reports it.
        let sid = derive_sid("Microsoft.MicrosoftEdge_8wekyb3d8bbwe");
        assert_eq!(
            sid.to_string(),
            "S-1-15-2-3624051433-2125758914-1423191267-1740899205-1073925389-3782572162-737981194"
        );
        assert!(sid.is_appcontainer());
        assert_eq!(derive_sid("microsoft.microsoftedge_8wekyb3d8bbwe"), sid, "the name is lower-cased first");
    }

    #[test]
    fn profile_names_fit_and_differ() {
        let a = ContainerId::generate().unwrap();
        let b = ContainerId::generate().unwrap();
        let (na, nb) = (profile_name(&a), profile_name(&b));
        assert!(na.len() <= 64 && na.starts_with("cove.") && na.len() == 37);
        assert_ne!(na, nb);
        assert_ne!(derive_sid(&na), derive_sid(&nb));
    }

    #[test]
    fn sids_round_trip_and_bad_ones_are_refused() {
        let s = "S-1-15-2-1-2-3-4-5-6-7";
        assert_eq!(Sid::parse(s).unwrap().to_string(), s);
        assert_eq!(Sid::parse("S-1-15-3-1").unwrap().subs, vec![3, 1]);
        for bad in ["", "S-1-", "S-1-15", "S-2-15-1", "S-1-15-+1", "S-1-15-1-", "S-1-15- 1", "S-1-15-4294967296"] {
            assert!(Sid::parse(bad).is_err(), "{bad:?}");
        }
        let sixteen = format!("S-1-5{}", "-1".repeat(16));
        assert!(Sid::parse(&sixteen).is_err());
        assert!(!Sid::parse("S-1-15-3-1").unwrap().is_appcontainer());
    }

    #[test]
    fn network_mode_decides_capabilities() {
        assert!(network_capabilities(true).is_empty());
        let full: Vec<&str> = network_capabilities(false).iter().map(|c| c.sid).collect();
        assert_eq!(full, ["S-1-15-3-1", "S-1-15-3-2", "S-1-15-3-3"]);
        for c in network_capabilities(false) {
            assert!(Sid::parse(c.sid).is_ok());
        }
    }
}
