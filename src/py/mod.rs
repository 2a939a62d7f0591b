//! Layer 3: the RustPython host — the interpreter, frozen modules, native modules, captured
//! output, per-execution globals, start-up-only settings, and Python errors as Rust errors.

pub mod candid_text;
pub mod capture;
pub mod dbaccess;
pub mod entity;
mod error;
pub mod exec;
mod frozen;
pub mod http_outcall;
pub mod imports;
mod interp;
pub mod names;
pub mod native;
pub mod pristine;
pub mod pyjson;
pub mod startup;
pub mod timers;

pub use capture::Captured;
pub use error::PyError;
pub use exec::{Codex, Outcome, RunOptions};
pub use interp::{BootOptions, Runtime, GC_YOUNG_THRESHOLD, MAX_RECURSION_LIMIT, PRELOAD, STDLIB_NATIVE};
