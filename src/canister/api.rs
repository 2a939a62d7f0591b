//! Candid endpoints.

use candid::{CandidType, Deserialize};

use crate::py::{Codex, RunOptions};
use crate::tasks;

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

fn require_controller() {
    let caller = ic_cdk::api::msg_caller();
    if !ic_cdk::api::is_controller(&caller) {
        ic_cdk::trap(format!("codexvm: {caller} is not a controller of this canister"));
    }
}

/// Runs a codex now, as one atomic execution (controllers only).
#[ic_cdk::update]
fn run_codex(source: String) -> RunReply {
    require_controller();
    let exec = match tasks::execute(Codex { source: &source, filename: "<codex>" }, &RunOptions::default()) {
        Ok(x) => x,
        Err(e) => ic_cdk::trap(format!("codexvm: {e}")),
    };
    let logs = exec.outcome.captured.lines();
    match exec.outcome.result {
        Ok(json) => RunReply { success: true, result: Some(json), error: None, logs, instructions: exec.instructions },
        Err(e) => RunReply { success: false, result: None, error: Some(e.traceback), logs, instructions: exec.instructions },
    }
}

/// Size of the stable memory, in 64 KiB pages.
#[ic_cdk::query]
fn stable_size() -> u64 {
    ic_cdk::api::stable_size()
}

ic_cdk::export_candid!();
