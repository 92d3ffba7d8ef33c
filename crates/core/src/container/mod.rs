//! Stored containers: the record of one container (what it runs and where
//! it is in its life), the store that keeps them on disk, generated names,
//! and time stamps as Docker prints them.
//!
//! Portable: whether a recorded process is still the one cove started is
//! asked of the caller ([`Liveness`]), which knows how on its OS.

pub mod attach;
mod health;
pub mod log;
mod names;
mod record;
mod store;
pub mod time;

pub use health::{Health, HealthConfig, HealthResult, HealthStatus, MAX_OUTPUT as HEALTH_MAX_OUTPUT};
pub use names::{generate_name, valid_name};
pub use record::{Container, ProcessRef, RestartPolicy, State, Status};
pub use store::{ContainerStore, Lookup, StoreLock};

/// Answers whether a recorded process is still the same process (its pid
/// may have been reused, or the host rebooted since).
pub trait Liveness {
    /// `true` while `process` runs.
    fn alive(&self, process: &ProcessRef) -> bool;
}

#[cfg(test)]
mod tests;
