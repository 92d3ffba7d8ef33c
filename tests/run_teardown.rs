//! Issue 5 item 9: what a foreground run leaves to the kernel's teardown
//! (docs/spawn-pipeline.md, "Teardown"). The container's TUN device is
//! persistent, so cove's final `close` does not unregister it in the
//! foreground; it goes with the container's network namespace, which no
//! host process holds once `run --rm` has returned. Root and rootless.

mod common;
#[path = "network/support.rs"]
mod support;
#[path = "network/testhost.rs"]
mod testhost;

use common::*;
use support::*;

/// `IFF_PERSIST` in `/sys/class/net/DEV/tun_flags` (linux/if_tun.h).
const IFF_PERSIST: u32 = 0x800;

/// Whether any process on the host is in network namespace `ns` (`net:[N]`).
fn netns_held(ns: &str) -> Vec<String> {
    let Ok(dir) = std::fs::read_dir("/proc") else { return Vec::new() };
    dir.flatten()
        .filter(|e| e.file_name().to_string_lossy().bytes().all(|b| b.is_ascii_digit()))
        .filter(|e| std::fs::read_link(e.path().join("ns/net")).is_ok_and(|l| l.to_string_lossy() == ns))
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect()
}

#[test]
fn the_tun_device_is_persistent_and_its_namespace_unheld_after_the_run() {
    for mode in net_modes("run_teardown") {
        let script = "cat /sys/class/net/eth0/tun_flags; readlink /proc/self/ns/net";
        let out = cove(mode).arg("run").arg("--rm").args(rootfs(mode)).args(["--", "sh", "-c", script]).run();
        out.ok();
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let mut lines = text.lines();
        let flags = lines.next().and_then(|f| u32::from_str_radix(f.trim_start_matches("0x"), 16).ok());
        let ns = lines.next().unwrap_or_default().to_owned();
        let flags = flags.unwrap_or_else(|| panic!("[{}] tun_flags in {text:?}", mode.label()));
        assert!(flags & IFF_PERSIST != 0, "[{}] eth0 is not persistent: tun_flags {flags:#x}", mode.label());
        assert!(ns.starts_with("net:["), "[{}] the container's netns in {text:?}", mode.label());
        // The run has returned: its container is reaped and cove has closed
        // the device, so nothing on the host keeps the namespace (or the
        // device in it) alive.
        let held = netns_held(&ns);
        assert!(held.is_empty(), "[{}] {ns} still held by processes {held:?}", mode.label());
    }
}
