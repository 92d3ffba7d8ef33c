//! Real parts for the registry tests, each under a hard deadline and
//! killed on drop: Debian's `docker-registry` on 127.0.0.1 (anonymous,
//! htpasswd or token auth), a token server of the tests' own (a thread),
//! and a throttling TCP proxy that records what clients send. The token
//! server is in `token.rs`, the proxy in `proxy.rs`.

// Shared by registry.rs and registry_faults.rs; each uses a part.
#![allow(dead_code)]

mod proxy;
mod token;

use super::common::*;
#[allow(unused_imports)] // not every test file uses the proxy
pub use proxy::*;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
pub use token::*;

/// How long any registry process may live.
const REGISTRY_DEADLINE_SECS: &str = "240";

/// Which authentication the registry asks for.
pub enum Auth {
    /// None.
    Anonymous,
    /// htpasswd with this user and password.
    Basic(&'static str, &'static str),
    /// Bearer tokens from this token server.
    Token(TokenServer),
}

/// A running `docker-registry serve`.
pub struct Registry {
    child: Child,
    /// `127.0.0.1:PORT`.
    pub host: String,
    /// Its scratch directory (config, storage).
    pub dir: TestDir,
    /// The token server, for token auth.
    pub token: Option<TokenServer>,
    tls: bool,
}

/// A self-signed key and certificate for `cn` in `dir`.
fn self_signed(dir: &TestDir, cn: &str) -> (PathBuf, PathBuf) {
    let (key, cert) = (dir.join("key.pem"), dir.join("cert.pem"));
    run_host(
        Command::new("timeout")
            .args(["30", "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2"])
            .arg("-subj")
            .arg(format!("/CN={cn}"))
            .arg("-keyout")
            .arg(&key)
            .arg("-out")
            .arg(&cert),
    );
    (key, cert)
}

/// A free port on 127.0.0.1 (bound once, then released).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0").local_addr().unwrap().port()
}

/// Whether a host tool exists; a loud SKIP (a failure when strict) if not.
pub fn have(tool: &str, package: &str) -> bool {
    let found = Command::new("sh").args(["-c", &format!("command -v {tool}")]).stdout(Stdio::null()).status();
    if found.is_ok_and(|s| s.success()) {
        return true;
    }
    skip(
        &format!("registry tests: {tool}"),
        &format!("{tool} is missing — apt-get install {package} (scripts/test-all does)"),
    );
    false
}

impl Registry {
    /// Starts a registry with `auth`; `None` (after a SKIP) without the package.
    pub fn start(auth: Auth) -> Option<Registry> {
        Registry::start_with(auth, false)
    }

    /// As [`Registry::start`]; with `tls`, over HTTPS with a self-signed certificate.
    pub fn start_with(auth: Auth, tls: bool) -> Option<Registry> {
        if !have("docker-registry", "docker-registry") {
            return None;
        }
        let dir = TestDir::new(Mode::Root, "registry");
        let port = free_port();
        let auth_yaml = match &auth {
            Auth::Anonymous => String::new(),
            Auth::Basic(user, password) => {
                if !have("htpasswd", "apache2-utils") {
                    return None;
                }
                let file = dir.join("htpasswd");
                run_host(Command::new("htpasswd").args(["-Bbc"]).arg(&file).args([user, password]));
                format!("auth: {{htpasswd: {{realm: cove-test, path: {}}}}}\n", file.display())
            }
            Auth::Token(t) => format!(
                "auth: {{token: {{realm: 'http://{}/token', service: {SERVICE}, issuer: {ISSUER}, rootcertbundle: {}}}}}\n",
                t.host,
                t.cert.display()
            ),
        };
        let tls_yaml = if tls {
            if !have("openssl", "openssl") {
                return None;
            }
            let (key, cert) = self_signed(&dir, "127.0.0.1");
            format!(", tls: {{certificate: {}, key: {}}}", cert.display(), key.display())
        } else {
            String::new()
        };
        let config = format!(
            "version: 0.1\nlog: {{level: error}}\nstorage:\n  filesystem: {{rootdirectory: {}}}\n  delete: {{enabled: true}}\n\
             http: {{addr: 127.0.0.1:{port}{tls_yaml}}}\n{auth_yaml}",
            dir.join("data").display()
        );
        let config_path = dir.write("config.yml", config);
        let log = std::fs::File::create(dir.join("registry.log")).expect("registry log");
        let child = Command::new("timeout")
            .args(["-s", "KILL", REGISTRY_DEADLINE_SECS, "docker-registry", "serve"])
            .arg(&config_path)
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .process_group(0)
            .spawn()
            .expect("start docker-registry");
        let token = match auth {
            Auth::Token(t) => Some(t),
            _ => None,
        };
        let registry = Registry { child, host: format!("127.0.0.1:{port}"), dir, token, tls };
        registry.wait_ready();
        Some(registry)
    }

    fn wait_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(15);
        while Instant::now() < deadline {
            let tls_up = self.tls && TcpStream::connect(&self.host).is_ok();
            if tls_up {
                return;
            }
            if let Ok(mut s) = TcpStream::connect(&self.host) {
                let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
                let _ = write!(s, "GET /v2/ HTTP/1.0\r\nHost: {}\r\n\r\n", self.host);
                let mut head = String::new();
                if BufReader::new(s).read_line(&mut head).is_ok() && head.starts_with("HTTP/1.") {
                    return;
                }
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let log = std::fs::read_to_string(self.dir.join("registry.log")).unwrap_or_default();
        panic!("docker-registry on {} not ready within 15 s; log:\n{log}", self.host);
    }

    /// The registry's storage directory of a blob (its `data` file).
    pub fn blob_data(&self, digest: &str) -> PathBuf {
        let hex = digest.strip_prefix("sha256:").expect("sha256 digest");
        self.dir.join(&format!("data/docker/registry/v2/blobs/sha256/{}/{hex}/data", &hex[..2]))
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        kill_group(&mut self.child);
    }
}

/// Kills a child started with `process_group(0)` and its group, and reaps it.
pub fn kill_group(child: &mut Child) {
    if let Some(pid) = rustix::process::Pid::from_raw(child.id() as i32) {
        let _ = rustix::process::kill_process_group(pid, rustix::process::Signal::KILL);
    }
    let _ = child.kill();
    let _ = child.wait();
}
