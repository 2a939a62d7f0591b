//! Helpers shared by the native integration tests.
#![allow(dead_code)]

use codexvm::py::{Codex, RunOptions};
use codexvm::store::{self, FileMemory, Store};
use codexvm::tasks::{self, Execution};

pub mod canister;
pub mod ic;
#[cfg(feature = "pocketic")]
pub mod pocketic;
pub mod scenarios;
pub mod task_clock;

/// Runs `f` on a thread with a large stack (RustPython recurses on the native stack).
pub fn in_vm<R: Send + 'static>(f: impl FnOnce() -> R + Send + 'static) -> R {
    std::thread::Builder::new().stack_size(256 << 20).spawn(f).expect("spawn").join().unwrap_or_else(|e| std::panic::resume_unwind(e))
}

/// Installs an empty in-memory store on this thread.
pub fn fresh_store() {
    store::global::install(Store::open(FileMemory::in_memory()));
}

/// Runs `source` as a codex named `<test>` in a transaction.
pub fn run(source: &str) -> Execution {
    tasks::execute(Codex { source, filename: "<test>" }, &RunOptions::default()).expect("execute")
}

/// Runs `source` and returns its result JSON, panicking with the traceback if it raised.
pub fn result_of(source: &str) -> String {
    let x = run(source);
    match x.outcome.result {
        Ok(j) => j,
        Err(e) => panic!("codex raised:\n{}", e.traceback),
    }
}

/// Runs the `codexvm` binary with `args` on the state file `state`.
pub fn codexvm(args: &[&str], state: &std::path::Path) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_codexvm")).args(args).arg("--state").arg(state).output().expect("run codexvm")
}

/// Path of a file in the repository.
pub fn repo(path: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

/// A codex that imports every native module the interpreter registers, and shows that the
/// modules left out of the build (`scripts/patch-deps`) are cleanly missing.
pub fn native_modules_check() -> String {
    let names: Vec<String> = codexvm::py::STDLIB_NATIVE.iter().map(|m| format!("{m:?}")).collect();
    format!(
        "import importlib\nfor m in [{}]:\n    importlib.import_module(m)\nmissing = []\n\
         for m in ['zlib', '_csv', 'pyexpat', '_pickle', '_codecs_jp', '_multibytecodec', '_asyncio', '_lzma', '_bz2']:\n\
         \x20   try:\n        importlib.import_module(m)\n    except ModuleNotFoundError:\n        missing.append(m)\n\
         result = missing\n",
        names.join(", ")
    )
}

/// What [`native_modules_check`] returns.
pub const NATIVE_MODULES_MISSING: &str =
    r#"["zlib", "_csv", "pyexpat", "_pickle", "_codecs_jp", "_multibytecodec", "_asyncio", "_lzma", "_bz2"]"#;
