//! Tasks natively on a manual clock: the scheduler's API as the tests drive it.

use codexvm::host::{self, Clock, NativeHost};
use codexvm::tasks::runner::{self, ApiArg, MESSAGE_LIMIT};
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

/// Creates a task from its JSON spec, now.
pub fn create(spec: Value) -> Value {
    runner::api("create_task", vec![ApiArg::Str(spec.to_string()), ApiArg::Int(runner::now_s())]).expect("create task")
}

/// A task's whole state (with up to 100 executions).
pub fn state(name: &str) -> Value {
    runner::api("state", vec![ApiArg::Str(name.into()), ApiArg::Int(100)]).expect("state")
}

/// Runs every step due at time `now`; returns the outcomes.
pub fn tick_at(now: i64) -> Vec<runner::StepOutcome> {
    ran_at(now).into_iter().map(|(_, o)| o).collect()
}

/// Runs every step due at time `now`; returns each step claimed with its outcome.
pub fn ran_at(now: i64) -> Vec<(runner::Claim, runner::StepOutcome)> {
    set_time(now);
    let mut out = Vec::new();
    while let Some(x) = runner::tick(now, MESSAGE_LIMIT).expect("tick") {
        out.push(x);
    }
    out
}
