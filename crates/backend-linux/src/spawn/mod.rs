//! The spawn pipeline, one stage per file (see docs/spawn-pipeline.md).

mod channel;

use crate::SpawnError;
use cove_core::backend::RunOutcome;
use cove_core::plan::Plan;

/// Runs `plan` in the foreground.
pub fn run(_plan: &Plan) -> Result<RunOutcome, SpawnError> {
    let _ = channel::pair();
    Err(SpawnError::Protocol { expected: "implementation", got: "stub".into() })
}
