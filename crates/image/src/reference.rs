//! Image references (`alpine`, `user/app:1.0`, `localhost:5000/x/y@sha256:…`)
//! parsed and normalised the way Docker does.
//!
//! Belongs here: the grammar of a reference, Docker Hub normalisation
//! (`alpine` → `docker.io/library/alpine:latest`) and the short "familiar"
//! form Docker prints. Does not belong here: registry I/O, credentials, or
//! resolving a tag to a digest.
//!
//! Rules (written from the distribution reference grammar):
//! - the first `/`-separated component is a registry domain when there is a
//!   `/` after it and it contains `.` or `:`, or is exactly `localhost`;
//!   otherwise the domain is `docker.io`, and a single-component path on
//!   Docker Hub gets the `library/` prefix. `index.docker.io` becomes `docker.io`;
//! - path components are lowercase `[a-z0-9]+` joined by `.`, `_`, `__` or
//!   runs of `-`; the whole name (domain and path) is at most 255 bytes;
//! - a tag is `[\w][\w.-]{0,127}`; a digest follows `@` (see [`Digest`]);
//! - with neither tag nor digest the tag is `latest`; `name@digest` keeps no tag.
//!
//! IPv6 registry literals (`[::1]:5000/x`) are not accepted yet.

use std::fmt;
use std::str::FromStr;

use crate::digest::{Digest, DigestError};

/// Docker Hub's canonical domain.
pub const DOCKER_HUB: &str = "docker.io";
const DOCKER_HUB_LEGACY: &str = "index.docker.io";
const OFFICIAL_PREFIX: &str = "library/";
const DEFAULT_TAG: &str = "latest";
const MAX_NAME_LEN: usize = 255;
const MAX_TAG_LEN: usize = 128;

/// Why a reference was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum ReferenceError {
    /// The input was empty.
    #[error("image reference is empty")]
    Empty,
    /// The repository had uppercase letters.
    #[error("repository name must be lowercase: {reference:?}")]
    Uppercase {
        /// The input as given.
        reference: String,
    },
    /// A path component did not match the grammar.
    #[error("invalid repository component {component:?} in {reference:?}")]
    BadComponent {
        /// The input as given.
        reference: String,
        /// The offending component.
        component: String,
    },
    /// The registry domain did not match the grammar.
    #[error("invalid registry domain {domain:?} in {reference:?}")]
    BadDomain {
        /// The input as given.
        reference: String,
        /// The offending domain.
        domain: String,
    },
    /// The name was longer than 255 bytes.
    #[error("repository name longer than {MAX_NAME_LEN} bytes: {reference:?}")]
    NameTooLong {
        /// The input as given.
        reference: String,
    },
    /// The tag did not match `[\w][\w.-]{0,127}`.
    #[error("invalid tag {tag:?} in {reference:?}")]
    BadTag {
        /// The input as given.
        reference: String,
        /// The offending tag.
        tag: String,
    },
    /// The digest after `@` was malformed.
    #[error("invalid digest in {reference:?}")]
    BadDigest {
        /// The input as given.
        reference: String,
        /// What was wrong with the digest.
        #[source]
        source: DigestError,
    },
}

/// A parsed, normalised image reference.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Reference {
    domain: String,
    path: String,
    tag: Option<String>,
    digest: Option<Digest>,
}

impl Reference {
    /// Parses and normalises `s`.
    pub fn parse(s: &str) -> Result<Self, ReferenceError> {
        if s.is_empty() {
            return Err(ReferenceError::Empty);
        }
        let (name_and_tag, digest) = match s.split_once('@') {
            Some((n, d)) => {
                let digest =
                    d.parse::<Digest>().map_err(|source| ReferenceError::BadDigest { reference: s.into(), source })?;
                (n, Some(digest))
            }
            None => (s, None),
        };
        let (name, tag) = split_tag(name_and_tag);
        if name.is_empty() {
            return Err(ReferenceError::Empty);
        }
        if let Some(t) = tag
            && !valid_tag(t)
        {
            return Err(ReferenceError::BadTag { reference: s.into(), tag: t.into() });
        }
        let (domain, path) = split_domain(name);
        check_domain(s, domain)?;
        check_path(s, path)?;
        if name.len() > MAX_NAME_LEN {
            return Err(ReferenceError::NameTooLong { reference: s.into() });
        }
        let (domain, path) = normalise_hub(domain, path);
        let tag = match (tag, &digest) {
            (Some(t), _) => Some(t.to_owned()),
            (None, Some(_)) => None,
            (None, None) => Some(DEFAULT_TAG.to_owned()),
        };
        Ok(Reference { domain, path, tag, digest })
    }

    /// The registry domain, e.g. `docker.io` or `localhost:5000`.
    pub fn domain(&self) -> &str {
        &self.domain
    }

    /// The repository path inside the registry, e.g. `library/alpine`.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The tag, if any (`latest` when the input had neither tag nor digest).
    pub fn tag(&self) -> Option<&str> {
        self.tag.as_deref()
    }

    /// The digest, if the reference pinned one.
    pub fn digest(&self) -> Option<&Digest> {
        self.digest.as_ref()
    }

    /// The short form Docker prints: `alpine:latest`, `user/app:1.0`;
    /// references outside Docker Hub keep their domain.
    pub fn familiar(&self) -> String {
        let mut name = if self.domain == DOCKER_HUB {
            self.path.strip_prefix(OFFICIAL_PREFIX).unwrap_or(&self.path).to_owned()
        } else {
            format!("{}/{}", self.domain, self.path)
        };
        self.push_suffix(&mut name);
        name
    }

    fn push_suffix(&self, out: &mut String) {
        if let Some(tag) = &self.tag {
            out.push(':');
            out.push_str(tag);
        }
        if let Some(digest) = &self.digest {
            out.push('@');
            out.push_str(&digest.to_string());
        }
    }
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = format!("{}/{}", self.domain, self.path);
        self.push_suffix(&mut s);
        f.write_str(&s)
    }
}

impl FromStr for Reference {
    type Err = ReferenceError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Reference::parse(s)
    }
}

/// Splits `name[:tag]`; a `:` before the last `/` is a port, not a tag.
fn split_tag(s: &str) -> (&str, Option<&str>) {
    let last_slash = s.rfind('/').map_or(0, |i| i + 1);
    match s[last_slash..].rfind(':') {
        Some(i) => (&s[..last_slash + i], Some(&s[last_slash + i + 1..])),
        None => (s, None),
    }
}

/// Splits off a registry domain when the first component looks like one.
fn split_domain(name: &str) -> (Option<&str>, &str) {
    match name.split_once('/') {
        Some((first, rest)) if first.contains(['.', ':']) || first == "localhost" => (Some(first), rest),
        _ => (None, name),
    }
}

fn normalise_hub(domain: Option<&str>, path: &str) -> (String, String) {
    match domain {
        None | Some(DOCKER_HUB) | Some(DOCKER_HUB_LEGACY) if !path.contains('/') => {
            (DOCKER_HUB.to_owned(), format!("{OFFICIAL_PREFIX}{path}"))
        }
        None | Some(DOCKER_HUB) | Some(DOCKER_HUB_LEGACY) => (DOCKER_HUB.to_owned(), path.to_owned()),
        Some(d) => (d.to_owned(), path.to_owned()),
    }
}

fn check_domain(reference: &str, domain: Option<&str>) -> Result<(), ReferenceError> {
    let Some(domain) = domain else { return Ok(()) };
    let bad = || ReferenceError::BadDomain { reference: reference.into(), domain: domain.into() };
    let (host, port) = match domain.split_once(':') {
        Some((h, p)) => (h, Some(p)),
        None => (domain, None),
    };
    if let Some(p) = port
        && (p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(bad());
    }
    let label_ok = |l: &str| {
        !l.is_empty()
            && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !l.starts_with('-')
            && !l.ends_with('-')
    };
    if host.split('.').all(label_ok) { Ok(()) } else { Err(bad()) }
}

fn check_path(reference: &str, path: &str) -> Result<(), ReferenceError> {
    for component in path.split('/') {
        if component.bytes().any(|b| b.is_ascii_uppercase()) {
            return Err(ReferenceError::Uppercase { reference: reference.into() });
        }
        if !valid_component(component) {
            return Err(ReferenceError::BadComponent { reference: reference.into(), component: component.into() });
        }
    }
    Ok(())
}

/// `[a-z0-9]+` joined by `.`, `_`, `__` or one or more `-`.
fn valid_component(c: &str) -> bool {
    let alnum = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    let bytes = c.as_bytes();
    let (Some(&first), Some(&last)) = (bytes.first(), bytes.last()) else { return false };
    if !alnum(first) || !alnum(last) {
        return false;
    }
    let mut i = 0;
    while i < bytes.len() {
        if alnum(bytes[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && !alnum(bytes[i]) {
            i += 1;
        }
        let sep = &c[start..i];
        let ok = sep == "." || sep == "_" || sep == "__" || sep.bytes().all(|b| b == b'-');
        if !ok {
            return false;
        }
    }
    true
}

/// `[\w][\w.-]{0,127}` with `\w` = `[A-Za-z0-9_]`.
fn valid_tag(t: &str) -> bool {
    let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let bytes = t.as_bytes();
    match bytes.first() {
        Some(&b) if word(b) => {}
        _ => return false,
    }
    bytes.len() <= MAX_TAG_LEN && bytes.iter().all(|&b| word(b) || b == b'.' || b == b'-')
}

#[cfg(test)]
mod tests;
