//! The registry tests' own token server (a thread): bearer tokens for
//! Debian's `docker-registry` in token-auth mode, RS256 JWTs signed by
//! `openssl dgst` with a self-signed key the registry trusts.

use super::*;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The token auth service name and issuer the registry is configured with.
pub const SERVICE: &str = "cove-registry";
pub(super) const ISSUER: &str = "cove-test-issuer";

/// A token server: answers `GET /token?service=…&scope=…` with a JWT signed
/// (RS256, `openssl dgst`) by a key whose self-signed certificate the
/// registry trusts, but only for requests with the right basic credentials.
pub struct TokenServer {
    /// `127.0.0.1:PORT`.
    pub host: String,
    pub(super) cert: PathBuf,
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
        let (key, cert) = self_signed(&dir, "cove-test-token");
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
