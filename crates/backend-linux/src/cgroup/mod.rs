//! cgroups for resource limits (`--memory`, `--memory-swap`,
//! `--memory-reservation`, `--cpus`, `--cpu-shares`, `--cpuset-cpus`,
//! `--cpuset-mems`, `--pids-limit`), OOM kills and usage counters.
//!
//! - `mounts`: parsing `/proc/self/mountinfo` and `/proc/self/cgroup` (pure).
//! - `place`: per controller, which hierarchy and which parent cgroup this
//!   caller can use (pure over an injected [`place::Access`]); the probe
//!   behind `cove info` uses the same decision.
//! - `files`: the control files and values a limit becomes (pure).
//! - `checks`: what the host must offer beyond a place (CPUs, cpuset
//!   lists) and the refusal naming the flag (Linux only).
//! - `create`: making the cgroups before `clone`, moving the child in and
//!   removing them afterwards (Linux only).
//! - `oom`: the OOM-kill counter of a memory cgroup.
//! - `live`: a running container's cgroups changed later (OCI pause,
//!   resume, update; Linux only).
//!
//! A run asks for nothing here unless a limit is given: no cgroup, no cost.

#[cfg(target_os = "linux")]
mod checks;
#[cfg(target_os = "linux")]
pub mod create;
pub mod files;
#[cfg(target_os = "linux")]
pub mod live;
pub mod mounts;
pub mod oom;
pub mod place;
