//! What `cove pull`, `cove run`'s pulls and `cove login`/`logout` print:
//! Docker's lines (`latest: Pulling from library/alpine`, `Digest: …`,
//! `Status: …`, the full name), and one progress bar per layer on stderr
//! when it is a terminal (one line per finished layer otherwise).

use cove_image::Digest;
use cove_image::Reference;
use cove_image::registry::{LayerProgress, Progress, PullStatus, Pulled};
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::{IsTerminal, Write};
use std::path::Path;

/// Where a pull's status lines go: stdout for `cove pull`, stderr when
/// `cove run` pulls (its stdout belongs to the container).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PullStream {
    /// Standard output.
    Stdout,
    /// Standard error.
    Stderr,
}

fn line(stream: PullStream, text: &str) {
    // A closed stream must not fail the pull itself.
    let _ = match stream {
        PullStream::Stdout => writeln!(std::io::stdout().lock(), "{text}"),
        PullStream::Stderr => writeln!(std::io::stderr().lock(), "{text}"),
    };
}

/// `cove run`: the image is not local, so it is pulled.
pub fn unable_to_find(name: &str) {
    eprintln!("Unable to find image '{name}' locally");
}

/// `latest: Pulling from library/alpine`.
pub fn pull_started(stream: PullStream, reference: &Reference) {
    let what = reference.digest().map(Digest::to_string).or(reference.tag().map(str::to_owned)).unwrap_or_default();
    line(stream, &format!("{what}: Pulling from {}", reference.path()));
}

/// The end of a pull: digest, status and the full name; `-q`: the name.
pub fn pulled(stream: PullStream, quiet: bool, reference: &Reference, pulled: &Pulled) {
    if !quiet {
        line(stream, &format!("Digest: {}", pulled.digest));
        let status = match pulled.status {
            PullStatus::Downloaded => "Downloaded newer image for",
            PullStatus::UpToDate => "Image is up to date for",
        };
        line(stream, &format!("Status: {status} {}", reference.familiar()));
    }
    line(stream, &reference.to_string());
}

/// Layer progress: bars on a terminal, finished-layer lines otherwise,
/// nothing when quiet.
pub struct PullProgress {
    stream: PullStream,
    quiet: bool,
    bars: Option<MultiProgress>,
}

impl PullProgress {
    /// Progress for a pull printing to `stream`.
    pub fn new(stream: PullStream, quiet: bool) -> Self {
        let tty = std::io::stderr().is_terminal();
        let bars = (tty && !quiet).then(|| MultiProgress::with_draw_target(ProgressDrawTarget::stderr()));
        PullProgress { stream, quiet, bars }
    }
}

impl Drop for PullProgress {
    fn drop(&mut self) {
        // The bars stay on screen; what follows starts on its own line.
        if self.bars.is_some() {
            eprintln!();
        }
    }
}

fn short(digest: &Digest) -> String {
    digest.hex().chars().take(12).collect()
}

impl Progress for PullProgress {
    fn blob(&self, digest: &Digest, size: u64) -> Box<dyn LayerProgress + '_> {
        match &self.bars {
            Some(multi) => {
                let style = ProgressStyle::with_template("{prefix}: {msg:<17} [{bar:30}] {bytes}/{total_bytes}")
                    .expect("valid template")
                    .progress_chars("=> ");
                let bar = multi.add(ProgressBar::new(size).with_style(style).with_prefix(short(digest)));
                bar.set_message("Downloading");
                Box::new(Bar(bar))
            }
            None => Box::new(Lines { stream: self.stream, quiet: self.quiet, id: short(digest) }),
        }
    }
}

struct Bar(ProgressBar);

impl LayerProgress for Bar {
    fn position(&self, bytes: u64) {
        self.0.set_position(bytes);
    }
    fn finish(&self, status: &'static str) {
        self.0.finish_with_message(status);
    }
}

struct Lines {
    stream: PullStream,
    quiet: bool,
    id: String,
}

impl LayerProgress for Lines {
    fn position(&self, _: u64) {}
    fn finish(&self, status: &'static str) {
        if !self.quiet {
            line(self.stream, &format!("{}: {status}", self.id));
        }
    }
}

/// `cove login -p`: Docker's warning.
pub fn password_on_command_line() {
    eprintln!("WARNING! Using --password via the CLI is insecure. Use --password-stdin.");
}

/// A prompt on stderr, no newline.
pub fn prompt(label: &str) {
    let mut err = std::io::stderr().lock();
    let _ = write!(err, "{label}");
    let _ = err.flush();
}

/// `cove login`: where the credentials went.
pub fn logged_in(file: &Path) {
    eprintln!("Credentials saved to {} (mode 0600)", file.display());
    println!("Login Succeeded");
}

/// `cove logout`.
pub fn logged_out(registry: &str, removed: bool) {
    if removed {
        println!("Removing login credentials for {registry}");
    } else {
        eprintln!("Not logged in to {registry}");
    }
}
