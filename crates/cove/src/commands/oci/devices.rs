//! `linux.devices`: cove cannot create device nodes (a user namespace may
//! not), so each device the config asks for is bound from a host node of
//! the same type and number: the same path first, else one found under
//! `/dev` (engines pass `--device HOST:CONTAINER` as the container path
//! with the host node's numbers).

use anyhow::bail;
use cove_core::oci::Device;
use cove_core::plan::{MountFlags, MountStep};
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};

/// A bind step per device, or an error naming the first without a host node.
pub fn bind_steps(devices: &[Device]) -> anyhow::Result<Vec<MountStep>> {
    let mut steps = Vec::new();
    for d in devices {
        let Some(source) = host_node(d) else {
            let kind = if d.block { 'b' } else { 'c' };
            bail!(
                "config.json: linux.devices: no host device {kind} {}:{} to bind onto {} (cove binds host nodes; it \
                 cannot create them)",
                d.major,
                d.minor,
                d.path
            );
        };
        // A device step, not a bind: binds are always nodev.
        let name = d.path.trim_start_matches("/dev/").to_owned();
        steps.push(MountStep::Device { name, source: Some(source), flags: MountFlags::default() });
    }
    Ok(steps)
}

/// The host node for `d`: its own path, else the first match under `/dev`
/// (two levels deep).
fn host_node(d: &Device) -> Option<PathBuf> {
    let same = Path::new(&d.path);
    if matches(same, d) {
        return Some(same.to_owned());
    }
    let mut dirs = vec![PathBuf::from("/dev")];
    for _depth in 0..2 {
        let mut next = Vec::new();
        for dir in dirs {
            for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
                let path = entry.path();
                if matches(&path, d) {
                    return Some(path);
                }
                if entry.file_type().is_ok_and(|t| t.is_dir()) {
                    next.push(path);
                }
            }
        }
        dirs = next;
    }
    None
}

/// Whether `path` (not followed if a link) is a device node of `d`'s type and numbers.
fn matches(path: &Path, d: &Device) -> bool {
    let Ok(meta) = std::fs::symlink_metadata(path) else { return false };
    let kind = meta.file_type();
    let right_kind = if d.block { kind.is_block_device() } else { kind.is_char_device() };
    let rdev = meta.rdev();
    right_kind && i64::from(rustix::fs::major(rdev)) == d.major && i64::from(rustix::fs::minor(rdev)) == d.minor
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dev_null_is_found_by_number_under_another_name() {
        let d = Device { path: "/dev/my-null".into(), block: false, major: 1, minor: 3 };
        let steps = bind_steps(std::slice::from_ref(&d)).unwrap();
        assert!(
            matches!(&steps[0], MountStep::Device { name, source: Some(source), .. } if source == Path::new("/dev/null") && name == "my-null")
        );
        let none = Device { path: "/dev/none".into(), block: true, major: 4095, minor: 4095 };
        assert!(bind_steps(&[none]).unwrap_err().to_string().contains("b 4095:4095"));
    }
}
