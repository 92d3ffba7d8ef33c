//! Docker's credentials file (`$DOCKER_CONFIG/config.json`, else
//! `~/.docker/config.json`): the `auths` map of registry → base64
//! `user:password`, read for pulls and written by `cove login`/`logout`.
//!
//! Other keys in the file are kept as they are. The file is rewritten
//! through a temp file (mode 0600) and a rename, so it is never seen half
//! written and never readable by others. Where the file names credential
//! helpers (`credsStore`, `credHelpers`), the secrets go through them
//! instead (`helper.rs`).

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Map, Value, json};

use super::helper;

/// The key Docker uses for Docker Hub.
const HUB_KEY: &str = "https://index.docker.io/v1/";

/// A failed credentials-file operation.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CredentialsError {
    /// Reading the file failed.
    #[error("read credentials {path}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: io::Error,
    },
    /// The file is not the JSON Docker writes.
    #[error("parse credentials {path}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: serde_json::Error,
    },
    /// An `auth` entry is not base64 of `user:password`.
    #[error("credentials {path}: the entry for {key} is not base64 of user:password")]
    BadEntry {
        /// The file.
        path: PathBuf,
        /// The entry.
        key: String,
    },
    /// Writing the file failed.
    #[error("write credentials {path}")]
    Write {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: io::Error,
    },
    /// A credential helper could not be started or waited for.
    #[error("run credential helper {} {verb}", program.display())]
    HelperRun {
        /// The helper program.
        program: PathBuf,
        /// `get`, `store` or `erase`.
        verb: &'static str,
        /// The cause.
        #[source]
        source: io::Error,
    },
    /// A credential helper failed or answered nonsense.
    #[error("credential helper {} {verb} failed: {detail}", program.display())]
    Helper {
        /// The helper program.
        program: PathBuf,
        /// `get`, `store` or `erase`.
        verb: &'static str,
        /// What it said.
        detail: String,
    },
    /// A credential helper did not finish in time and was killed.
    #[error("credential helper {} {verb} did not answer within {timeout:?} and was killed", program.display())]
    HelperTimeout {
        /// The helper program.
        program: PathBuf,
        /// `get`, `store` or `erase`.
        verb: &'static str,
        /// The deadline.
        timeout: std::time::Duration,
    },
    /// Neither `DOCKER_CONFIG` nor `HOME` is set.
    #[error("no place for the credentials file: set HOME or DOCKER_CONFIG")]
    NoHome,
}

/// A user name and password (or token) for one registry.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// The user name.
    pub username: String,
    /// The password or access token.
    pub password: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials").field("username", &self.username).finish_non_exhaustive()
    }
}

impl Credentials {
    /// The `Authorization` header value for basic auth.
    pub fn basic_header(&self) -> String {
        format!("Basic {}", STANDARD.encode(format!("{}:{}", self.username, self.password)))
    }
}

/// `$DOCKER_CONFIG/config.json`, else `$HOME/.docker/config.json`.
pub fn config_path() -> Option<PathBuf> {
    let set = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty()).map(PathBuf::from);
    set("DOCKER_CONFIG").map(|d| d.join("config.json")).or_else(|| set("HOME").map(|h| h.join(".docker/config.json")))
}

/// The `auths` key for `registry` (Docker Hub has its own).
pub fn key_for(registry: &str) -> String {
    if registry == crate::reference::DOCKER_HUB { HUB_KEY.to_owned() } else { registry.to_owned() }
}

/// The registry an `auths` key names: `https://reg:5000/v1/` → `reg:5000`.
fn key_registry(key: &str) -> &str {
    let key = key.strip_prefix("https://").or_else(|| key.strip_prefix("http://")).unwrap_or(key);
    let host = key.split('/').next().unwrap_or(key);
    if host == "index.docker.io" || host == "registry-1.docker.io" { crate::reference::DOCKER_HUB } else { host }
}

/// The stored credentials for `registry`, if any: from its credential
/// helper when the file names one (`credHelpers`, `credsStore`), else (or
/// when the helper has none) from `auths`.
pub fn lookup(file: &Path, registry: &str) -> Result<Option<Credentials>, CredentialsError> {
    let Some(config) = read(file)? else { return Ok(None) };
    let key = key_for(registry);
    if let Some(name) = helper::configured(&config, registry, &key)
        && let Some(found) = helper::get(&helper::program(name), &key, helper::TIMEOUT)?
    {
        return Ok(Some(found));
    }
    let Some(auths) = config.get("auths").and_then(Value::as_object) else { return Ok(None) };
    let Some((key, entry)) = auths.iter().find(|(k, _)| key_registry(k) == registry) else { return Ok(None) };
    let bad = || CredentialsError::BadEntry { path: file.to_owned(), key: key.clone() };
    if let Some(auth) = entry.get("auth").and_then(Value::as_str).filter(|a| !a.is_empty()) {
        let decoded = STANDARD.decode(auth.trim()).map_err(|_| bad())?;
        let text = String::from_utf8(decoded).map_err(|_| bad())?;
        let (username, password) = text.split_once(':').ok_or_else(bad)?;
        return Ok(Some(Credentials { username: username.to_owned(), password: password.to_owned() }));
    }
    let field = |k: &str| entry.get(k).and_then(Value::as_str).map(str::to_owned);
    Ok(field("username").zip(field("password")).map(|(username, password)| Credentials { username, password }))
}

/// Stores `credentials` for `registry`, replacing any entry for it: in
/// its credential helper when the file names one (the file then gets an
/// empty `auths` entry, as Docker writes), else base64 in `auths`.
pub fn store(file: &Path, registry: &str, credentials: &Credentials) -> Result<(), CredentialsError> {
    let mut config = read(file)?.unwrap_or_else(|| Value::Object(Map::new()));
    let key = key_for(registry);
    let entry = match helper::configured(&config, registry, &key) {
        Some(name) => {
            helper::store(&helper::program(name), &key, credentials)?;
            json!({})
        }
        None => json!({ "auth": STANDARD.encode(format!("{}:{}", credentials.username, credentials.password)) }),
    };
    let auths = auths_of(&mut config);
    auths.retain(|k, _| key_registry(k) != registry);
    auths.insert(key, entry);
    write(file, &config)
}

/// Removes the entry for `registry` (and erases it from its credential
/// helper, if one is named); false when there was none.
pub fn remove(file: &Path, registry: &str) -> Result<bool, CredentialsError> {
    let Some(mut config) = read(file)? else { return Ok(false) };
    let key = key_for(registry);
    let erased = match helper::configured(&config, registry, &key) {
        Some(name) => helper::erase(&helper::program(name), &key)?,
        None => false,
    };
    let auths = auths_of(&mut config);
    let before = auths.len();
    auths.retain(|k, _| key_registry(k) != registry);
    if auths.len() == before {
        return Ok(erased);
    }
    write(file, &config)?;
    Ok(true)
}

fn auths_of(config: &mut Value) -> &mut Map<String, Value> {
    if !config.is_object() {
        *config = Value::Object(Map::new());
    }
    let auths = config.as_object_mut().expect("object").entry("auths").or_insert_with(|| json!({}));
    if !auths.is_object() {
        *auths = json!({});
    }
    auths.as_object_mut().expect("object")
}

fn read(file: &Path) -> Result<Option<Value>, CredentialsError> {
    match std::fs::read(file) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|source| CredentialsError::Parse { path: file.to_owned(), source }),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(CredentialsError::Read { path: file.to_owned(), source }),
    }
}

/// Writes `config` to a 0600 temp file beside `file` and renames it over.
fn write(file: &Path, config: &Value) -> Result<(), CredentialsError> {
    let err = |source| CredentialsError::Write { path: file.to_owned(), source };
    let dir = file.parent().unwrap_or(Path::new("."));
    create_private_dir(dir).map_err(err)?;
    let temp = dir.join(format!(".config.json.tmp-{}", std::process::id()));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let result = (|| {
        let mut out = options.open(&temp)?;
        serde_json::to_writer_pretty(&mut out, config)?;
        out.write_all(b"\n")?;
        out.sync_all()?;
        std::fs::rename(&temp, file)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result.map_err(err)
}

fn create_private_dir(dir: &Path) -> io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn creds(u: &str, p: &str) -> Credentials {
        Credentials { username: u.into(), password: p.into() }
    }

    #[test]
    fn store_lookup_remove_round_trip_keeps_other_keys() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("docker/config.json");
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(&file, r#"{"auths":{"other.io":{"auth":"dTpw"}},"psFormat":"x"}"#).unwrap();
        store(&file, "localhost:5000", &creds("alice", "s:cret")).unwrap();
        store(&file, "docker.io", &creds("bob", "pw")).unwrap();
        assert_eq!(lookup(&file, "localhost:5000").unwrap(), Some(creds("alice", "s:cret")));
        assert_eq!(lookup(&file, "docker.io").unwrap(), Some(creds("bob", "pw")));
        assert_eq!(lookup(&file, "other.io").unwrap(), Some(creds("u", "p")));
        assert_eq!(lookup(&file, "nowhere.io").unwrap(), None);
        let text: Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
        assert_eq!(text["psFormat"], "x");
        assert!(text["auths"][HUB_KEY]["auth"].is_string());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o600);
        }
        assert!(remove(&file, "localhost:5000").unwrap());
        assert!(!remove(&file, "localhost:5000").unwrap());
        assert_eq!(lookup(&file, "localhost:5000").unwrap(), None);
    }

    #[test]
    fn keys_with_scheme_and_path_match() {
        assert_eq!(key_registry("https://index.docker.io/v1/"), "docker.io");
        assert_eq!(key_registry("http://reg.lan:5000/v2/"), "reg.lan:5000");
        assert_eq!(key_registry("reg.lan"), "reg.lan");
    }

    #[test]
    fn missing_file_is_no_credentials_and_bad_entries_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(lookup(&dir.path().join("none.json"), "x").unwrap(), None);
        let file = dir.path().join("c.json");
        std::fs::write(&file, r#"{"auths":{"x":{"auth":"!!!"}}}"#).unwrap();
        assert!(matches!(lookup(&file, "x"), Err(CredentialsError::BadEntry { .. })));
    }
}
