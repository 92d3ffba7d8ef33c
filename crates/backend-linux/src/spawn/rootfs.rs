//! Stage 2, inside the new namespaces: build the container's root from the
//! plan and switch to it. Runs as the container's first process, with full
//! capabilities in its own user namespace.

use super::error::{ChildError, at};
use super::mounts::{attach, attach_at, bind, fresh};
use super::sources::{self, Sources};
use super::steps;
use crate::sys;
use cove_core::plan::{MountFlags, Namespace, Plan, RootPropagation, RootStep};
use rustix::fs::{FileType, Mode, OFlags, fstat, mkdirat};
use rustix::mount::{MountPropagationFlags, UnmountFlags, mount_change, unmount};
use std::os::fd::{AsRawFd, OwnedFd};
use std::path::Path;

/// Where the new root is attached in the old tree until `pivot_root` (OCI
/// `create` uses a directory of its own, so that createContainer hooks see
/// the runtime's `/tmp`).
pub const ATTACH_POINT: &str = "/tmp";

/// Builds the root, attached at `attach`, runs `before_pivot` and pivots
/// into it.
pub fn prepare(
    plan: &Plan,
    attach: &Path,
    before_pivot: &mut dyn FnMut() -> Result<(), ChildError>,
) -> Result<(), ChildError> {
    // Setup creates files with the plan's exact modes; stage 3 sets the
    // command's own umask.
    rustix::process::umask(Mode::empty());
    // Only in the container's own UTS namespace, or one it joined (an OCI
    // config may have none).
    let joined_uts = plan.join_namespaces.iter().any(|j| j.kind == Namespace::Uts);
    if plan.namespaces.contains(&Namespace::Uts) || joined_uts {
        if !plan.hostname.is_empty() {
            rustix::system::sethostname(plan.hostname.as_bytes())
                .map_err(|e| at("sethostname", &plan.hostname)(e.into()))?;
        }
        if let Some(domain) = &plan.domainname {
            rustix::system::setdomainname(domain.as_bytes()).map_err(|e| at("setdomainname", domain)(e.into()))?;
        }
    }
    // ORDER: every later mount must stay in this namespace; make the copied
    // tree a propagation slave first (mount_namespaces(7)).
    mount_change("/", MountPropagationFlags::DOWNSTREAM | MountPropagationFlags::REC)
        .map_err(|e| at("make mounts slave", "/")(e.into()))?;
    // ORDER: host sources are opened before the new root is attached, so no
    // host path is ever looked up through (or shadowed by) the new root.
    let Sources { root: root_dir, lowers, steps: step_sources, null } = sources::open_all(plan)?;
    let root = make_root(plan, root_dir.as_ref(), &lowers, attach)?;
    for (step, source) in plan.mounts.iter().zip(step_sources) {
        steps::apply(&root, step, source, &plan.mount_sources)?;
    }
    // ORDER: sysctls are written through the container's own /proc, which
    // exists only after the mount steps, and before /proc/sys is read-only.
    write_sysctls(&root, plan)?;
    mask_paths(&root, plan, &null)?;
    readonly_paths(&root, plan)?;
    if plan.read_only_root {
        sys::mount::set_attrs(&root, sys::mount::ATTR_RDONLY, false).map_err(at("remount read-only", "/"))?;
    }
    if plan.loopback_up {
        sys::net::loopback_up().map_err(at("bring up loopback", "lo"))?;
    }
    // ORDER: OCI createContainer hooks (and, before them, the runtime's
    // createRuntime and prestart) run here: in the container's namespaces
    // with its mounts made, before pivot_root, paths resolved in the tree
    // the runtime sees.
    before_pivot()?;
    pivot(root, attach)?;
    // ORDER: after pivot_root, which refuses a shared new root.
    if let Some(p) = plan.root_propagation {
        let flag = match p {
            RootPropagation::Private => MountPropagationFlags::PRIVATE,
            RootPropagation::Slave => MountPropagationFlags::DOWNSTREAM,
            RootPropagation::Shared => MountPropagationFlags::SHARED,
            RootPropagation::Unbindable => MountPropagationFlags::UNBINDABLE,
        };
        mount_change("/", flag | MountPropagationFlags::REC).map_err(|e| at("set root propagation", "/")(e.into()))?;
    }
    Ok(())
}

/// Creates the root mount, attaches it at [`ATTACH_POINT`] and returns a
/// descriptor of its top directory.
fn make_root(plan: &Plan, dir: Option<&OwnedFd>, lowers: &[OwnedFd], attach: &Path) -> Result<OwnedFd, ChildError> {
    let shown = attach.display().to_string();
    let (mount, scratch) = match (&plan.root, dir) {
        (RootStep::Tmpfs, _) => (
            fresh("tmpfs", &[("mode", "0755".into())], &[], MountFlags::default())
                .map_err(at("mount tmpfs root", "/"))?,
            None,
        ),
        (RootStep::Overlay { lower }, Some(dir)) => overlay(std::slice::from_ref(dir))
            .map(|(o, s)| (o, Some(s)))
            .map_err(at("mount overlay root", lower.display().to_string()))?,
        (RootStep::Layers { lowers: paths }, _) => {
            let top = paths.first().map(|p| p.display().to_string()).unwrap_or_default();
            overlay(lowers).map(|(o, s)| (o, Some(s))).map_err(at("mount overlay of image layers", top))?
        }
        (RootStep::Bind { source }, Some(dir)) => {
            // nodev: device nodes in a root directory (an archive unpacked by
            // root) must not open (an overlay or tmpfs root made in the user
            // namespace is nodev by itself)
            let nodev = MountFlags { nodev: true, ..MountFlags::default() };
            (bind(dir, nodev).map_err(at("bind rootfs", source.display().to_string()))?, None)
        }
        _ => unreachable!("sources::open_all opens a root for directory roots"),
    };
    // The overlay's scratch tmpfs is attached under the root, in the old
    // tree, rather than closed detached: closing a detached mount unmounts
    // it on its own, one RCU grace period of its own (milliseconds on a
    // busy host), while attached it goes with the old root's single detach
    // after pivot_root. The overlay holds its own reference to the upper
    // directory either way.
    if let Some(scratch) = scratch {
        attach_at(&scratch, attach).map_err(at("attach overlay scratch", &shown))?;
    }
    attach_at(&mount, attach).map_err(at("attach new root", &shown))?;
    rustix::fs::open(attach, OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC, Mode::empty())
        .map_err(|e| at("open new root", &shown)(e.into()))
}

/// An overlay over `lowers` (topmost first) whose upper layer lives in a
/// private tmpfs that disappears with the container, returned second (still
/// detached). Each lower is given with its own `lowerdir+` (Linux 6.8+, no
/// length limit); older kernels get one colon-separated `lowerdir` string.
fn overlay(lowers: &[OwnedFd]) -> std::io::Result<(OwnedFd, OwnedFd)> {
    let scratch = fresh("tmpfs", &[("mode", "0755".into())], &[], MountFlags::default())?;
    mkdirat(&scratch, "upper", Mode::from_raw_mode(0o755))?;
    mkdirat(&scratch, "work", Mode::from_raw_mode(0o755))?;
    let fd = |f: &OwnedFd| format!("/proc/self/fd/{}", f.as_raw_fd());
    let upper = [("upperdir", format!("{}/upper", fd(&scratch))), ("workdir", format!("{}/work", fd(&scratch)))];
    let each: Vec<(&str, String)> = lowers.iter().map(|l| ("lowerdir+", fd(l))).chain(upper.clone()).collect();
    // userxattr: overlay metadata in user.* xattrs, as required inside a user
    // namespace (opaque directories are `user.overlay.opaque`).
    let mount = match fresh("overlay", &each, &["userxattr"], MountFlags::default()) {
        Err(e) if e.raw_os_error() == Some(libc::EINVAL) => {
            let joined = lowers.iter().map(fd).collect::<Vec<_>>().join(":");
            let options: Vec<(&str, String)> = std::iter::once(("lowerdir", joined)).chain(upper).collect();
            fresh("overlay", &options, &["userxattr"], MountFlags::default())
        }
        other => other,
    }?;
    Ok((mount, scratch))
}

/// Hides paths: the null device over files, an empty read-only tmpfs over
/// directories. Paths the kernel does not have are skipped.
fn mask_paths(root: &OwnedFd, plan: &Plan, null: &OwnedFd) -> Result<(), ChildError> {
    for path in &plan.masked_paths {
        let Some(target) = existing(root, path)? else { continue };
        let is_dir = fstat(&target).map(|st| FileType::from_raw_mode(st.st_mode) == FileType::Directory);
        let cover = match is_dir.map_err(|e| at("stat masked path", path)(e.into()))? {
            true => {
                fresh("tmpfs", &[("size", "0".into())], &[], MountFlags { read_only: true, ..MountFlags::default() })
            }
            false => bind(null, MountFlags { read_only: true, ..MountFlags::default() }),
        };
        attach(cover.map_err(at("mask path", path))?, &target).map_err(at("mask path", path))?;
    }
    Ok(())
}

/// Writes `--sysctl` values into the container's `/proc/sys` (only keys of
/// namespaces the container owns reach the plan).
fn write_sysctls(root: &OwnedFd, plan: &Plan) -> Result<(), ChildError> {
    for (key, value) in &plan.sysctls {
        let path = format!("/proc/sys/{}", key.replace('.', "/"));
        let fd = super::inroot::open_with(root, &path, OFlags::WRONLY).map_err(at("open sysctl", &path))?;
        rustix::io::write(&fd, value.as_bytes()).map_err(|e| at("write sysctl", &path)(e.into()))?;
    }
    Ok(())
}

/// Binds paths onto themselves read-only.
fn readonly_paths(root: &OwnedFd, plan: &Plan) -> Result<(), ChildError> {
    let ro = MountFlags { read_only: true, nosuid: true, nodev: true, noexec: true };
    for path in &plan.readonly_paths {
        let Some(target) = existing(root, path)? else { continue };
        let tree = bind(&target, ro).map_err(at("make read-only", path))?;
        attach(tree, &target).map_err(at("make read-only", path))?;
    }
    Ok(())
}

fn existing(root: &OwnedFd, path: &str) -> Result<Option<OwnedFd>, ChildError> {
    match super::inroot::open(root, path) {
        Ok(fd) => Ok(Some(fd)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(at("open", path)(e)),
    }
}

/// Makes `root` the root of this mount namespace and detaches the old one.
fn pivot(root: OwnedFd, attach: &Path) -> Result<(), ChildError> {
    let shown = attach.display().to_string();
    rustix::process::fchdir(&root).map_err(|e| at("chdir to new root", &shown)(e.into()))?;
    drop(root);
    // pivot_root(".", ".") stacks the old root on top of the new one; the
    // detach below then removes it (pivot_root(2), "NOTES").
    rustix::process::pivot_root(".", ".").map_err(|e| at("pivot_root", &shown)(e.into()))?;
    unmount(".", UnmountFlags::DETACH).map_err(|e| at("detach old root", "/")(e.into()))?;
    rustix::process::chdir("/").map_err(|e| at("chdir", "/")(e.into()))
}
