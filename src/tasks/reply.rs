//! The reply of `run_codex`, shared by the canister and what drives it from outside (the
//! `canister` fixture, the tests).

use candid::{CandidType, Deserialize};

/// The reply of `run_codex`.
#[derive(Debug, Clone, CandidType, Deserialize)]
pub struct RunReply {
    /// True if the codex finished (and its writes were committed).
    pub success: bool,
    /// JSON text of the codex's `result` on success.
    pub result: Option<String>,
    /// The traceback on failure.
    pub error: Option<String>,
    /// Captured output, one entry per line (stdout, then stderr).
    pub logs: Vec<String>,
    /// Instructions the execution used.
    pub instructions: u64,
}
