//! A closed stdout (`cove ps | head -1`): the command ends quietly with
//! the shell status of a SIGPIPE death (141), as Docker's CLI does, instead
//! of a panic from `println!` or an error line about a broken pipe.

/// Docker's CLI dies of SIGPIPE: the shell reports 128 + 13.
pub const CLOSED_STDOUT: i32 = 141;

/// Makes a failed write to a closed stdout or stderr (whichever `print!`
/// panics on) end the process with [`CLOSED_STDOUT`] and no message; every
/// other panic is reported as before.
pub fn end_quietly_on_closed_output() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let text = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or_default();
        if text.starts_with("failed printing to std") && text.contains("Broken pipe") {
            std::process::exit(CLOSED_STDOUT);
        }
        previous(info);
    }));
}

/// Whether an error was caused by writing to stdout after its reader
/// went (a broken pipe elsewhere, to a registry say, is a real error).
pub fn is_closed_output(err: &anyhow::Error) -> bool {
    let broken = err
        .chain()
        .any(|e| e.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe));
    broken && stdout_reader_gone()
}

/// A pipe's write end polls as an error once no reader is left.
#[cfg(unix)]
fn stdout_reader_gone() -> bool {
    use rustix::event::{PollFd, PollFlags, Timespec, poll};
    let stdout = rustix::stdio::stdout();
    let mut fds = [PollFd::new(&stdout, PollFlags::empty())];
    let now = Timespec { tv_sec: 0, tv_nsec: 0 };
    poll(&mut fds, Some(&now)).is_ok_and(|n| n > 0) && fds[0].revents().contains(PollFlags::ERR)
}

#[cfg(not(unix))]
fn stdout_reader_gone() -> bool {
    true
}
