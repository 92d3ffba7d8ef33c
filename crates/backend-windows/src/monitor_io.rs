//! The stdio plumbing of cove's per-container monitor on Windows: leave
//! the CLI's console, keep the old stdout as the "ready" report channel,
//! make two anonymous pipes the standard output and error (which the
//! container's process is given), and pump what comes out of them.

use crate::sys::host::{leave_console, pipe, set_std_handle};
pub use cove_core::pump::Stream;
use std::fs::File;
use std::io;
use std::os::windows::io::{AsHandle, OwnedHandle};
use std::sync::Mutex;
use windows_sys::Win32::System::Console::{STD_ERROR_HANDLE, STD_INPUT_HANDLE, STD_OUTPUT_HANDLE};

/// The monitor's ends of the container's output.
pub struct Captured {
    /// Where the monitor reports to the CLI that started it (its old stdout).
    pub ready: File,
    /// Read end of the container's stdout.
    pub stdout: OwnedHandle,
    /// Read end of the container's stderr.
    pub stderr: OwnedHandle,
}

/// The handles that are the standard handles while the container runs
/// (stdin `NUL`, the pipes' write ends); dropped by [`release`].
static STANDARD: Mutex<Vec<OwnedHandle>> = Mutex::new(Vec::new());

/// Leaves the CLI's console, so that closing its window does not end the
/// monitor (and with its job handle, the container).
pub fn detach() -> io::Result<()> {
    leave_console();
    Ok(())
}

/// Keeps the old stdout as the report channel, makes `NUL` the standard
/// input and fresh pipes the standard output and error; returns the read
/// ends.
pub fn capture() -> io::Result<Captured> {
    let ready = File::from(io::stdout().as_handle().try_clone_to_owned()?);
    let null = OwnedHandle::from(std::fs::OpenOptions::new().read(true).write(true).open("NUL")?);
    let (out_r, out_w) = pipe()?;
    let (err_r, err_w) = pipe()?;
    set_std_handle(STD_INPUT_HANDLE, &null)?;
    set_std_handle(STD_OUTPUT_HANDLE, &out_w)?;
    set_std_handle(STD_ERROR_HANDLE, &err_w)?;
    STANDARD.lock().map_err(|_| io::Error::other("standard handles lock"))?.extend([null, out_w, err_w]);
    Ok(Captured { ready, stdout: out_r, stderr: err_r })
}

/// Points the standard handles at `NUL` and closes the pipes' write ends,
/// so the pipes reach end-of-file once the container's processes are gone.
pub fn release() -> io::Result<()> {
    let null = OwnedHandle::from(std::fs::OpenOptions::new().write(true).open("NUL")?);
    set_std_handle(STD_OUTPUT_HANDLE, &null)?;
    set_std_handle(STD_ERROR_HANDLE, &null)?;
    let mut held = STANDARD.lock().map_err(|_| io::Error::other("standard handles lock"))?;
    // The first is `NUL` as stdin: still the standard input, kept.
    held.truncate(1);
    held.push(null);
    Ok(())
}

/// Nothing to block: Windows delivers no signals to threads.
pub fn block_signals_in_this_thread() -> io::Result<()> {
    Ok(())
}

/// Copies both pipes into `sink` until both reach end-of-file.
pub fn pump(stdout: OwnedHandle, stderr: OwnedHandle, sink: &mut dyn FnMut(Stream, &[u8])) {
    let pipes: Vec<(Box<dyn io::Read + Send>, Stream)> =
        vec![(Box::new(File::from(stdout)), Stream::Stdout), (Box::new(File::from(stderr)), Stream::Stderr)];
    cove_core::pump::pump(pipes, sink);
}
