//! Layer 5: tasks — running codexes atomically (this file's [`executor`]); the task model,
//! scheduler and `TaskEntity` build on it.

pub mod executor;

pub use executor::{execute, ExecError, Execution};
