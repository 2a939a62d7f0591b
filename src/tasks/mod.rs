//! Layer 5: tasks — running codexes atomically ([`executor`]), scheduled, resumable task steps
//! ([`runner`], with the scheduler's state machine in `pylib/codexvm/scheduler.py`), monitoring,
//! maintenance and the grants between tasks ([`manage`]).

pub mod executor;
pub mod manage;
pub mod native;
pub mod nested;
mod reply;
pub mod runner;
pub mod timers;

pub use reply::RunReply;

use crate::py::{PyError, Runtime};

/// This thread's interpreter, booted with this layer's native modules if it was not yet (the
/// command line boots it with its own first).
pub fn runtime() -> Result<&'static Runtime, PyError> {
    Runtime::install(&native::boot_options())
}

pub use executor::{execute, ExecError, Execution};
