//! Timers a codex sets with `ic.set_timer` / `ic.set_timer_interval`: their Python callbacks,
//! when they are due, and the globals they keep alive. The host arms them (in the canister, as
//! IC timers); [`crate::tasks::timers`] runs a callback when one fires.
//!
//! A finished execution empties its globals to break reference cycles; a callback defined by
//! the codex still needs them, so an execution's globals that a pending timer's callback runs
//! in are emptied only once the last such timer is gone. Other globals (a module's) are never
//! emptied here.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;

use rustpython_vm::builtins::PyDictRef;
use rustpython_vm::{AsObject, PyObjectRef, PyResult, VirtualMachine};

use crate::host;

/// A pending timer.
struct Entry {
    callback: PyObjectRef,
    globals: Option<PyDictRef>,
    due_ns: u64,
    interval_ns: Option<u64>,
}

thread_local! {
    static TIMERS: RefCell<BTreeMap<u64, Entry>> = const { RefCell::new(BTreeMap::new()) };
    /// Finished executions' globals left filled for a pending timer, to empty once it is gone.
    static DEFERRED: RefCell<Vec<PyDictRef>> = const { RefCell::new(Vec::new()) };
    static NEXT_ID: Cell<u64> = const { Cell::new(1) };
}

/// A pending timer, as fixtures and monitoring show it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pending {
    /// Its id (Kybra's `TimerId`).
    pub id: u64,
    /// When it fires next (nanoseconds since the epoch).
    pub due_ns: u64,
    /// Its period, for an interval timer.
    pub interval_ns: Option<u64>,
}

/// Registers `callback` to run `delay_ns` from now (then every `interval_ns`, if given) and asks
/// the host to arm it. Refused inside a task: a task repeats through its schedule.
pub fn set(vm: &VirtualMachine, delay_ns: u64, interval_ns: Option<u64>, callback: PyObjectRef) -> PyResult<u64> {
    if let Some(task) = crate::db::policy::task() {
        return Err(vm.new_exception_msg(
            vm.ctx.exceptions.permission_error.to_owned(),
            format!("task '{task}' may not set timers: a task runs again through its schedule (repeat_every), which admins set").into(),
        ));
    }
    if !callback.is_callable() {
        return Err(vm.new_type_error(format!("a timer's callback must be callable, not {}", callback.class().name())));
    }
    if interval_ns == Some(0) {
        return Err(vm.new_value_error("a timer interval must be at least 1 nanosecond".to_owned()));
    }
    let globals = globals_of(vm, &callback);
    let id = NEXT_ID.with(|n| {
        let id = n.get();
        n.set(id + 1);
        id
    });
    let due_ns = host::with(|h| h.time_ns()).saturating_add(delay_ns);
    TIMERS.with_borrow_mut(|t| t.insert(id, Entry { callback, globals, due_ns, interval_ns }));
    host::with(|h| h.set_timer(id, delay_ns, interval_ns));
    Ok(id)
}

/// The globals a callback's code runs in (a function's, a bound method's function's).
fn globals_of(vm: &VirtualMachine, callback: &PyObjectRef) -> Option<PyDictRef> {
    let func = vm.get_attribute_opt(callback, "__func__").ok().flatten().unwrap_or_else(|| callback.clone());
    let g = vm.get_attribute_opt(&func, "__globals__").ok().flatten()?;
    g.downcast::<rustpython_vm::builtins::PyDict>().ok()
}

/// Cancels timer `id` (nothing happens for an unknown or finished one, as on the IC).
pub fn clear(id: u64) {
    let gone = TIMERS.with_borrow_mut(|t| t.remove(&id));
    if let Some(e) = gone {
        host::with(|h| h.clear_timer(id));
        release_unless_pinned(e.globals);
    }
}

/// The pending timers, soonest first.
pub fn pending() -> Vec<Pending> {
    let mut v: Vec<Pending> =
        TIMERS.with_borrow(|t| t.iter().map(|(id, e)| Pending { id: *id, due_ns: e.due_ns, interval_ns: e.interval_ns }).collect());
    v.sort_by_key(|p| (p.due_ns, p.id));
    v
}

/// A timer taken to fire: its callback, and the globals to release after it ran (one-shot).
pub struct Firing {
    /// The callback.
    pub callback: PyObjectRef,
    globals: Option<PyDictRef>,
}

/// Takes timer `id` for firing: a one-shot timer leaves the registry, an interval timer is due
/// again one period later. None if it was cleared.
pub fn take(id: u64) -> Option<Firing> {
    TIMERS.with_borrow_mut(|t| {
        let e = t.get_mut(&id)?;
        match e.interval_ns {
            Some(i) => {
                e.due_ns = e.due_ns.saturating_add(i);
                Some(Firing { callback: e.callback.clone(), globals: None })
            }
            None => t.remove(&id).map(|e| Firing { callback: e.callback, globals: e.globals }),
        }
    })
}

/// After a fired callback ran: releases a one-shot timer's globals if no other timer needs them.
pub fn fired(f: Firing) {
    release_unless_pinned(f.globals);
}

fn release_unless_pinned(globals: Option<PyDictRef>) {
    let Some(g) = globals else { return };
    if pins(&g) {
        return;
    }
    let deferred = DEFERRED.with_borrow_mut(|d| d.iter().position(|x| x.is(&g)).map(|i| d.swap_remove(i)));
    if deferred.is_some() {
        g.clear();
    }
}

/// For [`super::exec::release`]: true if `globals` must stay filled for a pending timer (they
/// are then emptied when the last such timer is gone).
pub fn defer_release(globals: &PyDictRef) -> bool {
    if !pins(globals) {
        return false;
    }
    DEFERRED.with_borrow_mut(|d| {
        if !d.iter().any(|x| x.is(globals)) {
            d.push(globals.clone());
        }
    });
    true
}

/// True if a pending timer's callback runs in `globals` (which must then stay filled).
pub fn pins(globals: &PyDictRef) -> bool {
    TIMERS.with_borrow(|t| t.values().any(|e| e.globals.as_ref().is_some_and(|g| g.is(globals))))
}

/// Forgets every timer (an upgrade loses them, as Kybra's do); returns how many there were.
pub fn forget_all() -> usize {
    let all = TIMERS.with_borrow_mut(std::mem::take);
    let n = all.len();
    for (id, e) in all {
        host::with(|h| h.clear_timer(id));
        release_unless_pinned(e.globals);
    }
    n
}
