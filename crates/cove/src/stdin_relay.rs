//! `-i` with a file as stdin: the command gets a pipe that a thread of
//! cove's fills from the file, never the file's descriptor. Handed the
//! descriptor, it could reopen the file through `/proc/self/fd/0` for
//! writing (a root caller's container is uid 0 with `CAP_DAC_OVERRIDE`
//! over it), or a block device for raw access. Docker relays stdin through
//! its daemon, so a container never holds the file either. Pipes,
//! terminals and sockets are handed over as they are.

use anyhow::Context;
use rustix::fs::FileType;

/// Replaces cove's own stdin by a pipe fed from what it was, when that is
/// a regular file or a block device; the command then inherits the pipe.
/// Only for foreground commands: the thread ends with cove.
pub fn pipe_file_stdin() -> anyhow::Result<()> {
    let stdin = rustix::stdio::stdin();
    let Ok(st) = rustix::fs::fstat(stdin) else { return Ok(()) };
    if !matches!(FileType::from_raw_mode(st.st_mode), FileType::RegularFile | FileType::BlockDevice) {
        return Ok(());
    }
    let file = rustix::io::fcntl_dupfd_cloexec(stdin, 3).context("keep the stdin file")?;
    let (read, mut write) = std::io::pipe().context("create the stdin pipe")?;
    // ORDER: the pipe is fd 0 before the command is forked; the write end
    // and the kept file are close-on-exec, so only cove's thread holds them.
    rustix::stdio::dup2_stdin(&read).context("put the stdin pipe on fd 0")?;
    drop(read);
    let mut file = std::fs::File::from(file);
    std::thread::Builder::new()
        .name("stdin".into())
        .spawn(move || {
            let _ = std::io::copy(&mut file, &mut write);
        })
        .context("start the stdin relay")?;
    Ok(())
}
