//! A hostile registry (issue 4): a small HTTP server of the test's own on
//! 127.0.0.1 answers `cove pull` with endless bodies, redirects to other
//! schemes and hosts, 401 loops, digests with path characters and blobs
//! longer than their descriptors. Every pull must fail with a cove error
//! (125) within its time limit, store nothing, and send credentials only
//! to the registry itself.

mod common;

use common::*;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// One request as the server saw it: the request line and headers.
type Seen = Arc<Mutex<Vec<String>>>;

/// What the server answers.
enum Reply {
    /// Status, extra headers, body.
    Full(u16, Vec<(String, String)>, Vec<u8>),
    /// 200 with no length, then zeros until the client goes away (at most 20 s).
    Endless,
}

/// A thread serving `answer` on 127.0.0.1, stopped on drop.
struct Server {
    host: String,
    seen: Seen,
    stop: Arc<AtomicBool>,
}

impl Server {
    fn start(answer: impl Fn(&str, &str) -> Reply + Send + Sync + 'static) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let host = listener.local_addr().unwrap().to_string();
        let (seen, stop): (Seen, _) = (Arc::default(), Arc::new(AtomicBool::new(false)));
        let (seen2, stop2, answer) = (Arc::clone(&seen), Arc::clone(&stop), Arc::new(answer));
        std::thread::spawn(move || {
            let end = Instant::now() + Duration::from_secs(120);
            while !stop2.load(Ordering::Relaxed) && Instant::now() < end {
                match listener.accept() {
                    Ok((s, _)) => {
                        let (seen, answer) = (Arc::clone(&seen2), Arc::clone(&answer));
                        std::thread::spawn(move || serve(s, &seen, &*answer));
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(10)),
                }
            }
        });
        Server { host, seen, stop }
    }

    fn seen(&self) -> Vec<String> {
        self.seen.lock().unwrap().clone()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

fn serve(stream: TcpStream, seen: &Mutex<Vec<String>>, answer: &(dyn Fn(&str, &str) -> Reply + Send + Sync)) {
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut out = stream;
    loop {
        let mut head = String::new();
        loop {
            let mut line = String::new();
            match reader.read_line(&mut line) {
                Ok(0) | Err(_) => return,
                Ok(_) if line == "\r\n" => break,
                Ok(_) => head.push_str(&line),
            }
        }
        seen.lock().unwrap().push(head.clone());
        let path = head.split_whitespace().nth(1).unwrap_or("/").to_owned();
        match answer(&path, &head) {
            Reply::Full(status, headers, body) => {
                let mut text = format!("HTTP/1.1 {status} X\r\nContent-Length: {}\r\n", body.len());
                for (k, v) in headers {
                    text.push_str(&format!("{k}: {v}\r\n"));
                }
                text.push_str("\r\n");
                if out.write_all(text.as_bytes()).and_then(|()| out.write_all(&body)).is_err() {
                    return;
                }
            }
            Reply::Endless => {
                let ct = "Content-Type: application/vnd.oci.image.manifest.v1+json";
                let _ = out.write_all(format!("HTTP/1.1 200 OK\r\n{ct}\r\nConnection: close\r\n\r\n").as_bytes());
                let end = Instant::now() + Duration::from_secs(20);
                let chunk = vec![b' '; 64 * 1024];
                while Instant::now() < end && out.write_all(&chunk).is_ok() {}
                return;
            }
        }
    }
}

fn ok_json(body: String) -> Reply {
    let ct = ("Content-Type".to_owned(), "application/vnd.oci.image.manifest.v1+json".to_owned());
    Reply::Full(200, vec![ct], body.into_bytes())
}

fn pull(mode: Mode, dir: &TestDir, name: &str) -> Out {
    cove(mode)
        .env("COVE_ROOT", &dir.join("store").display().to_string())
        .env("DOCKER_CONFIG", &dir.join("docker").display().to_string())
        .args(["pull", name])
        .timeout(Duration::from_secs(60))
        .run()
}

fn assert_refused(out: &Out, why: &str) {
    if out.code != Some(125) {
        out.fail(&format!("exit 125: {why}"));
    }
}

fn sha(bytes: &[u8]) -> String {
    use sha2::Digest as _;
    format!("sha256:{}", hex::encode(sha2::Sha256::digest(bytes)))
}

/// An endless manifest body is cut off at cove's limit, not read forever.
#[test]
fn endless_manifest_is_cut_off() {
    let server = Server::start(|path, _| match path {
        "/v2/" => Reply::Full(200, vec![], Vec::new()),
        _ => Reply::Endless,
    });
    for mode in modes() {
        let dir = TestDir::new(mode, "evil-reg");
        let started = Instant::now();
        let out = pull(mode, &dir, &format!("{}/evil/endless:1", server.host));
        assert_refused(&out, "an endless manifest");
        assert!(started.elapsed() < Duration::from_secs(15), "{}: took {:?}", out.desc, started.elapsed());
    }
}

/// A registry that answers every request with a new challenge: one answer,
/// then an error, not a loop.
#[test]
fn a_401_loop_ends() {
    let server = Server::start(|_, _| {
        let challenge = ("WWW-Authenticate".to_owned(), "Basic realm=\"evil\"".to_owned());
        Reply::Full(401, vec![challenge], Vec::new())
    });
    for mode in modes() {
        let dir = TestDir::new(mode, "evil-reg");
        let auth = b64(&format!("u:{}", "pw"));
        dir.write("docker/config.json", format!("{{\"auths\":{{\"{}\":{{\"auth\":\"{auth}\"}}}}}}", server.host));
        let before = server.seen().len();
        let out = pull(mode, &dir, &format!("{}/evil/loop:1", server.host));
        assert_refused(&out, "a registry that never accepts");
        let asked = server.seen().len() - before;
        assert!(asked <= 8, "{}: {asked} requests to a 401 loop", out.desc);
    }
}

/// Redirects to `file://`, to a plain-HTTP host that is not loopback, and to
/// another server: no local file is read, and the credentials for the
/// registry never reach the other server.
#[test]
fn redirects_do_not_carry_credentials_or_schemes() {
    let other = Server::start(|_, _| ok_json("{}".into()));
    let other_host = other.host.clone();
    let server = Server::start(move |path, head| {
        let authorized = head.to_ascii_lowercase().contains("authorization: basic");
        if !authorized {
            let challenge = ("WWW-Authenticate".to_owned(), "Basic realm=\"evil\"".to_owned());
            return Reply::Full(401, vec![challenge], Vec::new());
        }
        let to = match path {
            p if p.contains("/file/") => "file:///etc/passwd".to_owned(),
            p if p.contains("/far/") => "http://192.0.2.1:9/v2/x/manifests/1".to_owned(),
            _ => format!("http://{other_host}/v2/evil/other/manifests/1"),
        };
        Reply::Full(302, vec![("Location".to_owned(), to)], Vec::new())
    });
    for mode in modes() {
        let dir = TestDir::new(mode, "evil-reg");
        let auth = b64("u:s3cret");
        dir.write("docker/config.json", format!("{{\"auths\":{{\"{}\":{{\"auth\":\"{auth}\"}}}}}}", server.host));
        for repo in ["file", "far", "other"] {
            let out = pull(mode, &dir, &format!("{}/evil/{repo}:1", server.host));
            assert_refused(&out, &format!("a redirect ({repo})"));
        }
    }
    for req in other.seen() {
        assert!(!req.to_ascii_lowercase().contains("authorization"), "credentials followed a redirect: {req}");
    }
}

/// Manifests whose config or layer digests are paths, and a blob longer
/// than its descriptor: refused, nothing stored.
#[test]
fn hostile_manifests_and_blobs_are_refused() {
    let config = br#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}"#.to_vec();
    let cfg_digest = sha(&config);
    let manifest = |digest: &str, size: usize| {
        format!(
            r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",
            "config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{digest}","size":{size}}},"layers":[]}}"#
        )
    };
    let (m_path, m_upper, m_short) = (
        manifest("sha256:../../../../../../../etc/passwd", 10),
        manifest(&cfg_digest.to_uppercase().replace("SHA256", "sha256"), config.len()),
        manifest(&cfg_digest, config.len() - 10),
    );
    let server = Server::start(move |path, _| match path {
        "/v2/" => Reply::Full(200, vec![], Vec::new()),
        p if p.contains("/blobs/") => Reply::Full(200, vec![], config.clone()),
        p if p.contains("/path/") => ok_json(m_path.clone()),
        p if p.contains("/upper/") => ok_json(m_upper.clone()),
        _ => ok_json(m_short.clone()),
    });
    for mode in modes() {
        let dir = TestDir::new(mode, "evil-reg");
        for repo in ["path", "upper", "short"] {
            let out = pull(mode, &dir, &format!("{}/evil/{repo}:1", server.host));
            assert_refused(&out, &format!("a hostile manifest ({repo})"));
        }
        let store = dir.join("store");
        let out = cove(mode).env("COVE_ROOT", store.to_str().unwrap()).args(["images", "-q"]).run();
        out.ok().stdout_is("");
    }
    for req in server.seen() {
        assert!(!req.contains(".."), "a request path built from a hostile digest: {req}");
    }
}

fn b64(s: &str) -> String {
    const T: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let b = s.as_bytes();
    let mut out = String::new();
    for c in b.chunks(3) {
        let n =
            (u32::from(c[0]) << 16) | (u32::from(*c.get(1).unwrap_or(&0)) << 8) | u32::from(*c.get(2).unwrap_or(&0));
        for i in 0..4 {
            if i <= c.len() {
                out.push(T[(n >> (18 - 6 * i)) as usize & 63] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}
