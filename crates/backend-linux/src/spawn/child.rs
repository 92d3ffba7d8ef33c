//! The container's first process: waits for its id maps, builds the root
//! (stage 2), then becomes the command (stage 3) or cove's init (`--init`).

use super::channel::{Channel, Message};
use super::create::CreateOptions;
use super::error::{ChildError, at};
use super::{exec, gate, hooks, netdev, pid1, rootfs};
use crate::seccomp::Filter;
use crate::sys;
use crate::sys::signal::SavedMask;
use cove_core::exit::COVE_ERROR;
use cove_core::plan::{IdMap, IdRange, Namespace, Plan};
use rustix::process::{Gid, Signal, Uid};
use std::path::{Path, PathBuf};

/// Runs in the cloned child; never returns. With `oci` (OCI `create`), the
/// container outlives the runtime and waits at its gate for `start`.
pub fn main(plan: &Plan, chan: Channel, mask: SavedMask, seccomp: Option<&Filter>, oci: Option<&CreateOptions>) -> ! {
    // 1. die with cove: a foreground container must not outlive its caller
    if oci.is_none() && rustix::process::set_parent_process_death_signal(Some(Signal::KILL)).is_err() {
        sys::clone::exit_now(COVE_ERROR);
    }
    // 2. wait until the parent has written uid_map/gid_map (end-of-stream
    //    here also covers a parent that died before step 1)
    if chan.expect_maps_written().is_err() {
        sys::clone::exit_now(COVE_ERROR);
    }
    // 3. ORDER: with limits, the parent moved us into the container's
    //    cgroups before MapsWritten; only now make the cgroup namespace, so
    //    that it is rooted there (cgroup_namespaces(7))
    if super::late_cgroup_namespace(plan)
        && let Err(e) = sys::clone::unshare_cgroup_namespace()
    {
        fail(&chan, &at("unshare", "cgroup namespace")(e));
    }
    // 4. the start gate (OCI create), bound while the host's paths are
    //    still visible
    let listener = match oci.map(|o| gate::listen_at(o.gate)).transpose() {
        Ok(l) => l,
        Err(e) => fail(&chan, &e),
    };
    // 5. build the root (namespaced sysctls are written through its /proc) and pivot into it, as root of the namespace;
    //    with --network bridge, first make the network device while the
    //    host's /dev/net/tun is still at hand, and hand it to cove
    let netdev = || if plan.bridge.as_ref().is_some_and(|b| b.helper.is_none()) { netdev::make(&chan) } else { Ok(()) };
    // A joined user namespace (OCI path) may deny setgroups: its own
    // `/proc/self/setgroups` says.
    let setgroups = plan.id_map.setgroups
        && (plan.namespaces.contains(&Namespace::User)
            || std::fs::read_to_string("/proc/self/setgroups").is_ok_and(|t| t.trim() == "allow"));
    let map = IdMap { setgroups, ..plan.id_map.clone() };
    let mut state = (String::new(), String::new());
    let attach = oci.map_or_else(|| Path::new(rootfs::ATTACH_POINT).to_owned(), |o| attach_point(o.gate));
    let hooked = oci.filter(|o| o.runtime_hooks.is_some());
    let mut before_pivot = || hooked.map_or(Ok(()), |o| container_hooks(&chan, o, &mut state));
    let built = become_namespace_root(&map)
        .and_then(|()| netdev())
        .and_then(|()| rootfs::prepare(plan, &attach, &mut before_pivot));
    if let Err(e) = built {
        fail(&chan, &e);
    }
    // 6. become the command, or its init
    if plan.init {
        pid1::run(plan, chan, mask, seccomp)
    }
    let gate = listener.zip(oci).map(|(listener, o)| gate::Gate {
        listener,
        start_container: o.start_container,
        state: &state.1,
    });
    let err = exec::exec(&plan.process, &chan, &mask, setgroups, seccomp, gate);
    fail(&chan, &err)
}

/// Where OCI `create` attaches the new root until `pivot_root`: a directory
/// beside the gate, in the state directory (made by `create`).
pub(super) fn attach_point(gate: &Path) -> PathBuf {
    gate.with_file_name("rootfs.mnt")
}

/// OCI `create`, before `pivot_root`: the runtime runs its createRuntime
/// and prestart hooks and sends the state; then the createContainer hooks
/// run here, in the container's namespaces.
fn container_hooks(chan: &Channel, o: &CreateOptions, state: &mut (String, String)) -> Result<(), ChildError> {
    chan.send(&Message::RuntimeHooks, None).map_err(at("ask the runtime for its hooks", ""))?;
    match chan.recv() {
        Ok(Some((Message::HooksRan { state: s, start_state }, _))) => *state = (s, start_state),
        _ => return Err(at("wait for the runtime's hooks", "")(std::io::ErrorKind::UnexpectedEof.into())),
    }
    // ORDER: after createRuntime and prestart (the runtime has run them).
    hooks::run_all("createContainer", o.create_container, &state.0)
}

/// When id 0 is mapped but the caller's own id is not (`--userns auto` as
/// root), switch to 0 inside, so that files created during setup get a
/// mapped owner instead of failing with EOVERFLOW. Capabilities in the
/// namespace are kept (a switch to its root keeps them).
fn become_namespace_root(map: &IdMap) -> Result<(), ChildError> {
    let maps_zero = |ranges: &[IdRange]| ranges.iter().any(|r| r.inside == 0);
    if !(maps_zero(&map.uids) && maps_zero(&map.gids)) {
        return Ok(());
    }
    let root_gid = Gid::from_raw(0);
    if map.setgroups {
        rustix::thread::set_thread_groups(&[]).map_err(|e| at("setgroups", "[]")(e.into()))?;
    }
    rustix::thread::set_thread_res_gid(root_gid, root_gid, root_gid).map_err(|e| at("setgid", "0")(e.into()))?;
    let root_uid = Uid::from_raw(0);
    rustix::thread::set_thread_res_uid(root_uid, root_uid, root_uid).map_err(|e| at("setuid", "0")(e.into()))
}

/// Reports `err` to the parent and exits with its code.
pub fn fail(chan: &Channel, err: &ChildError) -> ! {
    let _ = chan.send(&err.message(), None);
    sys::clone::exit_now(err.exit_code())
}
