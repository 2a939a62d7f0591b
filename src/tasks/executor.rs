//! Runs one codex as one transaction: every store write it made commits if it finishes, and
//! none does if it raises.

use crate::host;
use crate::py::{self, Codex, Outcome, PyError, RunOptions};
use crate::store::{self, global::NotOpen, StoreError};

/// Why an execution could not be carried out at all (as opposed to the codex failing).
#[derive(Debug, thiserror::Error)]
pub enum ExecError {
    /// No store is open.
    #[error(transparent)]
    NoStore(#[from] NotOpen),
    /// The store refused to begin or commit.
    #[error("store: {0}")]
    Store(#[from] StoreError),
    /// The interpreter could not be built.
    #[error("interpreter boot failed: {0}")]
    Boot(PyError),
}

/// The record of one execution.
#[derive(Debug, Clone)]
pub struct Execution {
    /// What the codex printed and returned.
    pub outcome: Outcome,
    /// True if its writes were committed.
    pub committed: bool,
    /// Instructions the execution used (measured in the canister, estimated natively).
    pub instructions: u64,
    /// Keys written or removed by the commit.
    pub writes: usize,
}

/// Runs `codex` inside a transaction on this thread's store.
pub fn execute(codex: Codex<'_>, opts: &RunOptions) -> Result<Execution, ExecError> {
    let rt = super::runtime().map_err(ExecError::Boot)?;
    let start = host::with(|h| h.performance_counter(0));
    store::global::with(|s| s.begin())??;
    let outcome = py::exec::run(rt, codex, opts, &|_, _| Ok(()));
    let (committed, writes) = if outcome.ok() {
        let stats = store::global::with(|s| s.commit())??;
        (true, stats.puts + stats.removes)
    } else {
        store::global::with(|s| s.rollback())?;
        (false, 0)
    };
    let instructions = host::with(|h| h.performance_counter(0)).saturating_sub(start);
    Ok(Execution { outcome, committed, instructions, writes })
}
