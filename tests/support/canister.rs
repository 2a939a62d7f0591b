//! Helpers shared by the tests that run the built module in the test host.
#![allow(dead_code)]

use std::sync::OnceLock;

use candid::{CandidType, Deserialize};
use codexvm_host::{Canister, CanisterModule};

use super::support::repo;

/// The reply of `run_codex`.
#[derive(Debug, CandidType, Deserialize)]
pub struct RunReply {
    pub success: bool,
    pub result: Option<String>,
    pub error: Option<String>,
    pub logs: Vec<String>,
    pub instructions: u64,
}

/// The module under test (`CODEXVM_WASM`, else `target/canister/codexvm.wasm`).
pub fn wasm_path() -> std::path::PathBuf {
    std::env::var_os("CODEXVM_WASM").map(Into::into).unwrap_or_else(|| repo("target/canister/codexvm.wasm"))
}

/// The compiled module (once per test binary).
pub fn module() -> &'static CanisterModule {
    static M: OnceLock<CanisterModule> = OnceLock::new();
    M.get_or_init(|| {
        let p = wasm_path();
        CanisterModule::load(&p).unwrap_or_else(|e| panic!("{e}\n(build the module first: scripts/build-canister)"))
    })
}

/// A freshly installed canister.
pub fn installed() -> Canister {
    let (c, report) = Canister::install(module(), &candid::encode_args(()).unwrap()).expect("instantiate");
    assert!(report.result.is_ok(), "init failed: {:?}\n{}", report.result, report.debug_log.join("\n"));
    c
}

/// Runs a codex as the controller.
pub fn run(c: &mut Canister, source: &str) -> RunReply {
    c.update("run_codex", &candid::encode_one(source).unwrap()).decode()
}

/// Runs a codex as the controller and returns its result JSON, panicking if it raised.
pub fn result_of(c: &mut Canister, source: &str) -> String {
    let r = run(c, source);
    assert!(r.success, "codex raised:\n{}", r.error.unwrap_or_default());
    r.result.unwrap()
}
