//! How a container's end maps to cove's own exit code (Docker's conventions).

use serde::{Deserialize, Serialize};

/// Exit code when cove itself fails (bad flag, setup step failed).
pub const COVE_ERROR: i32 = 125;
/// Exit code when the command exists but cannot be executed.
pub const CANNOT_EXEC: i32 = 126;
/// Exit code when the command is not found.
pub const NOT_FOUND: i32 = 127;

/// How the container's main process ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ExitStatus {
    /// It called `exit` with this code.
    Exited(i32),
    /// It was killed by this signal number.
    Signaled(i32),
}

impl ExitStatus {
    /// The code cove exits with: the process's own, or 128+N for signal N.
    pub fn code(self) -> i32 {
        match self {
            ExitStatus::Exited(c) => c,
            ExitStatus::Signaled(s) => 128 + s,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signal_maps_to_128_plus_n() {
        assert_eq!(ExitStatus::Signaled(9).code(), 137);
        assert_eq!(ExitStatus::Exited(3).code(), 3);
    }
}
