//! Real parts for the registry tests, each under a hard deadline and
//! killed on drop: Debian's `docker-registry` on 127.0.0.1 (anonymous,
//! htpasswd or token auth), a token server of the tests' own (a thread),
//! and a throttling TCP proxy that records what clients send.

// Shared by registry.rs and registry_faults.rs; each uses a part.
#![allow(dead_code)]

use super::common::*;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

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

/// The token auth service name and issuer the registry is configured with.
pub const SERVICE: &str = "cove-registry";
const ISSUER: &str = "cove-test-issuer";

/// A token server: answers `GET /token?service=…&scope=…` with a JWT signed
/// (RS256, `openssl dgst`) by a key whose self-signed certificate the
/// registry trusts, but only for requests with the right basic credentials.
pub struct TokenServer {
    /// `127.0.0.1:PORT`.
    pub host: String,
    cert: PathBuf,
    /// Every request line it received.
    pub requests: Arc<Mutex<Vec<String>>>,
    stop: Arc<AtomicBool>,
    _dir: TestDir,
}

impl TokenServer {
    /// Starts one that accepts `user`/`password`; `None` without openssl.
    pub fn start(user: &'static str, password: &'static str) -> Option<TokenServer> {
        if !have("openssl", "openssl") {
            return None;
        }
        let dir = TestDir::new(Mode::Root, "token");
        let (key, cert) = (dir.join("key.pem"), dir.join("cert.pem"));
        run_host(
            Command::new("timeout")
                .args(["30", "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes"])
                .args(["-days", "2", "-subj", "/CN=cove-test-token", "-keyout"])
                .arg(&key)
                .arg("-out")
                .arg(&cert),
        );
        let der = Command::new("openssl").args(["x509", "-outform", "DER", "-in"]).arg(&cert).output().unwrap().stdout;
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let host = listener.local_addr().unwrap().to_string();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (reqs, halt, key2) = (requests.clone(), stop.clone(), key.clone());
        let basic = format!("Basic {}", b64(format!("{user}:{password}").as_bytes(), false));
        std::thread::spawn(move || {
            while !halt.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((s, _)) => serve_token(s, &reqs, &basic, &key2, &der),
                    Err(_) => std::thread::sleep(Duration::from_millis(20)),
                }
            }
        });
        Some(TokenServer { host, cert, requests, stop, _dir: dir })
    }
}

impl Drop for TokenServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

fn serve_token(stream: TcpStream, log: &Mutex<Vec<String>>, basic: &str, key: &Path, der: &[u8]) {
    let _ = stream.set_nonblocking(false);
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut first = String::new();
    let _ = reader.read_line(&mut first);
    let mut authorized = false;
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).unwrap_or(0) == 0 || h.trim().is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            authorized |= k.eq_ignore_ascii_case("authorization") && v.trim() == basic;
        }
    }
    log.lock().unwrap().push(first.clone());
    let scope = first.split(['?', '&', ' ']).find_map(|p| p.strip_prefix("scope=")).map(percent_decode);
    let (status, body) = if authorized {
        ("200 OK", format!("{{\"token\":\"{}\"}}", jwt(scope.as_deref(), key, der)))
    } else {
        ("401 Unauthorized", "{\"details\":\"incorrect username or password\"}".to_owned())
    };
    let mut out = stream;
    let _ = write!(
        out,
        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
}

fn percent_decode(s: &str) -> String {
    let mut out = Vec::new();
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && i + 3 <= b.len()
            && let Ok(v) = u8::from_str_radix(&s[i + 1..i + 3], 16)
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(if b[i] == b'+' { b' ' } else { b[i] });
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A JWT for `scope` (`repository:NAME:ACTIONS`), signed with `key`.
fn jwt(scope: Option<&str>, key: &Path, der: &[u8]) -> String {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    let access = match scope.and_then(|s| s.strip_prefix("repository:")).and_then(|s| s.rsplit_once(':')) {
        Some((name, actions)) => {
            let actions: Vec<String> = actions.split(',').map(|a| format!("\"{a}\"")).collect();
            format!("[{{\"type\":\"repository\",\"name\":\"{name}\",\"actions\":[{}]}}]", actions.join(","))
        }
        None => "[]".to_owned(),
    };
    let header = format!("{{\"typ\":\"JWT\",\"alg\":\"RS256\",\"x5c\":[\"{}\"]}}", b64(der, false));
    let claims = format!(
        "{{\"iss\":\"{ISSUER}\",\"sub\":\"tester\",\"aud\":\"{SERVICE}\",\"exp\":{},\"nbf\":{},\"iat\":{},\"jti\":\"{}\",\"access\":{access}}}",
        now + 600,
        now - 60,
        now - 60,
        unique("jti")
    );
    let signing = format!("{}.{}", b64(header.as_bytes(), true), b64(claims.as_bytes(), true));
    let mut child = Command::new("timeout")
        .args(["10", "openssl", "dgst", "-sha256", "-sign"])
        .arg(key)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(signing.as_bytes()).unwrap();
    let mut sig = Vec::new();
    child.stdout.take().unwrap().read_to_end(&mut sig).unwrap();
    let _ = child.wait();
    format!("{signing}.{}", b64(&sig, true))
}

/// Base64, standard or URL-safe without padding.
pub fn b64(bytes: &[u8], url: bool) -> String {
    use base64::Engine;
    if url {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    } else {
        base64::engine::general_purpose::STANDARD.encode(bytes)
    }
}

/// A TCP proxy to `upstream` that slows responses while `slow` is set and
/// records what clients send.
pub struct Proxy {
    /// `127.0.0.1:PORT`.
    pub host: String,
    /// Throttle server → client traffic (about 1 MB/s).
    pub slow: Arc<AtomicBool>,
    /// Everything clients sent, concatenated.
    pub sent: Arc<Mutex<Vec<u8>>>,
    /// When nonzero: the next connection whose responses pass this many
    /// bytes is cut there (once), as a connection reset mid-download.
    pub cut_after: Arc<AtomicU64>,
    /// This many new connections are answered `503 Service Unavailable`.
    pub fail_next: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
}

impl Proxy {
    /// Starts a proxy in front of `upstream`.
    pub fn start(upstream: &str) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let host = listener.local_addr().unwrap().to_string();
        let (slow, sent, stop) =
            (Arc::new(AtomicBool::new(true)), Arc::new(Mutex::new(Vec::new())), Arc::new(AtomicBool::new(false)));
        let cut_after = Arc::new(AtomicU64::new(0));
        let (slow2, sent2, stop2, up) = (slow.clone(), sent.clone(), stop.clone(), upstream.to_owned());
        let cut2 = cut_after.clone();
        let fail_next = Arc::new(AtomicU64::new(0));
        let fail2 = fail_next.clone();
        std::thread::spawn(move || {
            while !stop2.load(Ordering::Relaxed) {
                let Ok((client, _)) = listener.accept() else {
                    std::thread::sleep(Duration::from_millis(10));
                    continue;
                };
                let _ = client.set_nonblocking(false);
                if fail2.load(Ordering::Relaxed) > 0 {
                    // A TLS handshake (cove tries HTTPS first) is just closed.
                    let _ = client.set_read_timeout(Some(Duration::from_secs(5)));
                    let mut first = [0u8; 1];
                    if client.peek(&mut first).is_ok() && first[0] != 0x16 {
                        fail2.fetch_sub(1, Ordering::Relaxed);
                        unavailable(client);
                    }
                    continue;
                }
                let Ok(server) = TcpStream::connect(&up) else { continue };
                let (c2, s2) = (client.try_clone().unwrap(), server.try_clone().unwrap());
                let sent = sent2.clone();
                std::thread::spawn(move || pump(c2, s2, None, Some(sent)));
                let (slow, cut) = (slow2.clone(), cut2.clone());
                std::thread::spawn(move || pump(server, client, Some((slow, cut)), None));
            }
        });
        Proxy { host, slow, sent, cut_after, fail_next, stop }
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// Reads a request head and answers 503.
fn unavailable(client: TcpStream) {
    let _ = client.set_read_timeout(Some(Duration::from_secs(5)));
    let mut reader = BufReader::new(client.try_clone().unwrap());
    let mut line = String::new();
    while reader.read_line(&mut line).unwrap_or(0) > 0 && line != "\r\n" {
        line.clear();
    }
    let mut out = client;
    let _ = out.write_all(b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
}

/// Server → client: throttled while `slow` is set, cut once at `cut` bytes.
type Shaping = (Arc<AtomicBool>, Arc<AtomicU64>);

fn pump(mut from: TcpStream, mut to: TcpStream, shaping: Option<Shaping>, record: Option<Arc<Mutex<Vec<u8>>>>) {
    let _ = from.set_read_timeout(Some(Duration::from_secs(60)));
    let mut buf = [0u8; 16 * 1024];
    let mut total = 0u64;
    let slow = shaping.as_ref().map(|(s, _)| s.clone());
    loop {
        let mut n = match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        if let Some((_, cut)) = &shaping {
            let limit = cut.load(Ordering::Relaxed);
            if limit > 0 && total + n as u64 >= limit {
                n = (limit - total) as usize;
                cut.store(0, Ordering::Relaxed);
                let _ = to.write_all(&buf[..n]);
                break;
            }
            total += n as u64;
        }
        if let Some(r) = &record {
            r.lock().unwrap().extend_from_slice(&buf[..n]);
        }
        if slow.as_ref().is_some_and(|s| s.load(Ordering::Relaxed)) {
            std::thread::sleep(Duration::from_millis(16));
        }
        if to.write_all(&buf[..n]).is_err() {
            break;
        }
    }
    let _ = to.shutdown(std::net::Shutdown::Both);
}
