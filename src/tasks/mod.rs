//! Layer 5: tasks — running codexes atomically ([`executor`]), scheduled, resumable task steps
//! ([`runner`], with the scheduler's state machine in `pylib/codexvm/scheduler.py`) and the
//! grants that open one task's namespace to another ([`grants`]), monitoring and maintenance
//! ([`manage`]).

pub mod executor;
pub mod grants;
pub mod manage;
pub mod nested;
pub mod runner;
pub mod timers;

pub use executor::{execute, ExecError, Execution};
