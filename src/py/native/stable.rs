//! `_stable`: raw byte maps of the store, for Kybra's `StableBTreeMap`. Every call goes through
//! the open transaction, and the execution's access policy decides which maps it may touch.

#[rustpython_vm::pymodule]
pub mod _stable {
    use std::ops::Bound;

    use rustpython_vm::builtins::{PyBytesRef, PyListRef};
    use rustpython_vm::function::OptionalArg;
    use rustpython_vm::{PyObjectRef, PyResult, VirtualMachine};

    use crate::db::policy::{self, Access};
    use crate::store::{self, MapId};

    fn open(mem: u16, access: Access, vm: &VirtualMachine) -> PyResult<MapId> {
        crate::py::dbaccess::check_budget(vm)?;
        policy::check_map(mem, access).map_err(|e| match e {
            policy::PolicyError::Denied { .. } => crate::py::dbaccess::permission_error(e.to_string(), vm),
            _ => vm.new_value_error(e.to_string()),
        })
    }

    fn store_err(e: impl std::fmt::Display, vm: &VirtualMachine) -> rustpython_vm::builtins::PyBaseExceptionRef {
        vm.new_runtime_error(e.to_string())
    }

    fn opt_bytes(v: Option<Vec<u8>>, vm: &VirtualMachine) -> PyObjectRef {
        match v {
            Some(b) => vm.ctx.new_bytes(b).into(),
            None => vm.ctx.none(),
        }
    }

    /// The value stored under `key`, or None.
    #[pyfunction]
    fn get(mem: u16, key: PyBytesRef, vm: &VirtualMachine) -> PyResult<PyObjectRef> {
        let m = open(mem, Access::Read, vm)?;
        let v = store::global::with(|s| s.get(m, key.as_bytes())).map_err(|e| store_err(e, vm))?;
        Ok(opt_bytes(v, vm))
    }

    /// True if `key` is present.
    #[pyfunction]
    fn contains_key(mem: u16, key: PyBytesRef, vm: &VirtualMachine) -> PyResult<bool> {
        let m = open(mem, Access::Read, vm)?;
        store::global::with(|s| s.contains(m, key.as_bytes())).map_err(|e| store_err(e, vm))
    }

    /// Stores `value` under `key`, returning the previous value or None.
    #[pyfunction]
    fn insert(mem: u16, key: PyBytesRef, value: PyBytesRef, vm: &VirtualMachine) -> PyResult<PyObjectRef> {
        let m = open(mem, Access::Write, vm)?;
        let old = store::global::with(|s| s.put(m, key.as_bytes(), value.as_bytes()))
            .map_err(|e| store_err(e, vm))?
            .map_err(|e| store_err(e, vm))?;
        Ok(opt_bytes(old, vm))
    }

    /// Removes `key`, returning its value or None.
    #[pyfunction]
    fn remove(mem: u16, key: PyBytesRef, vm: &VirtualMachine) -> PyResult<PyObjectRef> {
        let m = open(mem, Access::Write, vm)?;
        let old = store::global::with(|s| s.remove(m, key.as_bytes())).map_err(|e| store_err(e, vm))?.map_err(|e| store_err(e, vm))?;
        Ok(opt_bytes(old, vm))
    }

    /// Number of entries.
    #[pyfunction]
    fn len(mem: u16, vm: &VirtualMachine) -> PyResult<u64> {
        let m = open(mem, Access::Read, vm)?;
        store::global::with(|s| s.len(m)).map_err(|e| store_err(e, vm))
    }

    /// Up to `limit` `(key, value)` pairs in key order, strictly after `after` (or from the
    /// start when it is None); `reverse=True` walks backwards from before `after`.
    #[pyfunction]
    fn scan(mem: u16, after: Option<PyBytesRef>, limit: usize, reverse: OptionalArg<bool>, vm: &VirtualMachine) -> PyResult<PyListRef> {
        let m = open(mem, Access::Read, vm)?;
        let reverse = reverse.unwrap_or(false);
        let after = after.as_ref().map(|b| b.as_bytes());
        let rows = store::global::with(|s| match (reverse, after) {
            (false, Some(a)) => s.scan(m, Bound::Excluded(a), Bound::Unbounded, limit, false),
            (false, None) => s.scan(m, Bound::Unbounded, Bound::Unbounded, limit, false),
            (true, Some(a)) => s.scan(m, Bound::Unbounded, Bound::Excluded(a), limit, true),
            (true, None) => s.scan(m, Bound::Unbounded, Bound::Unbounded, limit, true),
        })
        .map_err(|e| store_err(e, vm))?;
        let items =
            rows.into_iter().map(|(k, v)| vm.ctx.new_tuple(vec![vm.ctx.new_bytes(k).into(), vm.ctx.new_bytes(v).into()]).into()).collect();
        Ok(vm.ctx.new_list(items))
    }
}
