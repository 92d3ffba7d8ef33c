//! Docker's defaults: the kernel filesystems every container gets, the
//! capability set, and the masked and read-only paths.

use super::{MountFlags, MountStep};

/// Docker's default capability set.
pub const DEFAULT_CAPABILITIES: &[&str] = &[
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_FSETID",
    "CAP_FOWNER",
    "CAP_MKNOD",
    "CAP_NET_RAW",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETFCAP",
    "CAP_SETPCAP",
    "CAP_NET_BIND_SERVICE",
    "CAP_SYS_CHROOT",
    "CAP_KILL",
    "CAP_AUDIT_WRITE",
];

/// Paths hidden from the container, as Docker does.
pub const MASKED_PATHS: &[&str] = &[
    "/proc/asound",
    "/proc/acpi",
    "/proc/interrupts",
    "/proc/kcore",
    "/proc/keys",
    "/proc/latency_stats",
    "/proc/timer_list",
    "/proc/timer_stats",
    "/proc/sched_debug",
    "/proc/scsi",
    "/sys/firmware",
    "/sys/devices/virtual/powercap",
];

/// Paths made read-only, as Docker does.
pub const READONLY_PATHS: &[&str] = &["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"];

/// Devices bound from the host into the container's `/dev`.
const DEVICES: &[&str] = &["null", "zero", "full", "random", "urandom", "tty"];

/// `/proc`, a minimal `/dev`, and `/sys`, in mount order.
pub(super) fn kernel_filesystems(own_net: bool, tty_gid: Option<u32>) -> Vec<MountStep> {
    let hard = MountFlags { nosuid: true, nodev: true, noexec: true, read_only: false };
    let no_exec_suid = MountFlags { nosuid: true, noexec: true, ..MountFlags::default() };
    let mut steps = vec![
        MountStep::Proc { dest: "/proc".into(), flags: hard },
        MountStep::Tmpfs { dest: "/dev".into(), mode: 0o755, size: Some(64 << 20), flags: no_exec_suid },
    ];
    steps.extend(devices_and_links());
    steps.extend([
        MountStep::DevPts { dest: "/dev/pts".into(), gid: tty_gid, flags: no_exec_suid },
        MountStep::Tmpfs { dest: "/dev/shm".into(), mode: 0o1777, size: Some(64 << 20), flags: hard },
        MountStep::Mqueue { dest: "/dev/mqueue".into(), flags: hard },
        MountStep::Sysfs { dest: "/sys".into(), fresh: own_net, flags: MountFlags { read_only: true, ..hard } },
    ]);
    steps
}

/// The device nodes and `/dev` links every container gets (also an OCI
/// bundle's, the runtime-spec's "Default Devices"), `nosuid,noexec`.
pub(crate) fn devices_and_links() -> Vec<MountStep> {
    let flags = MountFlags { nosuid: true, noexec: true, ..MountFlags::default() };
    let mut steps: Vec<MountStep> =
        DEVICES.iter().map(|d| MountStep::Device { name: (*d).into(), source: None, flags }).collect();
    for (target, link) in [
        ("/proc/self/fd", "/dev/fd"),
        ("/proc/self/fd/0", "/dev/stdin"),
        ("/proc/self/fd/1", "/dev/stdout"),
        ("/proc/self/fd/2", "/dev/stderr"),
        ("pts/ptmx", "/dev/ptmx"),
    ] {
        steps.push(MountStep::Symlink { target: target.into(), link: link.into() });
    }
    steps
}

/// `--shm-size`: the size of the `/dev/shm` tmpfs.
pub(super) fn set_shm_size(steps: &mut [MountStep], bytes: u64) {
    for step in steps {
        if let MountStep::Tmpfs { dest, size, .. } = step
            && dest == "/dev/shm"
        {
            *size = Some(bytes);
        }
    }
}
