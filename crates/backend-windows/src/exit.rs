//! Windows process ends in cove's (Docker's) exit codes, and `CreateProcessW`
//! errors as "not found" (127) or "cannot execute" (126).

use cove_core::backend::ExecFailure;
use cove_core::exit::ExitStatus;

/// The code cove gives `TerminateJobObject` when it kills a container, read
/// back as SIGKILL (137).
pub const KILLED_EXIT_CODE: u32 = 128 + 9;

/// `STATUS_CONTROL_C_EXIT`: ended by Ctrl+C.
const STATUS_CONTROL_C_EXIT: u32 = 0xC000_013A;
/// Exceptions that are the counterpart of a Unix fatal signal.
const SIGNAL_STATUSES: &[(u32, i32)] = &[
    (0xC000_0005, 11), // STATUS_ACCESS_VIOLATION: SIGSEGV
    (0xC000_00FD, 11), // STATUS_STACK_OVERFLOW: SIGSEGV
    (0xC000_001D, 4),  // STATUS_ILLEGAL_INSTRUCTION: SIGILL
    (0xC000_0094, 8),  // STATUS_INTEGER_DIVIDE_BY_ZERO: SIGFPE
    (0xC000_0409, 6),  // STATUS_STACK_BUFFER_OVERRUN (fail-fast, abort()): SIGABRT
    (STATUS_CONTROL_C_EXIT, 2),
];

/// How the container's process ended, from `GetExitCodeProcess`.
pub fn exit_status(code: u32) -> ExitStatus {
    if code == KILLED_EXIT_CODE {
        return ExitStatus::Signaled(9);
    }
    match SIGNAL_STATUSES.iter().find(|(status, _)| *status == code) {
        Some((_, signal)) => ExitStatus::Signaled(*signal),
        // Windows exit codes are 32 bits; cove exits with the same value.
        None => ExitStatus::Exited(code as i32),
    }
}

/// `ERROR_FILE_NOT_FOUND`.
pub const ERROR_FILE_NOT_FOUND: u32 = 2;
/// `ERROR_PATH_NOT_FOUND`.
pub const ERROR_PATH_NOT_FOUND: u32 = 3;
/// `ERROR_ACCESS_DENIED`.
pub const ERROR_ACCESS_DENIED: u32 = 5;
/// `ERROR_BAD_EXE_FORMAT`.
pub const ERROR_BAD_EXE_FORMAT: u32 = 193;
/// `ERROR_DIRECTORY` (the directory name is invalid).
pub const ERROR_DIRECTORY: u32 = 267;

/// Whether a `CreateProcessW` error is the command's fault (127/126) rather
/// than cove's (125, `None`).
pub fn exec_failure(error: u32, message: &str) -> Option<ExecFailure> {
    match error {
        ERROR_FILE_NOT_FOUND | ERROR_PATH_NOT_FOUND => Some(ExecFailure::NotFound),
        ERROR_ACCESS_DENIED | ERROR_BAD_EXE_FORMAT => Some(ExecFailure::NotExecutable(message.to_owned())),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cove_core::backend::RunOutcome;

    #[test]
    fn codes_map_like_docker() {
        assert_eq!(exit_status(0).code(), 0);
        assert_eq!(exit_status(3).code(), 3);
        assert_eq!(exit_status(KILLED_EXIT_CODE).code(), 137);
        assert_eq!(exit_status(0xC000_013A).code(), 130);
        assert_eq!(exit_status(0xC000_0005).code(), 139);
        assert_eq!(exit_status(0xC000_0409).code(), 134);
        assert_eq!(exit_status(0xE043_4352), ExitStatus::Exited(0xE043_4352_u32 as i32), "other codes pass through");
    }

    #[test]
    fn spawn_errors_become_126_and_127() {
        let nf = exec_failure(ERROR_FILE_NOT_FOUND, "x").unwrap();
        assert_eq!(RunOutcome::ExecFailed { program: "x".into(), reason: nf }.exit_code(), 127);
        let ne = exec_failure(ERROR_BAD_EXE_FORMAT, "not a program").unwrap();
        assert_eq!(RunOutcome::ExecFailed { program: "x".into(), reason: ne }.exit_code(), 126);
        assert_eq!(exec_failure(ERROR_DIRECTORY, "bad cwd"), None, "cove's own fault: 125");
        assert_eq!(exec_failure(1450, "no resources"), None);
    }
}
