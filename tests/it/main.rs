//! codexvm's integration tests, in one binary so that RustPython and wasmtime are linked once.
//!
//! Two suites, each a module whose tests `scripts/test` runs by its path prefix:
//! - `native::`: the store, entity engine, interpreter, tasks and the CLI, run natively
//!   (`scripts/test --quick` runs only these);
//! - `canister::`: the built module (`target/canister/codexvm.wasm`, or `$CODEXVM_WASM`) in the
//!   wasmtime test host, and on PocketIC when `POCKET_IC_BIN` is set.

mod support;

/// Natively: no canister module needed.
mod native {
    mod cli_numbers;
    mod cli_task;
    mod codex_run;
    mod db_dump;
    mod entity_writes;
    mod examples;
    mod examples_original;
    mod faults;
    mod hostile;
    mod kill_commit;
    mod ksdb_conformance;
    mod layers;
    mod pytest_layout;
    mod python_suite;
    mod state_file;
    mod stdlib;
    mod tasks;
}

/// The built canister module in the test host.
mod canister {
    mod bad_input;
    mod examples;
    mod faults;
    mod heap;
    mod hostile;
    mod ic_scenarios;
    mod module;
    mod tasks;
    mod timers;
}
