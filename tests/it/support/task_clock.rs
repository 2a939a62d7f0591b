//! Tasks natively on a manual clock: the scheduler's API as the tests drive it.

use codexvm::host::{self, Clock, NativeHost};
use codexvm::tasks::model::{Claim, StepOutcome, TaskSpec, TaskView};
use codexvm::tasks::runner::{self, MESSAGE_LIMIT};
use codexvm::tasks::scheduler;
use serde_json::Value;

use super::fresh_store;

/// 2027-01-15T08:00:00Z, where the tests' clock starts.
pub const T0: i64 = 1_800_000_000;

/// A fresh store and a manual clock at `T0`.
pub fn setup() {
    fresh_store();
    set_time(T0);
}

/// Sets the manual clock to `s` seconds since the epoch.
pub fn set_time(s: i64) {
    host::install(Box::new(NativeHost::new(Clock::Manual(s as u64 * 1_000_000_000))));
}

/// Creates a task, now, from its spec written as JSON (a [`TaskSpec`]); returns why the
/// scheduler refused it.
pub fn try_create(spec: Value) -> Result<TaskView, String> {
    let spec: TaskSpec = serde_json::from_value(spec).expect("the JSON of a TaskSpec");
    scheduler::create(&spec, runner::now_s()).map_err(|e| e.to_string())
}

/// Creates a task, now, from its spec written as JSON (a [`TaskSpec`]).
pub fn create(spec: Value) -> TaskView {
    try_create(spec).expect("create task")
}

/// A task's whole state as the export document (with up to 100 executions).
pub fn state(name: &str) -> Value {
    scheduler::document(name, 100).expect("state")
}

/// Runs every step due at time `now`; returns the outcomes.
pub fn tick_at(now: i64) -> Vec<StepOutcome> {
    ran_at(now).into_iter().map(|(_, o)| o).collect()
}

/// Runs every step due at time `now`; returns each step claimed with its outcome.
pub fn ran_at(now: i64) -> Vec<(Claim, StepOutcome)> {
    set_time(now);
    let mut out = Vec::new();
    while let Some(x) = runner::tick(now, MESSAGE_LIMIT).expect("tick") {
        out.push(x);
    }
    out
}
