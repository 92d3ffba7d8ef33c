//! OCI images for cove: parsing image references, digests, a
//! content-addressed blob store, safe unpacking of layer tarballs, OCI
//! layouts and the local image store (records and flattened root filesystems).
//!
//! Belongs here: portable image logic that needs only `std` and well-kept
//! format crates (tar, gzip, zstd, sha2), and the registry client
//! (`registry`, ureq with rustls). Does not belong here: printing, mounting
//! overlays or anything behind `cfg(target_os)`;
//! those live in a backend and consume what this crate produces (for
//! example the whiteout list from [`unpack::unpack_layer`]).

#![deny(missing_docs)]

pub mod digest;
pub mod hold;
pub mod images;
pub mod layout;
pub mod oci;
pub mod reference;
pub mod registry;
pub mod store;
pub mod unpack;

pub use digest::{Algorithm, Digest, DigestError};
pub use images::{IdMapper, ImageError, ImageRecord, ImageStore, MappedJob, Storage, familiar_parts};
pub use reference::{Reference, ReferenceError};
pub use store::{BlobStore, PutOutcome, StoreError};
