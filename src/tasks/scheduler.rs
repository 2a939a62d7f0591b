//! The scheduler's entry points as typed functions: creating, viewing, listing, stopping,
//! starting and clearing tasks, claiming a due step and recording how it ended. Each runs the
//! scheduler's Python (`pylib/codexvm/api.py`) in a transaction of its own; this module (and
//! [`super::realms`] through it) is the only one that calls it by name.

use rustpython_vm::{PyObjectRef, PyResult, VirtualMachine};
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::model::{Claim, StepOutcome, TaskSpec, TaskView};
use super::ExecError;
use crate::py::PyError;
use crate::store::{self, StoreError};

/// Errors of task operations.
#[derive(Debug, thiserror::Error)]
pub enum TaskError {
    /// The runtime could not run at all.
    #[error(transparent)]
    Exec(#[from] ExecError),
    /// The operation was refused (unknown task, invalid spec, ...) or failed in Python.
    #[error("{}", .0.summary())]
    Refused(PyError),
    /// The task's stored records could not be read.
    #[error(transparent)]
    Records(#[from] super::records::RecordError),
    /// A reply could not be read.
    #[error("bad reply from the scheduler: {0}")]
    Reply(String),
}

impl From<StoreError> for TaskError {
    fn from(e: StoreError) -> Self {
        TaskError::Exec(ExecError::Store(e))
    }
}

pub(super) fn sys_module(vm: &VirtualMachine, name: &'static str) -> PyResult<PyObjectRef> {
    vm.import(name, 0)?;
    vm.sys_module.get_attr("modules", vm)?.get_item(name, vm)
}

/// Runs `f` inside the interpreter in a transaction of its own (committed if it returns Ok).
pub fn txn<R>(f: impl FnOnce(&VirtualMachine) -> PyResult<R>) -> Result<R, TaskError> {
    let rt = super::runtime().map_err(ExecError::Boot)?;
    store::global::with(|s| s.begin()).map_err(ExecError::from)??;
    let r = rt.enter(|vm| {
        let run = || -> PyResult<R> {
            vm.import("_codexvm", 0)?.get_attr("begin_execution", vm)?.call((), vm)?;
            f(vm)
        };
        run().map_err(|e| PyError::from_exception(vm, &e, None, "<scheduler>"))
    });
    match r {
        Ok(v) => {
            store::global::with(|s| s.commit()).map_err(ExecError::from)??;
            Ok(v)
        }
        Err(e) => {
            store::global::with(|s| s.rollback()).map_err(ExecError::from)?;
            Err(TaskError::Refused(e))
        }
    }
}

/// Calls `codexvm.api.<func>(*args)` in a transaction; returns its JSON reply.
fn api(func: &'static str, args: Vec<ApiArg>) -> Result<serde_json::Value, TaskError> {
    parse(&call_text("codexvm.api", func, args)?)
}

/// A JSON reply of the scheduler's Python as `T`.
pub(super) fn parse<T: DeserializeOwned>(text: &str) -> Result<T, TaskError> {
    serde_json::from_str(text).map_err(|e| TaskError::Reply(e.to_string()))
}

/// Calls `<module>.<func>(*args)` in a transaction; returns the text it returns.
pub(super) fn call_text(module: &'static str, func: &'static str, args: Vec<ApiArg>) -> Result<String, TaskError> {
    txn(|vm| {
        let f = sys_module(vm, module)?.get_attr(func, vm)?;
        let args: Vec<PyObjectRef> = args
            .iter()
            .map(|a| match a {
                ApiArg::Str(s) => vm.ctx.new_str(s.as_str()).into(),
                ApiArg::Int(n) => vm.ctx.new_int(*n).into(),
            })
            .collect();
        Ok(f.call(args, vm)?.str(vm)?.to_string_lossy().into_owned())
    })
}

/// An argument of a call into the scheduler's Python.
#[derive(Debug, Clone)]
pub(super) enum ApiArg {
    /// A string.
    Str(String),
    /// An integer.
    Int(i64),
}

/// Finds interrupted executions, then claims the next due step (committed), if any.
pub fn claim(now: i64) -> Result<Option<Claim>, TaskError> {
    claim_with(now, &[], None)
}

/// [`claim`], sparing the executions in `live` (async ones waiting for a reply) and, with
/// `only`, claiming only that task's step.
pub fn claim_with(now: i64, live: &[String], only: Option<&str>) -> Result<Option<Claim>, TaskError> {
    let live = serde_json::to_string(live).expect("serialize ids");
    let v = api("claim", vec![ApiArg::Int(now), ApiArg::Str(live), ApiArg::Str(only.unwrap_or("").to_owned())])?;
    reply(v)
}

/// Records how a step ended and advances its task (committed).
pub fn finish(outcome: &StepOutcome, now: i64) -> Result<(), TaskError> {
    let json = serde_json::to_string(outcome).expect("serialize outcome");
    api("finish", vec![ApiArg::Str(json), ApiArg::Int(now)]).map(drop)
}

/// When the scheduler next has a step due (seconds since the epoch).
pub fn next_wakeup() -> Result<Option<i64>, TaskError> {
    reply(api("next_wakeup", vec![])?)
}

fn reply<T: DeserializeOwned>(v: Value) -> Result<T, TaskError> {
    serde_json::from_value(v).map_err(|e| TaskError::Reply(e.to_string()))
}

fn name(s: &str) -> ApiArg {
    ApiArg::Str(s.to_owned())
}

/// The spec as the scheduler reads it: absent fields are left out rather than null.
fn spec_json(spec: &TaskSpec) -> String {
    fn strip_nulls(v: Value) -> Value {
        match v {
            Value::Object(m) => m.into_iter().filter(|(_, v)| !v.is_null()).map(|(k, v)| (k, strip_nulls(v))).collect(),
            Value::Array(a) => a.into_iter().map(strip_nulls).collect(),
            other => other,
        }
    }
    strip_nulls(serde_json::to_value(spec).expect("spec to JSON")).to_string()
}

/// Creates a task from `spec` at time `now` (seconds since the epoch); returns its view.
pub fn create(spec: &TaskSpec, now: i64) -> Result<TaskView, TaskError> {
    reply(api("create_task", vec![ApiArg::Str(spec_json(spec)), ApiArg::Int(now)])?)
}

/// The task named `name`, with its last `executions` executions (read from its records).
pub fn view(task: &str, executions: u32) -> Result<TaskView, TaskError> {
    Ok(super::records::view(task, executions)?)
}

/// The task's view with its namespace's records and counters, as one JSON document (the
/// export format: `namespace`, `records` as `{type: {id: record}}`, `counters`).
pub fn document(task: &str, executions: u32) -> Result<Value, TaskError> {
    api("state", vec![name(task), ApiArg::Int(i64::from(executions))])
}

/// Every task, each with its last execution (read from their records).
pub fn list() -> Result<Vec<TaskView>, TaskError> {
    Ok(super::records::list()?)
}

/// Cancels the task: it runs no more until started again.
pub fn stop(task: &str) -> Result<TaskView, TaskError> {
    reply(api("stop", vec![name(task)])?)
}

/// Starts a stopped task again from time `now`.
pub fn start(task: &str, now: i64) -> Result<TaskView, TaskError> {
    reply(api("start", vec![name(task), ApiArg::Int(now)])?)
}

/// Deletes every record of the task's namespace; returns how many keys.
pub fn clear(task: &str) -> Result<u64, TaskError> {
    reply(api("clear", vec![name(task)])?)
}

/// Deletes the task, its steps, executions, own codexes and namespace (not its grants: see
/// [`super::manage::delete`]); returns how many namespace keys went.
pub(super) fn delete(task: &str) -> Result<u64, TaskError> {
    reply(api("delete", vec![name(task)])?)
}
