//! Errors of the Linux backend, each naming the operation and its path or pid.

use std::io;

/// A failure to start or supervise a container.
#[derive(Debug, thiserror::Error)]
pub enum SpawnError {
    /// A step in the parent (cove's own process) failed.
    #[error("{op}")]
    Parent {
        /// The operation, with its path or pid.
        op: String,
        /// The cause.
        source: io::Error,
    },
    /// A step inside the new namespaces failed before the command ran.
    #[error("container setup failed: {step} {path}")]
    Setup {
        /// The step.
        step: String,
        /// The path it was working on.
        path: String,
        /// The cause.
        source: io::Error,
    },
    /// An OCI hook failed: one run by the runtime (`what` names it and the
    /// cause), or one run inside the container.
    #[error("{what}")]
    Hook {
        /// The hook point, index and path, and why it failed.
        what: String,
    },
    /// A resource limit this host cannot enforce for this caller (nothing
    /// was started).
    #[error("{flag} cannot be enforced: {why} (see `cove info`)")]
    Limits {
        /// The flag.
        flag: &'static str,
        /// Why, and what is missing.
        why: String,
    },
    /// The built-in network cannot start (nothing was started): a published
    /// port cannot be bound, or the TUN device cannot be opened.
    #[error("{what}{hint}")]
    Network {
        /// What failed, with its address or path.
        what: String,
        /// A hint, starting with a newline, or empty.
        hint: String,
        /// The cause.
        source: io::Error,
    },
    /// The seccomp profile cannot be compiled for this host (nothing was started).
    #[error(transparent)]
    Seccomp(#[from] crate::seccomp::CompileError),
    /// `cove exec`: the container's first process is gone, or its pid now
    /// belongs to another process.
    #[error("container process {pid} is not running: {why}")]
    NotRunning {
        /// The recorded pid.
        pid: i32,
        /// What was found instead.
        why: String,
    },
    /// The parent and child disagreed on the protocol.
    #[error("spawn protocol: expected {expected}, got {got}")]
    Protocol {
        /// What the stage waited for.
        expected: &'static str,
        /// What came.
        got: String,
    },
}

impl SpawnError {
    /// Whether this is [`SpawnError::NotRunning`] (the container has ended).
    pub fn is_not_running(&self) -> bool {
        matches!(self, SpawnError::NotRunning { .. })
    }

    /// A parent-side error for `op`.
    pub fn parent(op: impl Into<String>) -> impl FnOnce(io::Error) -> SpawnError {
        let op = op.into();
        move |source| SpawnError::Parent { op, source }
    }
}
