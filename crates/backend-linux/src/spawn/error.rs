//! Errors inside the container's processes, before `execve`: each names the
//! step and path, and crosses to the parent as a `Message`.

use super::channel::Message;
use cove_core::exit::COVE_ERROR;
use std::io;

/// What went wrong in a child stage.
#[derive(Debug)]
pub enum ChildError {
    /// A setup step failed (exit 125).
    Setup {
        /// The step.
        step: &'static str,
        /// Its path.
        path: String,
        /// The cause.
        source: io::Error,
    },
    /// An OCI hook run by the container (createContainer, startContainer)
    /// failed (exit 125).
    Hook {
        /// The hook point.
        point: &'static str,
        /// Its index in the config's list.
        index: usize,
        /// Its path.
        path: String,
        /// Why: the exit status and stderr, a timeout, or a start error.
        why: String,
    },
    /// `execve` failed (exit 126 or 127).
    Exec {
        /// The program.
        program: String,
        /// The cause.
        source: io::Error,
    },
}

/// Wraps an `io::Error` as the failure of `step` on `path`.
pub fn at(step: &'static str, path: impl Into<String>) -> impl FnOnce(io::Error) -> ChildError {
    let path = path.into();
    move |source| ChildError::Setup { step, path, source }
}

impl ChildError {
    /// The message to send to the parent.
    pub fn message(&self) -> Message {
        let errno = |e: &io::Error| e.raw_os_error().unwrap_or(libc::EIO);
        match self {
            ChildError::Setup { step, path, source } => {
                Message::SetupFailed { step: (*step).to_owned(), path: path.clone(), errno: errno(source) }
            }
            ChildError::Hook { point, index, path, why } => {
                Message::HookFailed { point: (*point).to_owned(), index: *index, path: path.clone(), why: why.clone() }
            }
            ChildError::Exec { program, source } => {
                Message::ExecFailed { program: program.clone(), errno: errno(source) }
            }
        }
    }

    /// The exit code of the failing child.
    pub fn exit_code(&self) -> i32 {
        match self {
            ChildError::Setup { .. } | ChildError::Hook { .. } => COVE_ERROR,
            ChildError::Exec { source, .. } => exec_code(source.raw_os_error()),
        }
    }
}

/// 127 when the program does not exist, 126 when it cannot be executed.
pub fn exec_code(errno: Option<i32>) -> i32 {
    match errno {
        Some(libc::ENOENT) | Some(libc::ENOTDIR) => cove_core::exit::NOT_FOUND,
        _ => cove_core::exit::CANNOT_EXEC,
    }
}
