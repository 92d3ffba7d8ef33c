//! Table-driven tests for reference parsing and normalisation.

use super::*;

const HEX64: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

#[test]
fn good_references_normalise() {
    let d = format!("sha256:{HEX64}");
    // (input, full form, familiar form)
    let cases: Vec<(String, String, String)> = vec![
        ("alpine".into(), "docker.io/library/alpine:latest".into(), "alpine:latest".into()),
        ("alpine:3.20".into(), "docker.io/library/alpine:3.20".into(), "alpine:3.20".into()),
        ("user/app".into(), "docker.io/user/app:latest".into(), "user/app:latest".into()),
        ("docker.io/library/alpine".into(), "docker.io/library/alpine:latest".into(), "alpine:latest".into()),
        ("index.docker.io/alpine".into(), "docker.io/library/alpine:latest".into(), "alpine:latest".into()),
        ("localhost/x".into(), "localhost/x:latest".into(), "localhost/x:latest".into()),
        ("localhost:5000/x/y:tag".into(), "localhost:5000/x/y:tag".into(), "localhost:5000/x/y:tag".into()),
        (
            format!("registry.example.com/a/b@{d}"),
            format!("registry.example.com/a/b@{d}"),
            format!("registry.example.com/a/b@{d}"),
        ),
        (format!("alpine:3.20@{d}"), format!("docker.io/library/alpine:3.20@{d}"), format!("alpine:3.20@{d}")),
        (format!("alpine@{d}"), format!("docker.io/library/alpine@{d}"), format!("alpine@{d}")),
        (
            "ab-c__d/e--f.g:V1_x.y-z".into(),
            "docker.io/ab-c__d/e--f.g:V1_x.y-z".into(),
            "ab-c__d/e--f.g:V1_x.y-z".into(),
        ),
        ("Example.COM/app".into(), "Example.COM/app:latest".into(), "Example.COM/app:latest".into()),
    ];
    for (input, full, familiar) in cases {
        let r = Reference::parse(&input).unwrap_or_else(|e| panic!("{input}: {e}"));
        assert_eq!(r.to_string(), full, "full form of {input}");
        assert_eq!(r.familiar(), familiar, "familiar form of {input}");
    }
}

#[test]
fn parts_are_exposed() {
    let r: Reference = "localhost:5000/x/y:tag".parse().unwrap();
    assert_eq!((r.domain(), r.path(), r.tag(), r.digest()), ("localhost:5000", "x/y", Some("tag"), None));
    let r: Reference = format!("alpine@sha256:{HEX64}").parse().unwrap();
    assert_eq!(r.tag(), None);
    assert_eq!(r.digest().unwrap().hex(), HEX64);
}

/// Whether an error is the expected kind.
type Check = fn(&ReferenceError) -> bool;

#[test]
fn bad_references_are_refused() {
    let long_tag = "t".repeat(129);
    let long_name = format!("a/{}", "b".repeat(260));
    let cases: Vec<(String, Check)> = vec![
        ("".into(), |e| matches!(e, ReferenceError::Empty)),
        (":tag".into(), |e| matches!(e, ReferenceError::Empty)),
        ("Alpine".into(), |e| matches!(e, ReferenceError::Uppercase { .. })),
        ("user/App:1".into(), |e| matches!(e, ReferenceError::Uppercase { .. })),
        ("..".into(), |e| matches!(e, ReferenceError::BadComponent { .. })),
        ("a/../b".into(), |e| matches!(e, ReferenceError::BadComponent { .. })),
        ("a//b".into(), |e| matches!(e, ReferenceError::BadComponent { .. })),
        ("-a".into(), |e| matches!(e, ReferenceError::BadComponent { .. })),
        ("a_.b".into(), |e| matches!(e, ReferenceError::BadComponent { .. })),
        ("a___b".into(), |e| matches!(e, ReferenceError::BadComponent { .. })),
        ("alpine/".into(), |e| matches!(e, ReferenceError::BadComponent { .. })),
        (format!("alpine:{long_tag}"), |e| matches!(e, ReferenceError::BadTag { .. })),
        ("alpine:".into(), |e| matches!(e, ReferenceError::BadTag { .. })),
        ("alpine:.x".into(), |e| matches!(e, ReferenceError::BadTag { .. })),
        ("alpine:a+b".into(), |e| matches!(e, ReferenceError::BadTag { .. })),
        ("alpine@sha256:abc".into(), |e| matches!(e, ReferenceError::BadDigest { .. })),
        (format!("alpine@sha256:{}", HEX64.to_uppercase()), |e| matches!(e, ReferenceError::BadDigest { .. })),
        (format!("alpine@md5:{HEX64}"), |e| matches!(e, ReferenceError::BadDigest { .. })),
        ("alpine@".into(), |e| matches!(e, ReferenceError::BadDigest { .. })),
        ("local_host:5000/x".into(), |e| matches!(e, ReferenceError::BadDomain { .. })),
        ("host:port/x".into(), |e| matches!(e, ReferenceError::BadDomain { .. })),
        ("-bad.com/x".into(), |e| matches!(e, ReferenceError::BadDomain { .. })),
        (long_name, |e| matches!(e, ReferenceError::NameTooLong { .. })),
    ];
    for (input, expected) in cases {
        match Reference::parse(&input) {
            Ok(r) => panic!("{input:?} should be refused, parsed as {r}"),
            Err(e) => assert!(expected(&e), "{input:?}: unexpected error {e:?}"),
        }
    }
}

#[test]
fn tag_of_exactly_128_is_accepted() {
    let tag = "t".repeat(128);
    assert_eq!(Reference::parse(&format!("alpine:{tag}")).unwrap().tag(), Some(tag.as_str()));
}
