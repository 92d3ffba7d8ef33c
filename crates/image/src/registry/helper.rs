//! Docker credential helpers: `docker-credential-NAME` programs named by
//! `credsStore` (every registry) or `credHelpers` (one registry) in Docker's
//! `config.json`.
//!
//! The protocol (docker/docker-credential-helpers): `get` reads the server
//! URL on stdin and prints `{"ServerURL","Username","Secret"}`; `store`
//! reads that object; `erase` reads the server URL. A helper that does not
//! know the server says `credentials not found` and exits non-zero. Every
//! call has a deadline ([`TIMEOUT`]): a helper that hangs (waiting for a
//! keyring to unlock, say) is killed and the call fails naming it.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::credentials::{Credentials, CredentialsError};

/// How long a helper may take.
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// What helpers print for a server they have nothing for.
const NOT_FOUND: &str = "credentials not found";

/// The helper program for `name`: `docker-credential-NAME`, found on `PATH`.
pub fn program(name: &str) -> PathBuf {
    PathBuf::from(format!("docker-credential-{name}"))
}

/// Which helper `config` names for the `auths` key `key` (`credHelpers`
/// first, then `credsStore`); `None` when credentials live in the file.
pub fn configured<'a>(config: &'a Value, registry: &str, key: &str) -> Option<&'a str> {
    let per_registry = config.get("credHelpers").and_then(Value::as_object).and_then(|helpers| {
        helpers.get(registry).or_else(|| helpers.get(key)).and_then(Value::as_str).filter(|n| !n.is_empty())
    });
    per_registry.or_else(|| config.get("credsStore").and_then(Value::as_str).filter(|n| !n.is_empty()))
}

/// `get`: the helper's credentials for `server`; `None` when it has none.
pub fn get(program: &Path, server: &str, timeout: Duration) -> Result<Option<Credentials>, CredentialsError> {
    let out = call(program, "get", server.as_bytes(), timeout)?;
    if !out.success {
        if out.text().contains(NOT_FOUND) {
            return Ok(None);
        }
        return Err(out.failure(program, "get"));
    }
    let bad = |detail: String| CredentialsError::Helper { program: program.to_owned(), verb: "get", detail };
    let reply: Value = serde_json::from_slice(&out.stdout).map_err(|e| bad(format!("unreadable reply: {e}")))?;
    let field = |k: &str| reply.get(k).and_then(Value::as_str).map(str::to_owned);
    match (field("Username"), field("Secret")) {
        (Some(username), Some(password)) if !password.is_empty() => Ok(Some(Credentials { username, password })),
        _ => Err(bad("the reply has no Username and Secret".to_owned())),
    }
}

/// `store`: hands `credentials` for `server` to the helper.
pub fn store(program: &Path, server: &str, credentials: &Credentials) -> Result<(), CredentialsError> {
    let input = json!({ "ServerURL": server, "Username": credentials.username, "Secret": credentials.password });
    let out = call(program, "store", input.to_string().as_bytes(), TIMEOUT)?;
    if out.success { Ok(()) } else { Err(out.failure(program, "store")) }
}

/// `erase`: forgets `server`; false when the helper had nothing for it.
pub fn erase(program: &Path, server: &str) -> Result<bool, CredentialsError> {
    let out = call(program, "erase", server.as_bytes(), TIMEOUT)?;
    match (out.success, out.text().contains(NOT_FOUND)) {
        (true, _) => Ok(true),
        (false, true) => Ok(false),
        (false, false) => Err(out.failure(program, "erase")),
    }
}

/// What a helper run produced.
struct Output {
    success: bool,
    stdout: Vec<u8>,
    stderr: Vec<u8>,
}

impl Output {
    /// stdout and stderr as text (helpers report errors on either).
    fn text(&self) -> String {
        format!("{}{}", String::from_utf8_lossy(&self.stdout), String::from_utf8_lossy(&self.stderr))
    }

    fn failure(&self, program: &Path, verb: &'static str) -> CredentialsError {
        let detail = self.text().trim().chars().take(200).collect::<String>();
        CredentialsError::Helper { program: program.to_owned(), verb, detail }
    }
}

/// Runs `program verb` with `input` on stdin; kills it after `timeout`.
fn call(program: &Path, verb: &'static str, input: &[u8], timeout: Duration) -> Result<Output, CredentialsError> {
    let failed = |source| CredentialsError::HelperRun { program: program.to_owned(), verb, source };
    let mut child = Command::new(program)
        .arg(verb)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(failed)?;
    // Readers on their own threads: a helper that fills a pipe must not
    // stall the deadline below.
    let reader = |pipe: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            if let Some(mut p) = pipe {
                let _ = p.read_to_end(&mut buf);
            }
            buf
        })
    };
    let stdout = reader(child.stdout.take().map(|p| Box::new(p) as Box<dyn Read + Send>));
    let stderr = reader(child.stderr.take().map(|p| Box::new(p) as Box<dyn Read + Send>));
    if let Some(mut stdin) = child.stdin.take() {
        // A helper that exits without reading is judged by its exit status.
        let _ = stdin.write_all(input);
    }
    let deadline = Instant::now() + timeout;
    let status = loop {
        if let Some(status) = child.try_wait().map_err(failed)? {
            break status;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Err(CredentialsError::HelperTimeout { program: program.to_owned(), verb, timeout });
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let stdout = stdout.join().unwrap_or_default();
    let stderr = stderr.join().unwrap_or_default();
    Ok(Output { success: status.success(), stdout, stderr })
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn script(dir: &std::path::Path, body: &str) -> PathBuf {
        let path = dir.join("docker-credential-test");
        std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        path
    }

    #[test]
    fn get_reads_the_reply_and_not_found_is_none() {
        let dir = tempfile::tempdir().unwrap();
        let helper = script(
            dir.path(),
            r#"read url; if [ "$url" = reg.lan ]; then echo '{"ServerURL":"reg.lan","Username":"al","Secret":"pw"}'; else echo "credentials not found in native keychain"; exit 1; fi"#,
        );
        let got = get(&helper, "reg.lan", TIMEOUT).unwrap();
        assert_eq!(got, Some(Credentials { username: "al".into(), password: "pw".into() }));
        assert_eq!(get(&helper, "other", TIMEOUT).unwrap(), None);
    }

    #[test]
    fn a_hanging_helper_is_killed_at_the_deadline() {
        let dir = tempfile::tempdir().unwrap();
        let helper = script(dir.path(), "exec sleep 30");
        let start = Instant::now();
        let err = get(&helper, "reg.lan", Duration::from_millis(300)).unwrap_err();
        assert!(matches!(err, CredentialsError::HelperTimeout { .. }), "{err}");
        assert!(start.elapsed() < Duration::from_secs(5));
    }

    #[test]
    fn failures_and_missing_helpers_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        let helper = script(dir.path(), "echo 'keyring locked' >&2; exit 1");
        let err = get(&helper, "x", TIMEOUT).unwrap_err();
        assert!(err.to_string().contains("keyring locked"), "{err}");
        let err = get(&dir.path().join("none"), "x", TIMEOUT).unwrap_err();
        assert!(matches!(err, CredentialsError::HelperRun { .. }), "{err}");
    }

    #[test]
    fn cred_helpers_win_over_creds_store() {
        let config = json!({"credsStore": "desktop", "credHelpers": {"gcr.io": "gcloud"}});
        assert_eq!(configured(&config, "gcr.io", "gcr.io"), Some("gcloud"));
        assert_eq!(configured(&config, "docker.io", "https://index.docker.io/v1/"), Some("desktop"));
        assert_eq!(configured(&json!({"auths": {}}), "x", "x"), None);
    }
}
