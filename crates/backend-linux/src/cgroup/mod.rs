//! cgroups for resource limits (`--memory`, `--cpus`, `--pids-limit`).
//!
//! - `mounts`: parsing `/proc/self/mountinfo` and `/proc/self/cgroup` (pure).
//! - `place`: per controller, which hierarchy and which parent cgroup this
//!   caller can use (pure over an injected [`place::Access`]); the probe
//!   behind `cove info` uses the same decision.
//! - `files`: the control files and values a limit becomes (pure).
//! - `create`: making the cgroups before `clone`, moving the child in and
//!   removing them afterwards (Linux only).
//!
//! A run asks for nothing here unless a limit is given: no cgroup, no cost.

#[cfg(target_os = "linux")]
pub mod create;
pub mod files;
pub mod mounts;
pub mod place;
