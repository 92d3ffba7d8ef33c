//! The registry tests' environment: a scratch dir per mode with the
//! store (`COVE_ROOT`) and Docker's config dir (`DOCKER_CONFIG`), and the
//! busybox rootfs images are built from.

// Shared by registry.rs and registry_faults.rs; each uses a part.
#![allow(dead_code)]

use super::common::*;
use std::path::Path;

/// A mode's scratch dir, with `store/` for COVE_ROOT and `docker/` for DOCKER_CONFIG.
pub fn scratch(mode: Mode, tag: &str) -> TestDir {
    let dir = TestDir::new(mode, tag);
    dir.mkdir("store");
    dir
}

pub fn cove_in(mode: Mode, dir: &TestDir) -> Cove {
    cove(mode)
        .env("COVE_ROOT", &dir.join("store").display().to_string())
        .env("DOCKER_CONFIG", &dir.join("docker").display().to_string())
}

/// The busybox rootfs to build images from (None after a SKIP).
pub fn rootfs() -> Option<&'static Path> {
    busybox(*modes().first()?)
}
