//! `cove attach [--no-stdin] [--detach-keys]` and the attaching half of
//! `start -a [-i]`: connects the caller's stdin, stdout and stderr (and,
//! with `-t`, its terminal in raw mode and its window size) to a running
//! container through its monitor's socket (`docs/architecture.md`,
//! "Attach"). The detach keys (default ctrl-p,ctrl-q) leave it running.
//! Without `-t`, the signals cove receives go to the container
//! (`--sig-proxy`, Docker's default; `--sig-proxy=false` leaves them to cove).

use crate::cli::AttachArgs;
use crate::containers::{self, HostLiveness, not_running};
use crate::output::Exit;
use crate::platform::attach_io::{self, RawMode};
use anyhow::Context;
use cove_core::container::attach::{DetachMatcher, Frame, Scan, parse_detach_keys};
use cove_core::container::{Container, ContainerStore, Status};
use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How often a `-t` session looks for a changed window size.
const RESIZE_POLL: Duration = Duration::from_millis(250);

/// What the caller connects.
pub struct Options {
    /// Forward the caller's stdin (the container must have `-i`).
    pub stdin: bool,
    /// The detach sequence (empty: none).
    pub detach_keys: Vec<u8>,
    /// Pass the signals cove receives on to the container (Docker's
    /// `--sig-proxy`, default true; never with `-t`, where the terminal
    /// sends its keys as input).
    pub sig_proxy: bool,
}

impl Options {
    /// From the flags: stdin when asked and the container takes it.
    pub fn new(c: &Container, stdin: bool, detach_keys: &str) -> anyhow::Result<Options> {
        let detach_keys = parse_detach_keys(detach_keys).map_err(|e| anyhow::anyhow!("--detach-keys: {e}"))?;
        Ok(Options { stdin: stdin && c.spec.process.stdin, detach_keys, sig_proxy: !c.spec.process.terminal })
    }
}

/// `cove attach`: until the container ends (its exit code) or the caller
/// detaches (exit 1 with "read escape sequence", as Docker).
pub fn run(args: AttachArgs) -> anyhow::Result<i32> {
    let (store, _) = containers::open()?;
    let c = containers::find(&store, &args.container)?;
    if !matches!(c.observed(&HostLiveness::new()), Status::Running | Status::Restarting) {
        let message = format!("cannot attach to container {}: it is not running (start it first)", args.container);
        return Err(Exit { code: 1, message }.into());
    }
    let mut opts = Options::new(&c, !args.no_stdin, &args.detach_keys)?;
    opts.sig_proxy &= args.sig_proxy.unwrap_or(true);
    session(&store, &c, &opts)
}

/// Attaches to `c`'s monitor until the container ends or the caller detaches.
pub fn session(store: &ContainerStore, c: &Container, opts: &Options) -> anyhow::Result<i32> {
    // ORDER: before any thread of the session starts, so none takes them.
    if opts.sig_proxy {
        attach_io::proxy_signals(signal_forwarder(store, c)).context("proxy signals to the container")?;
    }
    let path = containers::attach_socket(&c.id)?;
    let sock = UnixStream::connect(&path).map_err(|e| Exit {
        code: 1,
        message: format!(
            "cannot attach to container {}: its monitor does not answer at {} ({e})",
            c.id,
            path.display()
        ),
    })?;
    let writer = Arc::new(Mutex::new(sock.try_clone().context("dup attach socket")?));
    let tty = c.spec.process.terminal;
    let raw = (tty && opts.stdin && attach_io::stdin_is_terminal()).then(RawMode::enter);
    if tty {
        watch_window_size(writer.clone());
    }
    let detached = Arc::new(AtomicBool::new(false));
    if opts.stdin {
        forward_input(writer, opts.detach_keys.clone(), detached.clone());
    }
    let exit = relay_output(sock)?;
    drop(raw);
    if detached.load(Ordering::SeqCst) {
        eprintln!("read escape sequence");
        return Ok(1);
    }
    match exit {
        Some(code) => Ok(code),
        None => recorded_exit(store, c),
    }
}

/// Sends a signal to the container's current first process (it may have
/// been restarted since the session began).
fn signal_forwarder(store: &ContainerStore, c: &Container) -> Box<dyn FnMut(i32) + Send> {
    let (store, id) = (store.clone(), c.id.clone());
    let live = HostLiveness::new();
    Box::new(move |sig| {
        if let Ok(Some(r)) = store.get(&id)
            && let Some(init) = r.running_init(&live)
        {
            let _ = crate::platform::signal_container(&r, init.pid, sig);
        }
    })
}

/// Copies output frames to stdout and stderr; the exit code when the
/// monitor sent one before closing.
fn relay_output(sock: UnixStream) -> anyhow::Result<Option<i32>> {
    let mut reader = std::io::BufReader::new(sock);
    let mut exit = None;
    while let Ok(Some(frame)) = Frame::read_from(&mut reader) {
        let written = match frame {
            Frame::Stdout(b) => {
                let mut out = std::io::stdout().lock();
                out.write_all(&b).and_then(|()| out.flush())
            }
            Frame::Stderr(b) => std::io::stderr().write_all(&b),
            Frame::Exit(code) => {
                exit = Some(code);
                Ok(())
            }
            _ => Ok(()),
        };
        // Whoever read our output went away: stop like any writer would.
        if written.is_err() {
            break;
        }
    }
    Ok(exit)
}

/// The code the monitor recorded (it was killed, or the socket broke).
fn recorded_exit(store: &ContainerStore, c: &Container) -> anyhow::Result<i32> {
    let live = HostLiveness::new();
    containers::wait_until(store, &c.id, Some(Duration::from_secs(5)), not_running(&live))?;
    Ok(match store.get(&c.id)? {
        Some(r) if r.monitor_lost(&live) => 255,
        Some(r) => r.state.exit_code.unwrap_or(255),
        None => 0,
    })
}

/// A thread copying stdin to the monitor until end-of-file (then it
/// tells the monitor) or the detach keys (then it ends the session).
fn forward_input(writer: Arc<Mutex<UnixStream>>, keys: Vec<u8>, detached: Arc<AtomicBool>) {
    std::thread::spawn(move || {
        let mut matcher = DetachMatcher::new(keys);
        let mut buf = [0u8; 16384];
        let send = |frame: Frame| writer.lock().is_ok_and(|mut w| frame.write_to(&mut *w).is_ok());
        loop {
            let n = match std::io::stdin().lock().read(&mut buf) {
                Ok(0) | Err(_) => {
                    send(Frame::StdinClose);
                    return;
                }
                Ok(n) => n,
            };
            let (bytes, detach) = match matcher.scan(&buf[..n]) {
                Scan::Forward(b) => (b, false),
                Scan::Detach(b) => (b, true),
            };
            if !bytes.is_empty() && !send(Frame::Stdin(bytes)) {
                return;
            }
            if detach {
                detached.store(true, Ordering::SeqCst);
                if let Ok(w) = writer.lock() {
                    let _ = w.shutdown(std::net::Shutdown::Both);
                }
                return;
            }
        }
    });
}

/// A thread sending the caller's window size now and whenever it changes.
fn watch_window_size(writer: Arc<Mutex<UnixStream>>) {
    std::thread::spawn(move || {
        let mut last = None;
        loop {
            let size = attach_io::window_size();
            if size.is_some() && size != last {
                let (rows, cols) = size.unwrap_or_default();
                let sent = writer.lock().is_ok_and(|mut w| Frame::Resize { rows, cols }.write_to(&mut *w).is_ok());
                if !sent {
                    return;
                }
                last = size;
            }
            std::thread::sleep(RESIZE_POLL);
        }
    });
}
