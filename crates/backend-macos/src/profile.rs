//! The container's Seatbelt profile: deny by default; read the system's
//! runtime files and the plan's mirrored host paths; read and write the
//! container dir, its scratch dirs and the writable volumes; the network
//! only with `--network host`; a short `mach-lookup` allow-list.

use crate::sbpl::{FileAccess, Profile, UnquotablePath};

/// What macOS itself needs to start any program (dyld's shared cache, the
/// system frameworks, time zones), read-only. The plan's mirrored paths
/// (`/usr`, `/bin`, `/sbin`, `/etc/…`) come on top.
pub const SYSTEM_READ: &[&str] =
    &["/System", "/Library/Apple", "/private/var/db/dyld", "/private/var/db/timezone", "/usr/lib", "/usr/share"];

/// Mach services every process may look up: logging, notifications, user
/// and group lookups.
pub const MACH_SERVICES: &[&str] =
    &["com.apple.system.logger", "com.apple.system.notification_center", "com.apple.system.opendirectoryd.libinfo"];

/// More services with `--network host`: name resolution and certificate trust.
pub const NETWORK_MACH_SERVICES: &[&str] =
    &["com.apple.dnssd.service", "com.apple.mDNSResponder", "com.apple.trustd", "com.apple.trustd.agent"];

/// A directory the container uses, with its access (host path).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Area {
    /// Host path (resolved: the kernel checks resolved paths).
    pub path: String,
    /// Writes allowed.
    pub write: bool,
    /// Running programs from it allowed.
    pub exec: bool,
}

/// Everything the profile is made from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProfileInput {
    /// A comment naming the container.
    pub comment: String,
    /// Host paths readable (the system's and the plan's mirrored ones), resolved.
    pub read: Vec<String>,
    /// Device files readable and writable (`/dev/null`, …).
    pub devices: Vec<String>,
    /// The container dir, its scratch dirs and the volumes.
    pub areas: Vec<Area>,
    /// `--network host`.
    pub network: bool,
}

/// Renders the profile text.
pub fn render(input: &ProfileInput) -> Result<String, UnquotablePath> {
    let mut p = Profile::deny_default(&input.comment);
    p.comment("processes: run programs, fork, see and signal only this sandbox");
    p.raw("(allow process-exec)\n(allow process-fork)");
    p.raw("(allow signal (target same-sandbox))\n(allow process-info* (target same-sandbox))");
    p.raw("(allow sysctl-read)");
    p.comment("file metadata (stat) everywhere, so that paths resolve; contents only below");
    p.raw("(allow file-read-metadata)");
    p.comment("system and mirrored host paths, read-only");
    p.files(FileAccess::Read, "subpath", &input.read)?;
    p.comment("devices");
    p.files(FileAccess::ReadWrite, "literal", &input.devices)?;
    p.comment("the container dir, scratch dirs and volumes");
    let with = |write: bool| -> Vec<String> {
        input.areas.iter().filter(|a| a.write == write).map(|a| a.path.clone()).collect()
    };
    p.files(FileAccess::Read, "subpath", &with(false))?;
    p.files(FileAccess::ReadWrite, "subpath", &with(true))?;
    let noexec: Vec<String> = input.areas.iter().filter(|a| !a.exec).map(|a| a.path.clone()).collect();
    p.deny_exec(&noexec)?;
    p.comment("mach services: an allow-list");
    p.mach_lookup(MACH_SERVICES)?;
    p.raw("(allow ipc-posix-shm-read-data (ipc-posix-name \"apple.shm.notification_center\"))");
    if input.network {
        p.comment("--network host");
        p.raw("(allow network*)\n(allow system-socket)");
        p.mach_lookup(NETWORK_MACH_SERVICES)?;
    } else {
        p.comment("--network none: no network rule, so every socket operation is denied");
    }
    Ok(p.finish())
}
