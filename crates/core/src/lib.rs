//! The portable core of cove.
//!
//! What belongs here: the vocabulary every backend and the CLI share — container
//! ids, the validated [`RunSpec`](spec::RunSpec), the ordered [`Plan`](plan::Plan)
//! of typed steps, the [`Backend`](backend::Backend) trait with the
//! [`Capabilities`](backend::Capabilities) a host reports, exit-status mapping,
//! lifecycle states and the on-disk state store.
//!
//! What does not: anything that touches a particular operating system. This
//! crate has no `unsafe`, no `cfg(target_os)` and no syscalls beyond portable
//! `std::fs`; backends translate the plan into their own primitives.
#![deny(missing_docs)]

pub mod backend;
pub mod capability;
pub mod container;
pub mod env;
pub mod exec;
pub mod exit;
pub mod hostcheck;
pub mod id;
pub mod net;
pub mod oci;
pub mod overlay;
pub mod plan;
pub mod pump;
pub mod rootpath;
pub mod sandbox;
pub mod seccomp;
pub mod signal;
pub mod spec;
pub mod state;
pub mod stats;
pub mod user;
