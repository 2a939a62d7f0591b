//! Running a codex from privileged Python code (a test, a controller's shell codex): in its own
//! savepoint inside the caller's transaction, optionally as a task (TaskEntity, namespace
//! policy), with its output captured apart and realms' `run_code` result shape.

use rustpython_vm::builtins::PyDictRef;
use rustpython_vm::{PyObjectRef, PyResult, VirtualMachine};

use crate::db::policy::{self, ExecContext};
use crate::host::{self, Principal};
use crate::py::{capture, exec, Codex, PyError};
use crate::store;

use super::runner;

fn store_err(vm: &VirtualMachine, e: impl std::fmt::Display) -> rustpython_vm::builtins::PyBaseExceptionRef {
    vm.new_runtime_error(e.to_string())
}

/// Runs `source` (as task `task` when given); returns `{success, result, logs}` or
/// `{success: False, error, logs}`. A failed codex leaves no writes.
pub fn run(vm: &VirtualMachine, source: &str, task: Option<String>, filename: &str) -> PyResult<PyDictRef> {
    if policy::task().is_some() {
        return Err(vm.new_exception_msg(
            vm.ctx.exceptions.permission_error.to_owned(),
            "a task's codex cannot run other codexes".to_owned().into(),
        ));
    }
    let sp = store::global::with(|s| s.savepoint()).map_err(|e| store_err(vm, e))?.map_err(|e| store_err(vm, e))?;
    let grants = task.as_deref().map(runner::grants_of).unwrap_or_default();
    let previous = policy::set_context(ExecContext { task: task.clone(), grants, budget: None });
    let outer = capture::start(capture::DEFAULT_LIMIT);
    let codex = Codex { source, filename };
    let result = (|| -> PyResult<PyObjectRef> {
        let globals = match &task {
            // A task starts from a fresh database view (no entity objects of other contexts).
            Some(t) => exec::run_top_with(vm, codex, &runner::task_globals(t), true)?,
            None => exec::run_top_with(vm, codex, &|_, _| Ok(()), false)?,
        };
        let async_task = globals.get_item_opt("async_task", vm);
        let r = match async_task {
            Ok(Some(f)) if task.is_some() => f.call((), vm).and_then(|g| drive(vm, g)),
            Ok(_) => globals.get_item_opt("result", vm).map(|r| r.unwrap_or_else(|| vm.ctx.none())),
            Err(e) => Err(e),
        };
        exec::release(&globals);
        r
    })();
    let captured = capture::take();
    capture::restore(outer, capture::DEFAULT_LIMIT);
    policy::set_context(previous);
    let ok = result.is_ok();
    store::global::with(|s| if ok { s.release(sp) } else { s.rollback_to(sp) })
        .map_err(|e| store_err(vm, e))?
        .map_err(|e| store_err(vm, e))?;
    let out = vm.ctx.new_dict();
    out.set_item("success", vm.ctx.new_bool(ok).into(), vm)?;
    let logs: Vec<PyObjectRef> = captured.lines().into_iter().map(|l| vm.ctx.new_str(l).into()).collect();
    match result {
        Ok(value) => out.set_item("result", value, vm)?,
        Err(e) => {
            let err = PyError::from_exception(vm, &e, Some(source), filename);
            out.set_item("error", vm.ctx.new_str(err.traceback).into(), vm)?;
        }
    }
    out.set_item("logs", vm.ctx.new_list(logs).into(), vm)?;
    Ok(out)
}

/// Drives an `async_task` generator to the end, making each call at once through the host.
fn drive(vm: &VirtualMachine, gen: PyObjectRef) -> PyResult<PyObjectRef> {
    if gen.class().name().to_string() != "generator" {
        return Ok(gen);
    }
    vm.import("codexvm.asyncdrive", 0)?;
    let module = vm.sys_module.get_attr("modules", vm)?.get_item("codexvm.asyncdrive", vm)?;
    let driver = module.get_attr("Driver", vm)?.call((gen,), vm)?;
    let mut reply = vm.ctx.none();
    loop {
        let r = driver.get_attr("advance", vm)?.call((reply,), vm)?;
        let (kind, payload) = (r.get_item(&0, vm)?, r.get_item(&1, vm)?);
        if kind.str(vm)?.to_string_lossy() == "done" {
            return Ok(payload);
        }
        let bytes = |k: &'static str| -> PyResult<Vec<u8>> {
            Ok(payload.get_item(k, vm)?.try_into_value::<rustpython_vm::builtins::PyBytesRef>(vm)?.as_bytes().to_vec())
        };
        let target = Principal::try_from_slice(&bytes("canister")?).map_err(|e| vm.new_value_error(e.to_string()))?;
        let method = payload.get_item("method", vm)?.str(vm)?.to_string_lossy().into_owned();
        let cycles: u128 = payload.get_item("cycles", vm)?.try_into_value(vm)?;
        let args = bytes("args")?;
        reply = match host::with(|h| h.call(target, &method, &args, cycles)) {
            Ok(b) => vm.ctx.new_tuple(vec![vm.ctx.new_str("Ok").into(), vm.ctx.new_bytes(b).into()]).into(),
            Err((code, m)) => vm
                .ctx
                .new_tuple(vec![vm.ctx.new_str("Err").into(), vm.ctx.new_str(format!("call rejected (code {code}): {m}")).into()])
                .into(),
        };
    }
}
