//! Firing a codex timer: its callback runs atomically — what it writes is committed if it
//! returns, and undone if it raises (as a trap would undo a Kybra timer's message).

use crate::host;
use crate::py::{self, capture, PyError};
use crate::store;

use super::ExecError;

/// What a fired timer did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fired {
    /// The timer was cleared before it fired.
    Gone,
    /// The callback ran; `error` is its traceback if it raised (its writes were undone).
    Ran {
        /// The traceback, if it raised.
        error: Option<String>,
        /// What it printed.
        logs: Vec<String>,
    },
}

/// Runs timer `id`'s callback. Inside an open transaction (a test) its writes go into a
/// savepoint of it; otherwise into a transaction of its own, and the shared modules are put
/// back afterwards as after any execution.
pub fn fire(id: u64) -> Result<Fired, ExecError> {
    let Some(firing) = py::timers::take(id) else { return Ok(Fired::Gone) };
    let rt = super::runtime().map_err(ExecError::Boot)?;
    let nested = store::global::with(|s| s.in_transaction())?;
    let savepoint = if nested {
        Some(store::global::with(|s| s.savepoint())??)
    } else {
        store::global::with(|s| s.begin())??;
        None
    };
    let outer = capture::start(capture::DEFAULT_LIMIT);
    let result: Result<(), PyError> = rt.enter(|vm| {
        let r = firing.callback.call((), vm).and_then(|value| {
            // Calls can only be awaited by a task's async_task; a generator here would do nothing.
            if value.class().name().to_string() == "generator" {
                return Err(
                    vm.new_type_error("a timer callback cannot be a generator (async): make the calls from a task's async_task".to_owned())
                );
            }
            Ok(())
        });
        let r = if nested { r } else { r.and(py::exec::boundary(vm, py::pristine::Restore::All)) };
        r.map_err(|e| PyError::from_exception(vm, &e, None, "<timer>"))
    });
    let logs = capture::take().lines();
    capture::restore(outer, capture::DEFAULT_LIMIT);
    py::timers::fired(firing);
    match (&result, savepoint) {
        (Ok(()), Some(sp)) => store::global::with(|s| s.release(sp))??,
        (Err(_), Some(sp)) => store::global::with(|s| s.rollback_to(sp))??,
        (Ok(()), None) => drop(store::global::with(|s| s.commit())??),
        (Err(_), None) => store::global::with(|s| s.rollback())?,
    }
    let error = result.err().map(|e| e.traceback);
    if let Some(e) = &error {
        host::with(|h| h.debug_print(&format!("codexvm: timer {id} raised, its writes were undone:\n{e}")));
    }
    Ok(Fired::Ran { error, logs })
}
