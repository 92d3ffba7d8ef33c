//! Golden profiles: the exact SBPL text for fixed inputs, including hostile
//! paths. `COVE_UPDATE_GOLDEN=1 cargo test -p cove-backend-macos --test golden`
//! rewrites the files; review the diff before committing.

use cove_backend_macos::profile::{Area, ProfileInput, render};
use std::path::PathBuf;

fn check(name: &str, input: &ProfileInput) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden").join(format!("{name}.sb"));
    let text = render(input).unwrap();
    if std::env::var_os("COVE_UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, &text).unwrap();
    }
    let want = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert_eq!(text, want, "{name}: rendered profile differs from {}", path.display());
}

fn base() -> ProfileInput {
    ProfileInput {
        comment: "cove container 0123456789ab".into(),
        read: vec!["/System".into(), "/usr".into(), "/bin".into(), "/private/etc/ssl".into()],
        devices: vec!["/dev/null".into(), "/dev/urandom".into()],
        areas: vec![
            Area { path: "/private/var/folders/x/T/cove-0123456789ab".into(), write: true, exec: true },
            Area { path: "/private/var/folders/x/T/cove-0123456789ab/tmp".into(), write: true, exec: true },
        ],
        network: false,
    }
}

#[test]
fn zero_setup() {
    check("zero_setup", &base());
}

#[test]
fn volumes_and_network() {
    let mut input = base();
    input.areas[0].write = false;
    input.areas.push(Area { path: "/Users/me/src".into(), write: false, exec: true });
    input.areas.push(Area { path: "/Users/me/out".into(), write: true, exec: false });
    input.network = true;
    check("volumes_network", &input);
}

#[test]
fn hostile_paths() {
    let mut input = base();
    input.comment = "cove container\n(allow default)".into();
    input.areas.push(Area { path: "/Users/me/a\") (allow default) (\"".into(), write: true, exec: true });
    input.areas.push(Area { path: "/Users/me/back\\slash\\".into(), write: false, exec: true });
    input.areas.push(Area { path: "/Users/me/new\nline ; (deny default)".into(), write: false, exec: false });
    check("hostile", &input);
    let text = render(&input).unwrap();
    // Every line is a rule, a comment, or a quoted filter: no line begins
    // with text from a path, and "(allow default)" only appears quoted.
    for line in text.lines() {
        let t = line.trim_start();
        assert!(t.starts_with('(') || t.starts_with(";;"), "{line:?}");
        if t.contains("(allow default)") {
            assert!(t.starts_with(";;") || t.starts_with("(subpath \""), "{line:?}");
        }
    }
    let mut nul = base();
    nul.areas.push(Area { path: "/a\0b".into(), write: true, exec: true });
    assert!(render(&nul).is_err(), "a NUL is refused, not truncated");
}
