//! Standard streams are byte-exact, never block, and stay separate.

mod common;

use common::*;
use std::time::Duration;

#[test]
fn ten_mib_of_random_bytes_through_cat() {
    let data = pseudo_random(10 * 1024 * 1024 + 123, 0x5eed);
    for mode in modes() {
        let out =
            cove(mode).args(["run", "-i", "--", "cat"]).stdin(data.clone()).timeout(Duration::from_secs(60)).run();
        out.ok();
        if out.stdout != data {
            let first_diff = out.stdout.iter().zip(&data).position(|(a, b)| a != b);
            panic!(
                "{}\n  expected: the {} input bytes back unchanged\n  got: {} bytes, first difference at {:?}\n  stderr: {}",
                out.desc,
                data.len(),
                out.stdout.len(),
                first_diff,
                show(&out.stderr)
            );
        }
        if !out.stderr.is_empty() {
            out.fail("empty stderr");
        }
    }
}

#[test]
fn large_stdout_arrives_complete() {
    const N: usize = 50_000_000;
    for mode in modes() {
        let out = cove(mode)
            .args(["run", "--", "head", "-c", &N.to_string(), "/dev/zero"])
            .timeout(Duration::from_secs(60))
            .run();
        out.ok();
        if out.stdout.len() != N || out.stdout.iter().any(|&b| b != 0) {
            panic!(
                "{}\n  expected: {N} zero bytes on stdout\n  got: {} bytes\n  stderr: {}",
                out.desc,
                out.stdout.len(),
                show(&out.stderr)
            );
        }
    }
}

#[test]
fn large_stderr_and_stdout_together_do_not_deadlock() {
    for mode in modes() {
        let out = sh(mode, &[], "head -c 3000000 /dev/zero >&2; head -c 3000000 /dev/zero; head -c 100 /dev/zero >&2");
        out.ok();
        assert_eq!(
            (out.stdout.len(), out.stderr.len()),
            (3_000_000, 3_000_100),
            "{}: (stdout, stderr) bytes",
            out.desc
        );
    }
}

#[test]
fn stderr_is_separate_from_stdout() {
    for mode in modes() {
        for root in roots(mode) {
            sh_root(mode, &root, &[], "echo out; echo err >&2; echo out2; echo err2 >&2")
                .ok()
                .stdout_is("out\nout2\n")
                .stderr_is("err\nerr2\n");
        }
    }
}

#[test]
fn binary_stdin_with_every_byte_value() {
    let data: Vec<u8> = (0..=255u8).cycle().take(256 * 64).collect();
    for mode in modes() {
        let Some(root) = busybox(mode) else { continue };
        let out = cove(mode).args(["run", "-i", "--rootfs"]).arg(root).args(["--", "cat"]).stdin(data.clone()).run();
        out.ok();
        assert!(
            out.stdout == data,
            "{}: every byte value must come back unchanged ({} bytes back)",
            out.desc,
            out.stdout.len()
        );
    }
}

#[test]
fn output_without_a_trailing_newline_is_kept() {
    for mode in modes() {
        cove(mode).args(["run", "--", "printf", "no-newline"]).run().ok().stdout_is("no-newline");
    }
}
