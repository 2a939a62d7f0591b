//! Access to a kybra_simple_db table of the store from native code: the policy check, the
//! store borrow (never held while Python code runs) and errors as Python exceptions.

use rustpython_vm::builtins::{PyBaseExceptionRef, PyTuple, PyTypeRef};
use rustpython_vm::{PyObjectRef, PyResult, VirtualMachine};

use crate::db::policy::{self, Access};
use crate::db::{Bounds, DbError, Table};
use crate::store::{self, HostMemory, Store};

/// An engine error as the Python exception kybra_simple_db raises for it.
pub fn db_error(e: DbError, vm: &VirtualMachine) -> PyBaseExceptionRef {
    match e {
        DbError::KeyTooLarge { .. } | DbError::ValueTooLarge { .. } | DbError::CountUnderflow(_) => vm.new_value_error(e.to_string()),
        DbError::Corrupt { .. } => vm.new_value_error(e.to_string()),
        DbError::Store(s) => vm.new_runtime_error(s.to_string()),
    }
}

/// A `PermissionError` with `msg`.
pub fn permission_error(msg: String, vm: &VirtualMachine) -> PyBaseExceptionRef {
    vm.new_exception_msg(vm.ctx.exceptions.permission_error.to_owned(), msg.into())
}

/// Runs `f` on the store with the table `mem`, after checking access to `type_name`
/// (the type a key belongs to, if any).
pub fn with_table<R>(
    mem: u16,
    bounds: Bounds,
    owner: Option<&str>,
    access: Access,
    vm: &VirtualMachine,
    f: impl FnOnce(&Table, &mut Store<HostMemory>) -> Result<R, DbError>,
) -> PyResult<R> {
    check_budget(vm)?;
    let map = policy::check_db_map(mem, access).map_err(|e| permission_error(e.to_string(), vm))?;
    if let Some(t) = owner {
        policy::check_type(t, access).map_err(|e| permission_error(e.to_string(), vm))?;
    }
    let table = Table::new(map, bounds);
    store::global::with(|s| f(&table, s)).map_err(|e| vm.new_runtime_error(e.to_string()))?.map_err(|e| db_error(e, vm))
}

/// Reads a `(memory_id, max_key_size, max_value_size)` table tuple.
pub fn tbl(t: &PyObjectRef, vm: &VirtualMachine) -> PyResult<(u16, Bounds)> {
    let bad = || vm.new_type_error("a table is a (memory_id, max_key_size, max_value_size) tuple");
    let tuple = t.downcast_ref::<PyTuple>().ok_or_else(bad)?;
    let [m, k, v] = tuple.as_slice() else { return Err(bad()) };
    let (map, max_key, max_value) =
        (m.clone().try_into_value::<u16>(vm)?, k.clone().try_into_value::<usize>(vm)?, v.clone().try_into_value::<usize>(vm)?);
    // The default store keeps realms' bounds whatever a caller passes, so that every record in
    // it stays readable by kybra_simple_db (and Kybra's StableBTreeMap) as declared there.
    let bounds = if map == u16::from(store::ENTITY_MAP) {
        Bounds { max_key: max_key.min(Bounds::REALMS.max_key), max_value: max_value.min(Bounds::REALMS.max_value) }
    } else {
        Bounds { max_key, max_value }
    };
    Ok((map, bounds))
}

thread_local! {
    static BUDGET_EXCEEDED: std::cell::RefCell<Option<PyTypeRef>> = const { std::cell::RefCell::new(None) };
}

/// Registers the `BudgetExceeded` exception class (defined at boot).
pub(crate) fn set_budget_exception(cls: PyTypeRef) {
    BUDGET_EXCEEDED.with(|b| *b.borrow_mut() = Some(cls));
}

/// What the native watchdog runs in the interpreter while an execution is over its budget (a
/// pure-Python loop calls nothing that checks it): `BudgetExceeded`, or, past the 40 B limit of
/// a whole message (a codex that keeps catching it), the end of the process, as the canister
/// would trap; the state file keeps its last committed state.
#[cfg(not(target_arch = "wasm32"))]
pub(crate) fn on_over_budget(vm: &VirtualMachine) -> PyResult<()> {
    let used = crate::host::with(|h| h.performance_counter(0));
    if policy::budget().is_some() && used > crate::host::MESSAGE_LIMIT {
        eprintln!(
            "codexvm: the execution went on past the 40 B instruction limit of a message (it kept catching \
             BudgetExceeded); stopping, as the canister would trap. The state keeps its last committed state."
        );
        std::process::exit(3);
    }
    check_budget(vm)
}

/// Raises `BudgetExceeded` once the execution used more instructions than its budget (checked
/// by every storage and system call; sticky, so a codex cannot keep going by catching it).
pub fn check_budget(vm: &VirtualMachine) -> PyResult<()> {
    if !policy::over_budget() {
        return Ok(());
    }
    let budget = policy::budget().unwrap_or(0);
    let msg = format!("the execution used more than its budget of {budget} instructions; its writes are rolled back");
    // Made without calling the class, so no Python code (whatever a codex did to the class)
    // runs here.
    match BUDGET_EXCEEDED.with(|b| b.borrow().clone()) {
        Some(cls) => Err(vm.new_exception_msg(cls, msg.into())),
        None => Err(vm.new_runtime_error(msg)),
    }
}
