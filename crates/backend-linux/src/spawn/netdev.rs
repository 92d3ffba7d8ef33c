//! Stage 2, `--network bridge` only: the container's network device, made
//! inside its network namespace and passed to cove, whose user-mode stack
//! (`crate::net`) is the other end.

use super::channel::{Channel, Message};
use super::error::{ChildError, at};
use crate::sys::tun;
use cove_core::net::{CONTAINER, DEVICE, GATEWAY, MTU, PREFIX};
use std::os::fd::AsFd;

/// Creates `eth0` (TUN), gives it the container's address, MTU and default
/// route, and sends its descriptor to cove.
pub fn make(chan: &Channel) -> Result<(), ChildError> {
    // ORDER: opened here, in the new network namespace: the device is made
    // in the namespace of whoever opened the clone device (tuntap docs).
    let dev = tun::open_clone_device().map_err(at("open", tun::CLONE_DEVICE))?;
    tun::attach(&dev, DEVICE).map_err(at("create TUN device", DEVICE))?;
    // Persistent, so that cove closing its descriptor after the run does
    // not unregister the device itself: unregistering waits for RCU
    // grace periods and an `rcu_barrier` (about 15 ms here) in cove's
    // `close`. The device is in this network namespace and is removed with
    // it, by the kernel's own namespace cleanup, which is asynchronous for
    // every container anyway; nothing of it is ever on the host.
    tun::persist(&dev).map_err(at("make TUN device persistent", DEVICE))?;
    tun::configure(DEVICE, CONTAINER, PREFIX, MTU, GATEWAY).map_err(at("configure network device", DEVICE))?;
    chan.send(&Message::NetDevice, Some(dev.as_fd())).map_err(at("send network device to cove", DEVICE))
}
