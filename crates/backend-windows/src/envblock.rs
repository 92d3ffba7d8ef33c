//! The container's environment on Windows: the plan's variables with the
//! Linux-only defaults translated (`PATH`, `HOME`, `HOSTNAME`), container
//! values for `USERNAME`, `COMPUTERNAME`, `USERPROFILE`, `TEMP`/`TMP`, and
//! nothing else from the host but where Windows itself lives (`SystemRoot`,
//! `windir`, `ComSpec`). [`block`] encodes it for `CreateProcessW`.

use cove_core::env::DEFAULT_PATH;

/// The user name containers see (as in Windows containers).
pub const CONTAINER_USER: &str = "ContainerUser";

/// Host facts the environment needs: only where Windows is and where the
/// container's own directories are.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnvContext {
    /// `%SystemRoot%` of the host, e.g. `C:\Windows`.
    pub system_root: String,
    /// The container's home directory (a host path inside the container dir).
    pub home: String,
    /// The container's temp directory (likewise).
    pub temp: String,
    /// The container's hostname.
    pub hostname: String,
}

/// A variable a Windows environment block cannot hold.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum EnvBlockError {
    /// Empty name, or a name with `=` or NUL.
    #[error("environment variable name {0:?} cannot be passed on Windows (empty, or contains '=' or NUL)")]
    Name(String),
    /// A value with NUL.
    #[error("environment variable {0} has a NUL character in its value")]
    Value(String),
}

/// The environment the container's process gets.
pub fn environment(plan_env: &[(String, String)], cx: &EnvContext) -> Vec<(String, String)> {
    let sys = &cx.system_root;
    let mut env: Vec<(String, String)> = vec![
        ("SystemRoot".into(), sys.clone()),
        ("windir".into(), sys.clone()),
        ("ComSpec".into(), format!(r"{sys}\System32\cmd.exe")),
        ("PATHEXT".into(), ".COM;.EXE;.BAT;.CMD".into()),
        ("PATH".into(), format!(r"{sys}\System32;{sys};{sys}\System32\Wbem")),
        ("USERNAME".into(), CONTAINER_USER.into()),
        ("COMPUTERNAME".into(), cx.hostname.clone()),
        ("USERPROFILE".into(), cx.home.clone()),
        ("HOME".into(), cx.home.clone()),
        ("TEMP".into(), cx.temp.clone()),
        ("TMP".into(), cx.temp.clone()),
    ];
    for (k, v) in plan_env {
        // Linux-shaped defaults of the plan, replaced above by Windows ones.
        let linux_default = (k == "PATH" && v == DEFAULT_PATH) || k == "HOME" || k == "HOSTNAME";
        if !linux_default {
            env.push((k.clone(), v.clone()));
        }
    }
    env
}

/// The UTF-16 block: `NAME=VALUE\0` per variable, sorted by name without
/// regard to case (as Windows keeps it), a later duplicate (in any case)
/// replacing an earlier one, and an extra `\0` at the end.
pub fn block(env: &[(String, String)]) -> Result<Vec<u16>, EnvBlockError> {
    let mut vars: Vec<(&str, &str)> = Vec::new();
    for (k, v) in env {
        if k.is_empty() || k.contains(['=', '\0']) {
            return Err(EnvBlockError::Name(k.clone()));
        }
        if v.contains('\0') {
            return Err(EnvBlockError::Value(k.clone()));
        }
        match vars.iter_mut().find(|(n, _)| fold(n) == fold(k)) {
            Some(slot) => *slot = (k, v),
            None => vars.push((k, v)),
        }
    }
    vars.sort_by_key(|(k, _)| fold(k));
    let mut out: Vec<u16> = Vec::new();
    for (k, v) in vars {
        out.extend(format!("{k}={v}").encode_utf16());
        out.push(0);
    }
    if out.is_empty() {
        out.push(0);
    }
    out.push(0);
    Ok(out)
}

/// Case folding for names: upper-case UTF-16 units, as the OS compares them.
fn fold(name: &str) -> Vec<u16> {
    name.to_uppercase().encode_utf16().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cx() -> EnvContext {
        EnvContext {
            system_root: r"C:\Windows".into(),
            home: r"C:\c\home".into(),
            temp: r"C:\c\tmp".into(),
            hostname: "abc123".into(),
        }
    }

    fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
        v.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()
    }

    fn decode(block: &[u16]) -> Vec<String> {
        let text = String::from_utf16(block).unwrap();
        assert!(text.ends_with("\0\0"), "double NUL at the end");
        text.trim_end_matches('\0').split('\0').map(str::to_owned).collect()
    }

    #[test]
    fn linux_defaults_become_container_values() {
        let plan = pairs(&[("PATH", DEFAULT_PATH), ("HOSTNAME", "abc123"), ("HOME", "/root"), ("FOO", "bar")]);
        let env = environment(&plan, &cx());
        let got = decode(&block(&env).unwrap());
        assert!(got.contains(&r"PATH=C:\Windows\System32;C:\Windows;C:\Windows\System32\Wbem".to_owned()));
        assert!(got.contains(&r"USERPROFILE=C:\c\home".to_owned()));
        assert!(got.contains(&r"HOME=C:\c\home".to_owned()));
        assert!(got.contains(&"COMPUTERNAME=abc123".to_owned()));
        assert!(got.contains(&"USERNAME=ContainerUser".to_owned()));
        assert!(got.contains(&"FOO=bar".to_owned()));
        assert!(!got.iter().any(|v| v.starts_with("HOSTNAME=") || v.contains("/usr/")), "{got:?}");
    }

    #[test]
    fn user_values_win_case_insensitively_and_nothing_comes_from_the_host() {
        // The caller's environment is never consulted: every name comes
        // from the context or the plan.
        let plan = pairs(&[("path", r"D:\tools"), ("Username", "me")]);
        let got = decode(&block(&environment(&plan, &cx())).unwrap());
        assert!(got.contains(&r"path=D:\tools".to_owned()), "{got:?}");
        assert!(got.contains(&"Username=me".to_owned()));
        assert_eq!(got.iter().filter(|v| v.to_uppercase().starts_with("PATH=")).count(), 1);
        let names: Vec<String> = got.iter().map(|v| v.split('=').next().unwrap().to_uppercase()).collect();
        let allowed = [
            "COMSPEC",
            "COMPUTERNAME",
            "HOME",
            "PATH",
            "PATHEXT",
            "SYSTEMROOT",
            "TEMP",
            "TMP",
            "USERNAME",
            "USERPROFILE",
            "WINDIR",
        ];
        assert!(names.iter().all(|n| allowed.contains(&n.as_str())), "{names:?}");
    }

    #[test]
    fn block_is_sorted_without_case() {
        let got = decode(&block(&pairs(&[("b", "1"), ("A", "2"), ("_x", "3"), ("C", "4")])).unwrap());
        assert_eq!(got, ["A=2", "b=1", "C=4", "_x=3"]);
        assert_eq!(block(&[]).unwrap(), vec![0, 0], "an empty block is two NULs");
        let unicode = block(&pairs(&[("É", "ü")])).unwrap();
        assert_eq!(unicode, "É=ü\0\0".encode_utf16().collect::<Vec<_>>());
    }

    #[test]
    fn unencodable_variables_are_refused() {
        assert_eq!(block(&pairs(&[("", "x")])), Err(EnvBlockError::Name(String::new())));
        assert!(matches!(block(&pairs(&[("A=B", "x")])), Err(EnvBlockError::Name(_))));
        assert!(matches!(block(&pairs(&[("A", "x\0y")])), Err(EnvBlockError::Value(_))));
    }
}
