//! Layer 5: tasks — running codexes atomically ([`executor`]), the task model as Rust types
//! ([`model`]) and read from their stored records ([`records`]), the scheduler's typed entry points ([`scheduler`], with its state machine in
//! `pylib/codexvm/scheduler.py`), scheduled, resumable task steps ([`runner`]), monitoring,
//! maintenance and the grants between tasks ([`manage`]), realms' task and object operations
//! ([`realms`]).

pub mod executor;
pub mod manage;
pub mod model;
pub mod native;
pub mod nested;
pub mod realms;
pub mod records;
mod reply;
pub mod runner;
pub mod scheduler;
pub mod timers;

pub use reply::RunReply;

use crate::py::{PyError, Runtime};

/// This thread's interpreter, booted with this layer's native modules if it was not yet (the
/// command line boots it with its own first).
pub fn runtime() -> Result<&'static Runtime, PyError> {
    Runtime::install(&native::boot_options())
}

pub use executor::{execute, ExecError, Execution};
