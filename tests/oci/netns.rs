//! A named network namespace for tests/oci_conformance.rs, made with
//! iproute2 under a deadline and removed on drop.

use crate::common::*;

/// A named network namespace (`ip netns add`) with one end of a veth pair
/// in it; both go on drop.
pub struct NetNs {
    name: String,
    host_end: String,
}

impl NetNs {
    pub fn new() -> Option<NetNs> {
        let ip =
            |args: &[&str]| std::process::Command::new("timeout").args(["-k", "2", "10", "ip"]).args(args).status();
        let tag = unique("n");
        let tag = &tag[tag.len().saturating_sub(6)..];
        let ns = NetNs { name: format!("cove-{tag}"), host_end: format!("cvh{tag}") };
        if !ip(&["netns", "add", &ns.name]).is_ok_and(|s| s.success()) {
            skip("oci: netns by path", "`ip netns add` failed (iproute2 missing?)");
            return None;
        }
        let peer = format!("cvc{tag}");
        let made = ip(&["link", "add", &ns.host_end, "type", "veth", "peer", "name", &peer, "netns", &ns.name]);
        assert!(made.is_ok_and(|s| s.success()), "ip link add veth");
        Some(ns)
    }

    pub fn path(&self) -> String {
        format!("/run/netns/{}", self.name)
    }

    pub fn peer(&self) -> String {
        self.host_end.replacen("cvh", "cvc", 1)
    }
}

impl Drop for NetNs {
    fn drop(&mut self) {
        let ip =
            |args: &[&str]| std::process::Command::new("timeout").args(["-k", "2", "10", "ip"]).args(args).status();
        let _ = ip(&["link", "del", &self.host_end]);
        let _ = ip(&["netns", "del", &self.name]);
    }
}
