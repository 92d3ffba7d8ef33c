//! `--cap-add`, `--cap-drop`, `--security-opt` and `--privileged`.

use crate::cli::RunArgs;
use anyhow::{Context, bail};
use cove_core::spec::{SeccompChoice, SecuritySpec, UsernsMode};

/// The security part of the spec. Options that would need a mechanism cove
/// does not have are refused, never ignored.
pub fn spec(args: &RunArgs) -> anyhow::Result<SecuritySpec> {
    let sec = &args.security;
    if args.privileged {
        bail!(
            "--privileged is not supported: cove never gives a container the host's privileges\n\
             hint: add only what the program needs, e.g. --cap-add NET_ADMIN"
        );
    }
    let mut spec =
        SecuritySpec { cap_add: sec.cap_add.clone(), cap_drop: sec.cap_drop.clone(), ..SecuritySpec::default() };
    for opt in &sec.security_opt {
        apply(&mut spec, opt)?;
    }
    spec.userns = match args.userns.as_deref() {
        None | Some("host") => UsernsMode::Identity,
        Some("auto") => UsernsMode::Auto,
        Some(other) => bail!("invalid --userns {other:?}: expected host or auto"),
    };
    Ok(spec)
}

/// One `--security-opt` (Docker accepts `key=value` and the older `key:value`).
fn apply(spec: &mut SecuritySpec, opt: &str) -> anyhow::Result<()> {
    let (key, value) = match opt.split_once(['=', ':']) {
        Some((k, v)) => (k, Some(v)),
        None => (opt, None),
    };
    match (key, value) {
        ("no-new-privileges", None | Some("true")) => spec.no_new_privileges = true,
        ("no-new-privileges", Some("false")) => spec.no_new_privileges = false,
        ("seccomp", Some("unconfined")) => spec.seccomp = SeccompChoice::Unconfined,
        ("seccomp", Some(file)) if !file.is_empty() => {
            let text = std::fs::read_to_string(file).with_context(|| format!("--security-opt seccomp={file}"))?;
            let profile =
                cove_core::seccomp::parse_json(&text).with_context(|| format!("--security-opt seccomp={file}"))?;
            spec.seccomp = SeccompChoice::Profile(profile);
        }
        ("apparmor", Some("unconfined")) | ("label", Some("disable")) => {}
        ("apparmor" | "label", _) => {
            bail!(
                "--security-opt {opt}: cove does not apply AppArmor or SELinux labels (only apparmor=unconfined and label=disable are accepted)"
            )
        }
        _ => {
            bail!("invalid --security-opt {opt:?}: expected seccomp=unconfined|FILE or no-new-privileges[=true|false]")
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options() {
        let mut s = SecuritySpec::default();
        apply(&mut s, "no-new-privileges=false").unwrap();
        assert!(!s.no_new_privileges);
        apply(&mut s, "no-new-privileges").unwrap();
        assert!(s.no_new_privileges);
        apply(&mut s, "seccomp=unconfined").unwrap();
        assert_eq!(s.seccomp, SeccompChoice::Unconfined);
        apply(&mut s, "seccomp:unconfined").unwrap();
        assert!(apply(&mut s, "seccomp=/definitely/missing.json").is_err());
        assert!(apply(&mut s, "apparmor=docker-default").is_err());
        apply(&mut s, "label=disable").unwrap();
        assert!(apply(&mut s, "bogus").is_err());
        assert!(apply(&mut s, "no-new-privileges=maybe").is_err());
    }
}
