//! A throttling TCP proxy (threads) in front of a registry: slows
//! responses, records what clients send, cuts a download once or answers
//! `503` to simulate faults.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

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
