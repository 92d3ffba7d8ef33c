//! Privileges inside: Docker's default capability set, --cap-add/--cap-drop,
//! no_new_privs, and the flags cove refuses.

mod common;

use common::*;

/// Docker's default set: CHOWN DAC_OVERRIDE FOWNER FSETID KILL SETGID SETUID
/// SETPCAP NET_BIND_SERVICE NET_RAW SYS_CHROOT MKNOD AUDIT_WRITE SETFCAP.
const DOCKER_DEFAULT_CAPS: u64 = 0xa80425fb;

/// `Cap*` and `NoNewPrivs` lines of /proc/self/status, as `NAME value`.
const STATUS: &str = "grep -E '^(CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs):' /proc/self/status | tr -d '\\t'";

fn status(inh: u64, set: u64, amb: u64, nnp: u8) -> String {
    format!(
        "CapInh:{inh:016x}\nCapPrm:{set:016x}\nCapEff:{set:016x}\nCapBnd:{set:016x}\nCapAmb:{amb:016x}\nNoNewPrivs:{nnp}\n"
    )
}

/// Every capability this kernel knows (the test process's bounding set as
/// root; /proc/sys/kernel/cap_last_cap otherwise).
fn all_caps() -> u64 {
    let last: u32 = std::fs::read_to_string("/proc/sys/kernel/cap_last_cap").unwrap().trim().parse().unwrap();
    (1u64 << (last + 1)) - 1
}

#[test]
fn default_capabilities_are_dockers() {
    for mode in modes() {
        for root in roots(mode) {
            sh_root(mode, &root, &[], STATUS).ok().stdout_is(&status(0, DOCKER_DEFAULT_CAPS, 0, 1));
        }
    }
}

#[test]
fn cap_add_and_cap_drop() {
    const NET_RAW: u64 = 1 << 13;
    const CHOWN: u64 = 1 << 0;
    const SYS_ADMIN: u64 = 1 << 21;
    for mode in modes() {
        sh(mode, &["--cap-drop", "ALL"], STATUS).ok().stdout_is(&status(0, 0, 0, 1));
        sh(mode, &["--cap-drop", "ALL", "--cap-add", "NET_RAW"], STATUS).ok().stdout_is(&status(0, NET_RAW, 0, 1));
        sh(mode, &["--cap-drop", "chown"], STATUS).ok().stdout_is(&status(0, DOCKER_DEFAULT_CAPS & !CHOWN, 0, 1));
        sh(mode, &["--cap-add", "CAP_SYS_ADMIN"], STATUS).ok().stdout_is(&status(
            0,
            DOCKER_DEFAULT_CAPS | SYS_ADMIN,
            0,
            1,
        ));
        sh(mode, &["--cap-add", "ALL"], STATUS).ok().stdout_is(&status(0, all_caps(), 0, 1));
        // Dropping CHOWN takes the power away, not just the bit.
        sh(
            mode,
            &["--cap-drop", "CHOWN"],
            "touch /tmp/f; chown 0:0 /tmp/f 2>/dev/null; chown 1:1 /tmp/f 2>/dev/null && echo CHOWNED; echo end",
        )
        .ok()
        .stdout_is("end\n");
    }
}

#[test]
fn no_new_privileges_option() {
    for mode in modes() {
        let want = |nnp| status(0, DOCKER_DEFAULT_CAPS, 0, nnp);
        sh(mode, &["--security-opt", "no-new-privileges"], STATUS).ok().stdout_is(&want(1));
        sh(mode, &["--security-opt", "no-new-privileges=true"], STATUS).ok().stdout_is(&want(1));
        sh(mode, &["--security-opt", "no-new-privileges=false"], STATUS).ok().stdout_is(&want(0));
    }
}

#[test]
fn refused_security_flags() {
    for mode in modes() {
        cove(mode).args(["run", "--privileged", "--", "true"]).run().cove_error("--privileged");
        cove(mode).args(["run", "--cap-add", "BOGUS", "--", "true"]).run().cove_error("BOGUS");
        cove(mode).args(["run", "--security-opt", "bogus", "--", "true"]).run().cove_error("--security-opt");
    }
}

/// The default seccomp profile is loaded (mode 2) and refuses what Docker's
/// refuses; `seccomp=unconfined` loads none.
#[test]
fn seccomp_default_and_unconfined() {
    const SHOW: &str = "grep '^Seccomp:' /proc/self/status";
    for mode in modes() {
        sh(mode, &[], SHOW).ok().stdout_is("Seccomp:\t2\n");
        sh(mode, &["--security-opt", "seccomp=unconfined"], SHOW).ok().stdout_is("Seccomp:\t0\n");
        // A new user namespace: refused by the filter, allowed without it.
        sh(mode, &[], "unshare -U true").code(1);
        sh(mode, &["--security-opt", "seccomp=unconfined"], "unshare -U true").ok();
    }
}

/// `--userns auto` as root: root inside is root's subordinate range outside,
/// so a root-owned host file in a volume is no longer writable.
#[test]
fn userns_auto_maps_root_onto_a_range() {
    if !modes().contains(&Mode::Root) {
        return skip("userns-auto", "needs the tests to run as root");
    }
    let Some(start) = std::fs::read_to_string("/etc/subuid")
        .ok()
        .and_then(|t| t.lines().find_map(|l| l.strip_prefix("root:").map(|r| r.split(':').next().unwrap().to_owned())))
    else {
        return skip("userns-auto", "root has no /etc/subuid range (scripts/test-all adds one)");
    };
    let dir = TestDir::new(Mode::Root, "userns-auto");
    std::fs::write(dir.join("f"), "host\n").unwrap();
    let vol = format!("{}:/v", dir.path().display());
    let out = sh(Mode::Root, &["--userns", "auto"], "cat /proc/self/uid_map");
    let map = out.ok().stdout();
    let fields: Vec<&str> = map.split_whitespace().collect();
    assert_eq!(fields, ["0", start.as_str(), "65536"], "uid_map with --userns auto");
    sh(Mode::Root, &["--userns", "auto", "-v", &vol], "echo x >> /v/f").code(2);
    sh(Mode::Root, &["-v", &vol], "echo x >> /v/f").ok();
    assert_eq!(std::fs::read_to_string(dir.join("f")).unwrap(), "host\nx\n");
    sh(Mode::Root, &["--userns", "bogus"], "true").code(125);
}
