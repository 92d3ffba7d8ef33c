//! Content digests (`sha256:<64 hex>`) and a writer that hashes what passes
//! through it.
//!
//! Belongs here: parsing and printing digests, hashing streams, comparing a
//! computed digest with an expected one. Does not belong here: where blobs
//! live (`store.rs`) or fetching them.
//!
//! Only `sha256` and `sha512` are accepted: they are the algorithms the OCI
//! image spec registers. Hex must be lowercase, as the spec requires.

use std::fmt;
use std::io::{self, Write};
use std::str::FromStr;

use sha2::{Digest as _, Sha256, Sha512};

/// A digest algorithm registered by the OCI image spec.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Algorithm {
    /// SHA-256, 64 hex characters.
    Sha256,
    /// SHA-512, 128 hex characters.
    Sha512,
}

impl Algorithm {
    /// The name used in digests and in store paths (`sha256`).
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::Sha256 => "sha256",
            Algorithm::Sha512 => "sha512",
        }
    }

    fn hex_len(self) -> usize {
        match self {
            Algorithm::Sha256 => 64,
            Algorithm::Sha512 => 128,
        }
    }
}

/// Why a digest string was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum DigestError {
    /// No `:` between algorithm and hex.
    #[error("digest {0:?} is not of the form algorithm:hex")]
    Malformed(String),
    /// An algorithm other than sha256 or sha512.
    #[error("unsupported digest algorithm {0:?}")]
    UnsupportedAlgorithm(String),
    /// Wrong length or characters other than lowercase hex.
    #[error("digest {digest:?}: {algorithm} needs {len} lowercase hex characters")]
    BadHex {
        /// The digest as given.
        digest: String,
        /// The algorithm it named.
        algorithm: &'static str,
        /// The hex length the algorithm needs.
        len: usize,
    },
}

/// A validated digest: algorithm plus lowercase hex.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Digest {
    algorithm: Algorithm,
    hex: String,
}

impl Digest {
    /// The algorithm.
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// The lowercase hex part.
    pub fn hex(&self) -> &str {
        &self.hex
    }

    /// The sha256 digest of `bytes`.
    pub fn sha256_of(bytes: &[u8]) -> Self {
        Digest { algorithm: Algorithm::Sha256, hex: hex::encode(Sha256::digest(bytes)) }
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.algorithm.name(), self.hex)
    }
}

impl FromStr for Digest {
    type Err = DigestError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (algo, hex) = s.split_once(':').ok_or_else(|| DigestError::Malformed(s.into()))?;
        let algorithm = match algo {
            "sha256" => Algorithm::Sha256,
            "sha512" => Algorithm::Sha512,
            "" => return Err(DigestError::Malformed(s.into())),
            other => return Err(DigestError::UnsupportedAlgorithm(other.into())),
        };
        let len = algorithm.hex_len();
        if hex.len() != len || !hex.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
            return Err(DigestError::BadHex { digest: s.into(), algorithm: algorithm.name(), len });
        }
        Ok(Digest { algorithm, hex: hex.into() })
    }
}

enum Hasher {
    Sha256(Sha256),
    Sha512(Sha512),
}

/// A writer that hashes every byte written through it and counts them, so
/// content can be verified while it is being stored.
pub struct VerifyingWriter<W> {
    inner: W,
    hasher: Hasher,
    written: u64,
}

impl<W: Write> VerifyingWriter<W> {
    /// Wraps `inner`, hashing with `algorithm`.
    pub fn new(inner: W, algorithm: Algorithm) -> Self {
        let hasher = match algorithm {
            Algorithm::Sha256 => Hasher::Sha256(Sha256::new()),
            Algorithm::Sha512 => Hasher::Sha512(Sha512::new()),
        };
        VerifyingWriter { inner, hasher, written: 0 }
    }

    /// Bytes written so far.
    pub fn written(&self) -> u64 {
        self.written
    }

    /// Returns the inner writer, the digest of everything written and its size.
    pub fn finish(self) -> (W, Digest, u64) {
        let digest = match self.hasher {
            Hasher::Sha256(h) => Digest { algorithm: Algorithm::Sha256, hex: hex::encode(h.finalize()) },
            Hasher::Sha512(h) => Digest { algorithm: Algorithm::Sha512, hex: hex::encode(h.finalize()) },
        };
        (self.inner, digest, self.written)
    }
}

impl<W: Write> Write for VerifyingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        // Hash only what the inner writer accepted, so a short write is not
        // counted twice when the caller retries the rest.
        match &mut self.hasher {
            Hasher::Sha256(h) => h.update(&buf[..n]),
            Hasher::Sha512(h) => h.update(&buf[..n]),
        }
        self.written += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Hashes everything `reader` yields with `algorithm`; returns digest and size.
pub fn digest_reader(reader: &mut impl io::Read, algorithm: Algorithm) -> io::Result<(Digest, u64)> {
    let mut w = VerifyingWriter::new(io::sink(), algorithm);
    io::copy(reader, &mut w)?;
    let (_, digest, size) = w.finish();
    Ok((digest, size))
}

#[cfg(test)]
mod tests {
    use super::*;

    const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    #[test]
    fn parse_and_display_round_trip() {
        let s = format!("sha256:{EMPTY_SHA256}");
        let d: Digest = s.parse().unwrap();
        assert_eq!(d.algorithm(), Algorithm::Sha256);
        assert_eq!(d.to_string(), s);
        let s512 = format!("sha512:{}", "a".repeat(128));
        assert_eq!(s512.parse::<Digest>().unwrap().to_string(), s512);
    }

    #[test]
    fn bad_digests_are_refused() {
        for bad in ["", "sha256", ":abc", "sha256:", "sha256:abc", "md5:abcd", "sha512:abcd"] {
            assert!(bad.parse::<Digest>().is_err(), "{bad:?} accepted");
        }
        assert!(format!("sha256:{}", EMPTY_SHA256.to_uppercase()).parse::<Digest>().is_err());
        assert!(format!("sha256:{}g", &EMPTY_SHA256[1..]).parse::<Digest>().is_err());
    }

    #[test]
    fn writer_hashes_while_writing() {
        let mut w = VerifyingWriter::new(Vec::new(), Algorithm::Sha256);
        w.write_all(b"hello ").unwrap();
        w.write_all(b"world").unwrap();
        let (inner, digest, size) = w.finish();
        assert_eq!(inner, b"hello world");
        assert_eq!(size, 11);
        assert_eq!(digest, Digest::sha256_of(b"hello world"));
        assert_eq!(Digest::sha256_of(b"").hex(), EMPTY_SHA256);
    }

    #[test]
    fn digest_reader_matches_one_shot() {
        let (d, n) = digest_reader(&mut &b"abc"[..], Algorithm::Sha256).unwrap();
        assert_eq!((d, n), (Digest::sha256_of(b"abc"), 3));
    }
}
