//! cove's default profile: the same decisions as Docker's default (moby's
//! `profiles/seccomp`, as of Docker 28), kept as one table per group.
//!
//! Everything not listed fails with EPERM. Among what that denies:
//! `keyctl`, `add_key`, `request_key` (the keyring is not namespaced),
//! `kexec_load`, `kexec_file_load`, `userfaultfd`, `io_uring_*` (its
//! operations bypass seccomp), `swapon`/`swapoff`, `pivot_root`, `uselib`,
//! `ustat`, `sysfs`, `_sysctl`, `nfsservctl`, `vm86`; and, unless the
//! container holds the capability that gates them (see [`WITH_CAPABILITY`]),
//! `mount`, `unshare`, `setns`, `bpf`, `perf_event_open`, `init_module`,
//! `open_by_handle_at`, `reboot`, `settimeofday`, …
//!
//! Names of every architecture are listed (`chown32`, `_llseek`,
//! `clock_gettime64`, …); the compiler skips those the host lacks.

use super::{Action, Arch, CmpOp, Condition, KernelVersion, Profile, Rule, Selector};

/// Paths, descriptors and file contents.
const FILES: &str = "
    access chdir chmod chown chown32 close close_range copy_file_range creat dup dup2 dup3 faccessat
    faccessat2 fadvise64 fadvise64_64 fallocate fchdir fchmod fchmodat fchmodat2 fchown fchown32
    fchownat fcntl fcntl64 fdatasync flock fstat fstat64 fstatat64 fstatfs fstatfs64 fsync ftruncate
    ftruncate64 futimesat getcwd getdents getdents64 ioctl lchown lchown32 link linkat _llseek lseek
    lstat lstat64 mkdir mkdirat mknod mknodat name_to_handle_at newfstatat open openat openat2 pipe
    pipe2 pread64 preadv preadv2 pwrite64 pwritev pwritev2 read readahead readlink readlinkat readv
    rename renameat renameat2 rmdir sendfile sendfile64 splice stat stat64 statfs statfs64 statx symlink
    symlinkat sync sync_file_range syncfs tee truncate truncate64 umask unlink unlinkat utime utimensat
    utimensat_time64 utimes vmsplice write writev cachestat statmount listmount
";

/// Extended attributes.
const XATTRS: &str = "
    fgetxattr flistxattr fremovexattr fsetxattr getxattr lgetxattr listxattr llistxattr lremovexattr
    lsetxattr removexattr setxattr getxattrat listxattrat removexattrat setxattrat
";

/// Waiting for events: poll, epoll, inotify, timers and signals as fds, POSIX AIO.
const EVENTS: &str = "
    epoll_create epoll_create1 epoll_ctl epoll_ctl_old epoll_pwait epoll_pwait2 epoll_wait
    epoll_wait_old eventfd eventfd2 fanotify_mark inotify_add_watch inotify_init inotify_init1
    inotify_rm_watch pause poll ppoll ppoll_time64 pselect6 pselect6_time64 select _newselect signalfd
    signalfd4 timerfd_create timerfd_gettime timerfd_gettime64 timerfd_settime timerfd_settime64
    io_cancel io_destroy io_getevents io_pgetevents io_pgetevents_time64 io_setup io_submit
";

/// The process's own memory.
const MEMORY: &str = "
    brk madvise map_shadow_stack membarrier memfd_create memfd_secret mincore mlock mlock2 mlockall mmap
    mmap2 mprotect mremap mseal msync munlock munlockall munmap pkey_alloc pkey_free pkey_mprotect
    remap_file_pages
";

/// Processes, threads, limits and scheduling.
const PROCESSES: &str = "
    capget capset execve execveat exit exit_group fork vfork futex futex_time64 futex_waitv futex_wake
    futex_wait futex_requeue getcpu getpgid getpgrp getpid getppid getpriority getrandom getrlimit
    get_robust_list getrusage getsid get_thread_area gettid ioprio_get ioprio_set kill landlock_add_rule
    landlock_create_ruleset landlock_restrict_self pidfd_open pidfd_send_signal prctl prlimit64
    process_mrelease restart_syscall rseq sched_getaffinity sched_getattr sched_getparam
    sched_get_priority_max sched_get_priority_min sched_getscheduler sched_rr_get_interval
    sched_rr_get_interval_time64 sched_setaffinity sched_setattr sched_setparam sched_setscheduler
    sched_yield seccomp setpgid setpriority setrlimit set_robust_list setsid set_thread_area
    set_tid_address sysinfo tgkill tkill ugetrlimit uname uretprobe wait4 waitid waitpid
";

/// Signal handling.
const SIGNALS: &str = "
    rt_sigaction rt_sigpending rt_sigprocmask rt_sigqueueinfo rt_sigreturn rt_sigsuspend rt_sigtimedwait
    rt_sigtimedwait_time64 rt_tgsigqueueinfo sigaltstack sigprocmask sigreturn
";

/// Reading clocks and sleeping (`adjtimex` and `clock_adjtime` only read
/// without `CAP_SYS_TIME`).
const TIME: &str = "
    adjtimex alarm clock_adjtime clock_adjtime64 clock_getres clock_getres_time64 clock_gettime
    clock_gettime64 clock_nanosleep clock_nanosleep_time64 getitimer gettimeofday nanosleep setitimer
    time timer_create timer_delete timer_getoverrun timer_gettime timer_gettime64 timer_settime
    timer_settime64 times
";

/// User and group ids (the kernel checks `CAP_SETUID`/`CAP_SETGID`).
const IDENTITY: &str = "
    getegid getegid32 geteuid geteuid32 getgid getgid32 getgroups getgroups32 getresgid getresgid32
    getresuid getresuid32 getuid getuid32 setfsgid setfsgid32 setfsuid setfsuid32 setgid setgid32
    setgroups setgroups32 setregid setregid32 setresgid setresgid32 setresuid setresuid32 setreuid
    setreuid32 setuid setuid32
";

/// Sockets (`socket` itself is in [`conditional`]).
const NETWORK: &str = "
    accept accept4 bind connect getpeername getsockname getsockopt listen recv recvfrom recvmmsg
    recvmmsg_time64 recvmsg send sendmmsg sendmsg sendto setsockopt shutdown socketcall socketpair
";

/// System V and POSIX IPC (namespaced).
const IPC: &str = "
    ipc mq_getsetattr mq_notify mq_open mq_timedreceive mq_timedreceive_time64 mq_timedsend
    mq_timedsend_time64 mq_unlink msgctl msgget msgrcv msgsnd semctl semget semop semtimedop
    semtimedop_time64 shmat shmctl shmdt shmget
";

/// Every group allowed for everyone.
pub(super) const ALWAYS: &[&str] = &[FILES, XATTRS, EVENTS, MEMORY, PROCESSES, SIGNALS, TIME, IDENTITY, NETWORK, IPC];

/// Tracing a process that is not a child, and reading another's memory:
/// Docker allows them from kernel 4.8, where a tracer can no longer use
/// them to skip a seccomp filter.
const TRACING: &str = "process_vm_readv process_vm_writev ptrace";

/// Syscalls allowed only when the container holds a capability.
pub(super) const WITH_CAPABILITY: &[(&str, &str)] = &[
    ("CAP_DAC_READ_SEARCH", "open_by_handle_at"),
    (
        "CAP_SYS_ADMIN",
        "bpf clone clone3 fanotify_init fsconfig fsmount fsopen fspick lookup_dcookie lsm_get_self_attr
         lsm_list_modules lsm_set_self_attr mount mount_setattr move_mount open_tree open_tree_attr
         perf_event_open quotactl quotactl_fd setdomainname sethostname setns syslog umount umount2 unshare",
    ),
    ("CAP_SYS_BOOT", "reboot"),
    ("CAP_SYS_CHROOT", "chroot"),
    ("CAP_SYS_MODULE", "delete_module init_module finit_module"),
    ("CAP_SYS_PACCT", "acct"),
    ("CAP_SYS_PTRACE", "kcmp pidfd_getfd process_madvise process_vm_readv process_vm_writev ptrace"),
    ("CAP_SYS_RAWIO", "iopl ioperm"),
    ("CAP_SYS_TIME", "settimeofday stime clock_settime clock_settime64"),
    ("CAP_SYS_TTY_CONFIG", "vhangup"),
    ("CAP_SYS_NICE", "get_mempolicy mbind set_mempolicy set_mempolicy_home_node"),
    ("CAP_SYSLOG", "syslog"),
    ("CAP_BPF", "bpf"),
    ("CAP_PERFMON", "perf_event_open"),
];

/// Syscalls that exist on some architectures only.
const ARCH_SPECIFIC: &[(&[Arch], &str)] = &[
    (&[Arch::X86_64, Arch::X32], "arch_prctl"),
    (&[Arch::X86_64, Arch::X32, Arch::X86], "modify_ldt"),
    (
        &[Arch::Arm, Arch::Aarch64],
        "arm_fadvise64_64 arm_sync_file_range sync_file_range2 breakpoint cacheflush set_tls",
    ),
    (&[Arch::Ppc64Le], "sync_file_range2 swapcontext"),
    (&[Arch::S390, Arch::S390X], "s390_pci_mmio_read s390_pci_mmio_write s390_runtime_instr"),
    (&[Arch::Riscv64], "riscv_flush_icache riscv_hwprobe"),
];

/// `personality(2)` values a container may set: `PER_LINUX`, `PER_LINUX32`,
/// each with `UNAME26`, and `0xffffffff`, which only queries.
pub(super) const PERSONALITIES: &[u64] = &[0x0, 0x8, 0x20000, 0x20008, 0xffff_ffff];

/// `AF_VSOCK`: talking to the hypervisor's host is not the container's business.
const AF_VSOCK: u64 = 40;

/// The `clone` flags that create namespaces (`CLONE_NEWNS`,
/// `CLONE_NEWCGROUP`, `CLONE_NEWUTS`, `CLONE_NEWIPC`, `CLONE_NEWUSER`,
/// `CLONE_NEWPID`, `CLONE_NEWNET`), which need `CAP_SYS_ADMIN`.
pub(super) const NAMESPACE_FLAGS: u64 =
    0x0002_0000 | 0x0200_0000 | 0x0400_0000 | 0x0800_0000 | 0x1000_0000 | 0x2000_0000 | 0x4000_0000;

/// `ENOSYS`, so that libc falls back from `clone3` to `clone`, whose flags
/// a filter can see (`clone3` passes them in memory).
const ENOSYS: u16 = 38;

/// cove's default profile: Docker's, decision for decision.
pub fn default_profile() -> Profile {
    let mut rules = vec![allow(ALWAYS.iter().flat_map(|g| words(g)))];
    rules.push(Rule { includes: min_kernel(4, 8), ..allow(words(TRACING)) });
    rules.extend(ARCH_SPECIFIC.iter().map(|(arches, names)| Rule { includes: on(arches), ..allow(words(names)) }));
    rules.extend(conditional());
    for (cap, names) in WITH_CAPABILITY {
        rules.push(Rule { includes: with_cap(cap), ..allow(words(names)) });
    }
    Profile { default_action: Action::Errno(1), architectures: Vec::new(), flags: Vec::new(), rules }
}

/// The names in a table.
pub(super) fn words(table: &str) -> impl Iterator<Item = &str> {
    table.split_ascii_whitespace()
}

/// The rules that look at arguments, and `clone3`.
fn conditional() -> Vec<Rule> {
    let arg0 = |op, value, value_two| vec![Condition { index: 0, op, value, value_two }];
    let mut rules: Vec<Rule> =
        PERSONALITIES.iter().map(|v| Rule { args: arg0(CmpOp::Eq, *v, 0), ..allow(["personality"]) }).collect();
    rules.push(Rule { args: arg0(CmpOp::Ne, AF_VSOCK, 0), ..allow(["socket"]) });
    // Without CAP_SYS_ADMIN, clone may not create namespaces (s390 passes the flags second).
    let s390 = [Arch::S390, Arch::S390X];
    let excluded = Selector { arches: s390.to_vec(), ..with_cap("CAP_SYS_ADMIN") };
    rules.push(Rule { args: arg0(CmpOp::MaskedEq, NAMESPACE_FLAGS, 0), excludes: excluded, ..allow(["clone"]) });
    let mut s390_clone = allow(["clone"]);
    s390_clone.args = vec![Condition { index: 1, op: CmpOp::MaskedEq, value: NAMESPACE_FLAGS, value_two: 0 }];
    s390_clone.includes = on(&s390);
    s390_clone.excludes = with_cap("CAP_SYS_ADMIN");
    rules.push(s390_clone);
    rules.push(Rule { action: Action::Errno(ENOSYS), excludes: with_cap("CAP_SYS_ADMIN"), ..allow(["clone3"]) });
    rules
}

fn allow<S: AsRef<str>>(names: impl IntoIterator<Item = S>) -> Rule {
    Rule {
        names: names.into_iter().map(|n| n.as_ref().to_owned()).collect(),
        action: Action::Allow,
        args: Vec::new(),
        includes: Selector::default(),
        excludes: Selector::default(),
    }
}

fn with_cap(cap: &str) -> Selector {
    Selector { caps: vec![cap.to_owned()], ..Selector::default() }
}

fn on(arches: &[Arch]) -> Selector {
    Selector { arches: arches.to_vec(), ..Selector::default() }
}

fn min_kernel(major: u32, minor: u32) -> Selector {
    Selector { min_kernel: Some(KernelVersion { major, minor, patch: 0 }), ..Selector::default() }
}
