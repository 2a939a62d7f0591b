//! Helpers shared by the tests that run the built module in the test host.
#![allow(dead_code)]

use std::sync::OnceLock;

use codexvm_host::{Canister, CanisterModule};

use super::repo;

pub use codexvm::canister::types::{RunReply, StepSpec, TaskSpec, TaskState, TaskView};

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

/// Standard base64 of `s` (the realms endpoints take codex source so encoded).
pub fn b64(s: &str) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for ch in s.as_bytes().chunks(3) {
        let n = (ch[0] as u32) << 16 | (*ch.get(1).unwrap_or(&0) as u32) << 8 | *ch.get(2).unwrap_or(&0) as u32;
        for i in 0..4 {
            out.push(if i <= ch.len() { T[(n >> (18 - 6 * i) & 63) as usize] as char } else { '=' });
        }
    }
    out
}

/// A one-step task running `code`.
pub fn spec(name: &str, code: &str) -> TaskSpec {
    TaskSpec::one_step(name, code)
}

/// Creates a task as the controller.
pub fn create(c: &mut Canister, s: &TaskSpec) -> TaskView {
    let r: Result<TaskView, String> = c.update("create_task", &candid::encode_one(s).unwrap()).decode();
    r.unwrap_or_else(|e| panic!("create_task: {e}"))
}

/// A task's state (with up to 100 executions).
pub fn state(c: &mut Canister, name: &str) -> TaskState {
    let r: Result<TaskState, String> = c.query("get_task", &candid::encode_args((name, 100u32)).unwrap()).decode();
    r.unwrap_or_else(|e| panic!("get_task: {e}"))
}

/// Advances the clock, failing if a timer message failed.
pub fn advance(c: &mut Canister, secs: u64) {
    for r in c.advance_time(std::time::Duration::from_secs(secs)) {
        assert!(r.result.is_ok(), "a timer message failed: {:?}\n{}", r.result, r.debug_log.join("\n"));
    }
}
