//! `cove test`, black-box: by default every check passes; and every check
//! fails once its protection is off — through the security flags where a
//! flag can turn it off, and through the hidden `--weaken` (which hands each
//! check a deliberate way out: its probe runs on the host, or its target is
//! made reachable) where the protection is structural (namespaces, the
//! fresh root, openat2, close-on-exec) and no flag can.
//!
//! Checks that depend on the default seccomp profile (`unshare-userns`,
//! `keyring`, and the `--cap-add` cases below, where seccomp still denies
//! what the capability does not cover) fail until cove loads it.

mod common;

use common::*;
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

/// One check's row: (result, evidence).
type Rows = BTreeMap<String, (String, String)>;

/// `cove test FLAGS --format json`, parsed; asserts the JSON shape, the
/// counts and the `N passed, N failed` line on stderr.
fn selftest(mode: Mode, flags: &[&str]) -> (Out, Rows) {
    let out = cove(mode).arg("test").args(flags).args(["--format", "json"]).timeout(Duration::from_secs(180)).run();
    let json: serde_json::Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| out.fail(&format!("JSON on stdout ({e})")));
    let mut rows = Rows::new();
    for c in json["checks"].as_array().unwrap_or_else(|| out.fail("a \"checks\" array")) {
        let field =
            |k: &str| c[k].as_str().unwrap_or_else(|| out.fail(&format!("a string {k:?} in every check"))).to_owned();
        assert!(
            !field("proves").is_empty(),
            "{}: check {} says nothing about what it proves",
            out.desc,
            field("check")
        );
        rows.insert(field("check"), (field("result"), field("evidence")));
    }
    let count = |k: &str| json[k].as_u64().unwrap_or_else(|| out.fail(&format!("a number {k:?}"))) as usize;
    let (passed, failed, skipped) = (count("passed"), count("failed"), count("skipped"));
    let by = |r: &str| rows.values().filter(|(v, _)| v == r).count();
    assert_eq!((passed, failed, skipped), (by("pass"), by("fail"), by("skip")), "{}: counts", out.desc);
    let mut line = format!("{passed} passed, {failed} failed");
    if skipped > 0 {
        line.push_str(&format!(", {skipped} skipped"));
    }
    if out.stderr().lines().last() != Some(line.as_str()) {
        out.fail(&format!("stderr ending with {line:?}"));
    }
    match (failed, out.code) {
        (0, Some(0)) | (1.., Some(1)) => {}
        _ => out.fail(&format!("exit {} ({failed} failed)", if failed == 0 { 0 } else { 1 })),
    }
    (out, rows)
}

/// Asserts that each of `checks` came out as `want`.
#[track_caller]
fn expect(out: &Out, rows: &Rows, checks: &[&str], want: &[&str]) {
    for check in checks {
        match rows.get(*check) {
            Some((got, _)) if want.contains(&got.as_str()) => {}
            Some((got, evidence)) => out.fail(&format!("check {check}: {} (got {got}: {evidence})", want.join(" or "))),
            None => out.fail(&format!("a row for check {check}")),
        }
    }
}

/// A check that was skipped is reported (not a silent pass), with its reason.
fn note_skips(out: &Out, rows: &Rows) {
    for (check, (result, evidence)) in rows {
        if result == "skip" {
            eprintln!("note: {}: check {check} skipped on this host: {evidence}", out.desc);
        }
    }
}

#[test]
fn every_check_passes_by_default() {
    for mode in modes() {
        let (out, rows) = selftest(mode, &[]);
        note_skips(&out, &rows);
        let failed: Vec<String> =
            rows.iter().filter(|(_, (r, _))| r == "fail").map(|(c, (_, e))| format!("{c}: {e}")).collect();
        if !failed.is_empty() {
            out.fail(&format!("no failed check; failed:\n    {}", failed.join("\n    ")));
        }
        assert!(rows.len() >= 20, "{}: only {} checks", out.desc, rows.len());
    }
}

#[test]
fn table_ends_with_the_counts() {
    for mode in modes() {
        let out = cove(mode).args(["test", "fs", "fds"]).timeout(Duration::from_secs(120)).run();
        out.ok();
        let lines = out.lines();
        assert_eq!(
            lines.first().map(String::as_str).map(str::split_whitespace).map(Iterator::collect::<Vec<_>>),
            Some(vec!["CHECK", "CATEGORY", "RESULT", "EVIDENCE"]),
            "{}: header",
            out.desc
        );
        assert_eq!(lines.len(), 1 + 4 + 1, "{}: header, 4 rows, counts:\n{}", out.desc, out.stdout());
        assert_eq!(lines.last().map(String::as_str), Some("4 passed, 0 failed"), "{}", out.desc);
    }
}

/// (flags, checks that must fail, checks that must still pass or skip).
/// A flag turns off a capability or seccomp; everything else must hold.
const FLAG_CASES: &[(&[&str], &[&str], &[&str])] = &[
    (
        &["--cap-add", "SYS_ADMIN", "--security-opt", "seccomp=unconfined"],
        &["mount", "unshare-userns", "unshare-ns", "keyring"],
        &["ptrace-init", "raw-socket", "runtime-exe", "setuid-root", "proc-sys", "sysfs", "host-pids", "inherited-fds"],
    ),
    // seccomp alone: capabilities still stop mount and the other namespaces.
    (
        &["--security-opt", "seccomp=unconfined"],
        &["unshare-userns", "keyring"],
        &["mount", "unshare-ns", "ptrace-init"],
    ),
    // SYS_ADMIN alone: the default profile then allows mount and unshare
    // (as Docker's does), but never the keyring.
    (&["--cap-add", "SYS_ADMIN"], &["mount", "unshare-userns", "unshare-ns"], &["keyring", "ptrace-init"]),
    // Every capability: kernel-module still passes (or skips on a kernel
    // without modules) — capabilities of a user namespace do not count for
    // the host — and read-only /proc/sys and /sys still hold.
    (
        &["--cap-add", "ALL"],
        &["ptrace-init", "mount", "unshare-userns", "unshare-ns", "raw-socket", "runtime-exe"],
        &["kernel-module", "keyring", "proc-sys", "sysfs", "setuid-root", "host-file", "volume-symlink"],
    ),
    (&["--cap-add", "SYS_PTRACE"], &["ptrace-init", "runtime-exe"], &["mount", "raw-socket"]),
    (&["--cap-add", "NET_RAW"], &["raw-socket"], &["ptrace-init"]),
    (&["--security-opt", "no-new-privileges=false"], &["setuid-root"], &["ptrace-init", "raw-socket"]),
];

#[test]
fn checks_fail_when_flags_turn_their_protection_off() {
    for mode in modes() {
        for (flags, fail, hold) in FLAG_CASES {
            let (out, rows) = selftest(mode, flags);
            expect(&out, &rows, fail, &["fail"]);
            expect(&out, &rows, hold, &["pass", "skip"]);
        }
    }
}

/// Whether TIOCSTI works at all for unprivileged users (dev.tty.legacy_tiocsti).
fn legacy_tiocsti() -> bool {
    std::fs::read_to_string("/proc/sys/dev/tty/legacy_tiocsti").map_or(true, |v| v.trim() != "0")
}

/// Structural protections: no flag turns them off, so `--weaken` gives each
/// check a way out (its probe runs on the host, or — `volume-*` — the host
/// directory its links aim at is bound into the container at the same
/// path). A check that still passed would be one that cannot fail.
#[test]
fn checks_fail_when_given_a_way_out() {
    for mode in modes() {
        let (out, rows) = selftest(mode, &["--weaken"]);
        // On the host, the caller reaches its own files, processes and
        // descriptors, and a terminal it controls.
        expect(&out, &rows, &["host-file", "host-pids", "kill-host", "inherited-fds", "runtime-exe"], &["fail"]);
        expect(&out, &rows, &["volume-symlink", "volume-dotdot", "unshare-userns", "keyring"], &["fail"]);
        if legacy_tiocsti() || mode == Mode::Root {
            expect(&out, &rows, &["tiocsti"], &["fail"]);
        }
        if mode == Mode::Root {
            // Root on the host holds every capability and owns every file.
            let root_only =
                ["write-usr", "mount", "unshare-ns", "raw-socket", "proc-sys", "setuid-root", "ptrace-init"];
            expect(&out, &rows, &root_only, &["fail"]);
            if std::path::Path::new("/etc/shadow").exists() {
                expect(&out, &rows, &["shadow"], &["fail"]);
            }
            // Not "pass": skip only where the kernel has no modules or
            // none of the /sys files.
            expect(&out, &rows, &["kernel-module", "sysfs"], &["fail", "skip"]);
            note_skips(&out, &rows);
        }
    }
}

/// Every check can be made to fail by one of the cases above (as root,
/// where `--weaken` reaches everything), except where this host makes it
/// skip — which is reported, not hidden.
#[test]
fn every_check_can_fail() {
    if !is_root() {
        skip("every_check_can_fail", "needs root: weakened checks reach root-only files only as root");
        return;
    }
    let mut failed: BTreeSet<String> = BTreeSet::new();
    let mut all = Rows::new();
    let runs = FLAG_CASES.iter().map(|(flags, _, _)| *flags).chain([&["--weaken"][..]]);
    for flags in runs {
        let (_, rows) = selftest(Mode::Root, flags);
        failed.extend(rows.iter().filter(|(_, (r, _))| r == "fail").map(|(c, _)| c.clone()));
        all.extend(rows);
    }
    for (check, (result, evidence)) in &all {
        if failed.contains(check) {
            continue;
        }
        assert_eq!(result, "skip", "check {check} never failed, whatever protection was turned off: {evidence}");
        eprintln!("note: check {check} cannot fail on this host: {evidence}");
    }
}

#[test]
fn usage_errors_and_hidden_parts() {
    for mode in modes() {
        cove(mode).args(["test", "--cap-add", "BOGUS"]).run().cove_error("unknown capability");
        cove(mode).args(["test", "nonsense"]).run().code(125);
        let help = cove(mode).args(["test", "--help"]).run();
        help.ok().stdout_has("CATEGORY").stdout_has("--security-opt");
        assert!(!help.stdout().contains("weaken"), "{}: --weaken is hidden", help.desc);
        let top = cove(mode).arg("--help").run();
        assert!(!top.stdout().contains("__probe"), "{}: __probe is hidden", top.desc);
    }
}
