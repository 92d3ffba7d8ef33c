//! `mounts`: each entry becomes one `MountStep`, its fstab-style options
//! checked one by one (an option cove cannot honour is refused, named).

use super::OciError;
use crate::plan::{MountFlags, MountStep};
use oci_spec::runtime::Mount;
use std::path::Path;

/// What a mount's options ask for.
#[derive(Default)]
struct Options {
    flags: MountFlags,
    bind: bool,
    mode: Option<u32>,
    size: Option<u64>,
    gid: Option<u32>,
}

/// The steps for `mounts`, in order; bind sources are relative to `bundle`.
pub(super) fn steps(mounts: &[Mount], bundle: &Path, own_net: bool) -> Result<Vec<MountStep>, OciError> {
    mounts.iter().enumerate().map(|(i, m)| step(i, m, bundle, own_net)).collect()
}

/// `(destination, source)` of the new filesystems that name a source, as
/// mountinfo is to show them (`proc`, `shm`, ...).
pub(super) fn sources(mounts: &[Mount]) -> Vec<(String, String)> {
    let is_bind = |m: &Mount| {
        m.typ().as_deref() == Some("bind")
            || m.options().as_deref().unwrap_or_default().iter().any(|o| o == "bind" || o == "rbind")
    };
    let named = mounts.iter().filter(|m| !is_bind(m));
    named
        .filter_map(|m| Some((m.destination().display().to_string(), m.source().as_ref()?.display().to_string())))
        .collect()
}

fn step(i: usize, m: &Mount, bundle: &Path, own_net: bool) -> Result<MountStep, OciError> {
    let field = format!("mounts[{i}]");
    let dest = m.destination().display().to_string();
    if !dest.starts_with('/') || dest == "/" {
        return Err(OciError::invalid(format!("{field}.destination"), format!("{dest:?} must be absolute and not /")));
    }
    let o = options(&field, m.options().as_deref().unwrap_or_default())?;
    let typ = m.typ().as_deref().unwrap_or("");
    if o.bind || typ == "bind" {
        let Some(source) = m.source() else { return Err(OciError::invalid(format!("{field}.source"), "missing")) };
        return Ok(MountStep::Bind { source: bundle.join(source), dest, flags: o.flags, optional: false });
    }
    let flags = o.flags;
    Ok(match typ {
        "proc" => MountStep::Proc { dest, flags },
        "sysfs" => MountStep::Sysfs { dest, fresh: own_net, flags: MountFlags { read_only: true, ..flags } },
        "tmpfs" => MountStep::Tmpfs { dest, mode: o.mode.unwrap_or(0o1777), size: o.size, flags },
        "devpts" => MountStep::DevPts { dest, gid: o.gid, flags },
        "mqueue" => MountStep::Mqueue { dest, flags },
        "cgroup" | "cgroup2" => MountStep::Cgroup { dest, flags },
        other => return Err(OciError::unsupported(format!("{field}.type"), format!("mount type {other:?}"))),
    })
}

/// Options cove accepts without an effect of their own: access-time
/// policies (the kernel's default applies), propagation that cove's
/// recursive slave tree already gives, and devpts's `newinstance`.
const NO_EFFECT: &[&str] = &[
    "defaults",
    "relatime",
    "norelatime",
    "strictatime",
    "nostrictatime",
    "noatime",
    "atime",
    "nodiratime",
    "diratime",
    "private",
    "rprivate",
    "slave",
    "rslave",
    "newinstance",
    "ptmxmode=0666",
];

fn options(field: &str, opts: &[String]) -> Result<Options, OciError> {
    let mut o = Options::default();
    for opt in opts {
        let bad = |what: &str| OciError::invalid(format!("{field}.options"), format!("{opt:?}: {what}"));
        match opt.as_str() {
            "ro" => o.flags.read_only = true,
            "rw" => o.flags.read_only = false,
            "nosuid" => o.flags.nosuid = true,
            "suid" => o.flags.nosuid = false,
            "nodev" => o.flags.nodev = true,
            "dev" => o.flags.nodev = false,
            "noexec" => o.flags.noexec = true,
            "exec" => o.flags.noexec = false,
            "bind" | "rbind" => o.bind = true,
            s if NO_EFFECT.contains(&s) => {}
            s if s.starts_with("mode=") => {
                o.mode = Some(u32::from_str_radix(&s[5..], 8).map_err(|_| bad("not an octal mode"))?);
            }
            s if s.starts_with("size=") => o.size = Some(size(&s[5..]).ok_or_else(|| bad("not a size"))?),
            s if s.starts_with("gid=") => o.gid = Some(s[4..].parse().map_err(|_| bad("not a gid"))?),
            _ => return Err(OciError::unsupported(format!("{field}.options"), format!("mount option {opt:?}"))),
        }
    }
    Ok(o)
}

/// `65536k`, `64m`, `1g` or bytes.
fn size(s: &str) -> Option<u64> {
    let (digits, shift) = match s.chars().last()? {
        'k' | 'K' => (&s[..s.len() - 1], 10),
        'm' | 'M' => (&s[..s.len() - 1], 20),
        'g' | 'G' => (&s[..s.len() - 1], 30),
        _ => (s, 0),
    };
    digits.parse::<u64>().ok()?.checked_mul(1 << shift)
}
