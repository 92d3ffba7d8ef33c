//! The only place with `unsafe`: thin wrappers over what rustix lacks
//! (fork-style `clone`, signal masks and signalfd, `mount_setattr`,
//! `execve`, `_exit`, interface flags, the TUN device, seccomp filters). Every block says why it is sound.

pub mod clone;
pub mod exec;
pub mod mm;
pub mod mount;
pub mod net;
pub mod probe;
pub mod seccomp;
pub mod signal;
pub mod tun;
