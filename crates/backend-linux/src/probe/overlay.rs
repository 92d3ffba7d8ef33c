//! `overlay_userns`: can overlayfs be mounted inside a user namespace?
//! Needs kernel >= 5.11 and overlay in `/proc/filesystems` (or a module
//! that `modprobe overlay` can load).

use super::host::{Host, read_text};
use super::kernel::KernelVersion;
use super::{degraded, enforced, unavailable};
use cove_core::backend::Feature;
use std::path::Path;

const KEY: &str = "overlay_userns";

/// Everything the verdict depends on.
#[derive(Clone, Debug)]
pub struct Evidence {
    /// The kernel version, when `uname -r` parses.
    pub kernel: Option<KernelVersion>,
    /// `uname -r`.
    pub release: String,
    /// overlay is listed in `/proc/filesystems`.
    pub listed: bool,
    /// An overlay module is installed for this kernel.
    pub module: bool,
}

/// Gathers the evidence and judges it.
pub fn probe(host: &Host) -> Feature {
    let listed = read_text("/proc/filesystems").is_some_and(|t| has_filesystem(&t, "overlay"));
    assess(&Evidence {
        kernel: host.kernel,
        release: host.release.clone(),
        listed,
        module: !listed && module_installed(&host.release),
    })
}

/// Whether `/proc/filesystems` text lists `name` (`nodev\toverlay`).
pub fn has_filesystem(text: &str, name: &str) -> bool {
    text.lines().any(|l| l.split_whitespace().last() == Some(name))
}

/// Whether `/lib/modules/<release>` has an overlay module (or built-in).
fn module_installed(release: &str) -> bool {
    let dir = Path::new("/lib/modules").join(release);
    let in_list = |file: &str| read_text(dir.join(file)).is_some_and(|t| t.contains("/overlay.ko"));
    dir.join("kernel/fs/overlayfs").is_dir() || in_list("modules.dep") || in_list("modules.builtin")
}

/// The verdict: the kernel version first, then whether overlay is there.
pub fn assess(ev: &Evidence) -> Feature {
    let version = match ev.kernel {
        Some(v) if !v.at_least(5, 11) => {
            let detail = format!("kernel {v} < 5.11 cannot mount overlayfs inside a user namespace");
            return unavailable(KEY, detail, Some("kernel >= 5.11 required".into()));
        }
        Some(v) => format!("kernel {v} >= 5.11"),
        None => format!("kernel release {:?} does not parse; assuming >= 5.11", ev.release),
    };
    if ev.listed {
        enforced(KEY, format!("overlay in /proc/filesystems; {version} allows it in a user namespace"))
    } else if ev.module {
        degraded(
            KEY,
            format!("overlay module installed but not loaded; {version}"),
            "modprobe overlay && echo overlay > /etc/modules-load.d/overlay.conf",
        )
    } else {
        let detail = format!("overlay is not in /proc/filesystems and no module is installed ({version})");
        unavailable(KEY, detail, Some("a kernel with CONFIG_OVERLAY_FS (or its overlay module) required".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cove_core::backend::Support;

    #[test]
    fn finds_overlay_in_proc_filesystems() {
        let text = "nodev\tsysfs\nnodev\ttmpfs\n\text4\nnodev\toverlay\n";
        assert!(has_filesystem(text, "overlay"));
        assert!(has_filesystem(text, "ext4"));
        assert!(!has_filesystem("nodev\toverlayfs\n", "overlay"));
    }

    fn ev(release: &str, listed: bool, module: bool) -> Evidence {
        Evidence { kernel: KernelVersion::parse(release), release: release.into(), listed, module }
    }

    #[test]
    fn needs_5_11_and_the_filesystem() {
        assert_eq!(assess(&ev("6.18.44", true, false)).status, Support::Enforced);
        let old = assess(&ev("5.10.0", true, false));
        assert_eq!((old.status, old.fix.as_deref()), (Support::Unavailable, Some("kernel >= 5.11 required")));
        assert_eq!(assess(&ev("6.1.0", false, true)).status, Support::Degraded);
        assert_eq!(assess(&ev("6.1.0", false, false)).status, Support::Unavailable);
    }
}
