//! Running tasks: the scheduler's bookkeeping (in Python, `codexvm.api`) in transactions of its
//! own, and each step's codex as one atomic execution in its task's context — its namespace,
//! the grants it holds, its instruction budget — with `TaskEntity` and realms' names injected.
//! Async codexes (`async_task()` generators) are driven call by call; every call is a commit
//! point, as an `await` is on the Internet Computer.

use rustpython_vm::builtins::PyTuple;
use rustpython_vm::{AsObject, PyObjectRef, PyResult, VirtualMachine};
use serde::{Deserialize, Serialize};

use crate::host::{self, Principal};
use crate::py::policy::{self, ExecContext, Grant};
use crate::py::{capture, exec, Codex, PyError, Runtime};
use crate::store::{self, StoreError};

use super::ExecError;

/// The instructions one update message may use on the Internet Computer.
pub const MESSAGE_LIMIT: u64 = 40_000_000_000;

/// Errors of task operations.
#[derive(Debug, thiserror::Error)]
pub enum TaskError {
    /// The runtime could not run at all.
    #[error(transparent)]
    Exec(#[from] ExecError),
    /// The operation was refused (unknown task, invalid spec, ...) or failed in Python.
    #[error("{}", .0.summary())]
    Refused(PyError),
    /// A reply could not be read.
    #[error("bad reply from the scheduler: {0}")]
    Reply(String),
}

impl From<StoreError> for TaskError {
    fn from(e: StoreError) -> Self {
        TaskError::Exec(ExecError::Store(e))
    }
}

/// A step the scheduler claimed.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Claim {
    /// Id of the TaskExecution record.
    pub execution: String,
    /// The task's name.
    pub task: String,
    /// The step's index.
    pub step: u32,
    /// The codex source.
    pub code: String,
    /// The codex's name.
    pub codex: String,
    /// True for an `async_task` codex.
    pub is_async: bool,
    /// The task's budget, in percent of the message limit.
    pub budget_percent: u64,
    /// Executions found interrupted by a trap (and recorded as failed) before this claim.
    #[serde(default)]
    pub reaped: u64,
}

/// How a step's execution ended.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct StepOutcome {
    /// The TaskExecution record.
    pub execution: String,
    /// True if the codex finished (its writes are committed).
    pub ok: bool,
    /// JSON text of its result.
    pub result: Option<String>,
    /// The traceback, if it failed.
    pub error: Option<String>,
    /// Captured output lines.
    pub logs: Vec<String>,
    /// Instructions used.
    pub instructions: u64,
}

fn sys_module(vm: &VirtualMachine, name: &'static str) -> PyResult<PyObjectRef> {
    vm.import(name, 0)?;
    vm.sys_module.get_attr("modules", vm)?.get_item(name, vm)
}

/// Runs `f` inside the interpreter in a transaction of its own (committed if it returns Ok).
pub fn txn<R>(f: impl FnOnce(&VirtualMachine) -> PyResult<R>) -> Result<R, TaskError> {
    let rt = Runtime::get().map_err(ExecError::Boot)?;
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
pub fn api(func: &'static str, args: Vec<ApiArg>) -> Result<serde_json::Value, TaskError> {
    let text = txn(|vm| {
        let f = sys_module(vm, "codexvm.api")?.get_attr(func, vm)?;
        let args: Vec<PyObjectRef> = args
            .iter()
            .map(|a| match a {
                ApiArg::Str(s) => vm.ctx.new_str(s.as_str()).into(),
                ApiArg::Int(n) => vm.ctx.new_int(*n).into(),
            })
            .collect();
        Ok(f.call(args, vm)?.str(vm)?.to_string_lossy().into_owned())
    })?;
    serde_json::from_str(&text).map_err(|e| TaskError::Reply(e.to_string()))
}

/// An argument of [`api`].
#[derive(Debug, Clone)]
pub enum ApiArg {
    /// A string.
    Str(String),
    /// An integer.
    Int(i64),
}

/// Seconds since the epoch on the host's clock.
pub fn now_s() -> i64 {
    (host::with(|h| h.time_ns()) / 1_000_000_000) as i64
}

/// The grants of a task (kept in the runtime's system map).
pub fn grants_of(task: &str) -> Vec<Grant> {
    crate::tasks::grants::of(task).unwrap_or_default()
}

/// Finds interrupted executions, then claims the next due step (committed), if any.
pub fn claim(now: i64) -> Result<Option<Claim>, TaskError> {
    let v = api("claim", vec![ApiArg::Int(now)])?;
    if v.is_null() {
        return Ok(None);
    }
    serde_json::from_value(v).map(Some).map_err(|e| TaskError::Reply(e.to_string()))
}

/// Records how a step ended and advances its task (committed).
pub fn finish(outcome: &StepOutcome, now: i64) -> Result<(), TaskError> {
    let json = serde_json::to_string(outcome).expect("serialize outcome");
    api("finish", vec![ApiArg::Str(json), ApiArg::Int(now)]).map(drop)
}

/// When the scheduler next has a step due (seconds since the epoch).
pub fn next_wakeup() -> Result<Option<i64>, TaskError> {
    Ok(api("next_wakeup", vec![])?.as_i64())
}

/// What an execution's codex produced before the outcome is recorded.
struct Ran {
    result: Result<String, PyError>,
    captured: capture::Captured,
}

/// Runs the claimed step's codex as one execution (atomic, or with commit points at each call
/// of an async codex) under its task's context; returns how it ended.
pub fn run_claim(claim: &Claim, message_limit: u64) -> StepOutcome {
    let ctx = ExecContext {
        task: Some(claim.task.clone()),
        grants: grants_of(&claim.task),
        budget: Some(message_limit / 100 * claim.budget_percent.clamp(1, 100)),
    };
    // Each execution is a message of its own: the budget and the count cover the whole message.
    host::with(|h| h.start_message());
    let previous = policy::set_context(ctx);
    let ran = execute(claim);
    let instructions = host::with(|h| h.performance_counter(0));
    policy::set_context(previous);
    let logs = ran.captured.lines();
    match ran.result {
        Ok(json) => StepOutcome { execution: claim.execution.clone(), ok: true, result: Some(json), error: None, logs, instructions },
        Err(e) => StepOutcome { execution: claim.execution.clone(), ok: false, result: None, error: Some(e.traceback), logs, instructions },
    }
}

fn execute(claim: &Claim) -> Ran {
    capture::start(capture::DEFAULT_LIMIT);
    let result = execute_inner(claim);
    Ran { result, captured: capture::take() }
}

fn begin() -> Result<(), PyError> {
    store::global::with(|s| s.begin()).map_err(infra)?.map_err(infra)
}

fn end(ok: bool) -> Result<(), PyError> {
    if ok {
        store::global::with(|s| s.commit()).map_err(infra)?.map_err(infra).map(drop)
    } else {
        store::global::with(|s| s.rollback()).map_err(infra)
    }
}

fn infra(e: impl std::fmt::Display) -> PyError {
    PyError { type_name: "RuntimeError".into(), message: e.to_string(), traceback: format!("RuntimeError: {e}\n"), line: None }
}

fn execute_inner(claim: &Claim) -> Result<String, PyError> {
    let rt = Runtime::get().map_err(|e| e)?;
    let codex = Codex { source: &claim.code, filename: &claim.codex };
    begin()?;
    let task = claim.task.clone();
    let top = rt.enter(|vm| {
        let inner = || -> PyResult<Result<PyObjectRef, String>> {
        let prepare = task_globals(&task);
        let globals = exec::run_top(vm, codex, &prepare)?;
        let async_task = globals.get_item_opt("async_task", vm)?;
        match async_task.filter(|_| claim.is_async) {
            Some(f) => {
                let gen = f.call((), vm)?;
                let is_gen = gen.class().name().to_string() == "generator";
                if !is_gen {
                    // `async_task` that is not a generator: its return value is the result.
                    return Ok(Err(exec::result_json(vm, gen)?));
                }
                let driver = sys_module(vm, "codexvm.asyncdrive")?.get_attr("Driver", vm)?.call((gen,), vm)?;
                Ok(Ok(driver))
            }
            None => {
                let result = globals.get_item_opt("result", vm)?.unwrap_or_else(|| vm.ctx.none());
                Ok(Err(exec::result_json(vm, result)?))
            }
        }
        };
        inner().map_err(|e| PyError::from_exception(vm, &e, Some(&claim.code), &claim.codex))
    });
    // `Err(json)` above means "finished with this result"; `Ok(driver)` means "drive it".
    let driver = match top {
        Err(e) => {
            end(false)?;
            return Err(e);
        }
        Ok(Err(json)) => {
            end(true)?;
            return Ok(json);
        }
        Ok(Ok(driver)) => driver,
    };
    drive(rt, &driver, claim)
}

/// Adds what a task's codex finds without importing: realms' names (`ggg`, `ic`, `String`, ...),
/// `TaskEntity` for the task's namespace, `logger`/`log` (the task's logger) and the batching
/// helpers `batch` and `progress`.
pub fn task_globals(task: &str) -> impl Fn(&VirtualMachine, &rustpython_vm::builtins::PyDictRef) -> PyResult<()> + '_ {
    move |vm, g| {
        let ex = sys_module(vm, "core.execution")?;
        let logger = sys_module(vm, "kybra_simple_logging")?.get_attr("get_logger", vm)?.call((format!("task_{task}"),), vm)?;
        let names = ex.get_attr("codex_globals", vm)?.call((vm.ctx.new_str(task), logger), vm)?;
        vm.call_method(g.as_object(), "update", (names,))?;
        let helpers = sys_module(vm, "codexvm.batch")?;
        g.set_item("batch", helpers.get_attr("batch", vm)?, vm)?;
        g.set_item("progress", helpers.get_attr("progress", vm)?, vm)?;
        Ok(())
    }
}

/// Drives an async codex: each call it yields is a commit point — what it wrote so far is
/// committed, the call is made, and a new transaction begins with the reply.
fn drive(rt: &Runtime, driver: &PyObjectRef, claim: &Claim) -> Result<String, PyError> {
    let mut reply: Option<(bool, Vec<u8>, String)> = None;
    loop {
        let step = rt.enter(|vm| {
            let advance = driver.get_attr("advance", vm)?;
            let value: PyObjectRef = match &reply {
                None => vm.ctx.none(),
                Some((true, bytes, _)) => vm.ctx.new_tuple(vec![vm.ctx.new_str("Ok").into(), vm.ctx.new_bytes(bytes.clone()).into()]).into(),
                Some((false, _, msg)) => vm.ctx.new_tuple(vec![vm.ctx.new_str("Err").into(), vm.ctx.new_str(msg.as_str()).into()]).into(),
            };
            let r = advance.call((value,), vm)?;
            let t = r.downcast_ref::<PyTuple>().ok_or_else(|| vm.new_type_error("advance() returns a tuple"))?;
            let kind = t.as_slice()[0].str(vm)?.to_string_lossy().into_owned();
            let payload = t.as_slice()[1].clone();
            if kind == "done" {
                return Ok(Step::Done(exec::result_json(vm, payload)?));
            }
            let get = |k: &str| payload.get_item(k, vm);
            let canister: Vec<u8> = get("canister")?.try_into_value::<rustpython_vm::builtins::PyBytesRef>(vm)?.as_bytes().to_vec();
            let method = get("method")?.str(vm)?.to_string_lossy().into_owned();
            let args = get("args")?.try_into_value::<rustpython_vm::builtins::PyBytesRef>(vm)?.as_bytes().to_vec();
            let cycles: u128 = get("cycles")?.try_into_value(vm)?;
            Ok(Step::Call { canister, method, args, cycles })
        })
        .map_err(|e| rt.enter(|vm| PyError::from_exception(vm, &e, Some(&claim.code), &claim.codex)));
        match step {
            Err(e) => {
                end(false)?;
                return Err(e);
            }
            Ok(Step::Done(json)) => {
                end(true)?;
                return Ok(json);
            }
            Ok(Step::Call { canister, method, args, cycles }) => {
                end(true)?; // commit point
                let target = Principal::try_from_slice(&canister).map_err(infra)?;
                reply = Some(match host::with(|h| h.call(target, &method, &args, cycles)) {
                    Ok(bytes) => (true, bytes, String::new()),
                    Err((code, msg)) => (false, Vec::new(), format!("call rejected (code {code}): {msg}")),
                });
                begin()?;
            }
        }
    }
}

enum Step {
    Done(String),
    Call { canister: Vec<u8>, method: String, args: Vec<u8>, cycles: u128 },
}

/// One scheduler tick: claims the next due step, runs it, records the outcome. Returns the
/// outcome, or None when nothing is due.
pub fn tick(now: i64, message_limit: u64) -> Result<Option<(Claim, StepOutcome)>, TaskError> {
    let Some(claim) = claim(now)? else { return Ok(None) };
    let outcome = run_claim(&claim, message_limit);
    finish(&outcome, now_s().max(now))?;
    Ok(Some((claim, outcome)))
}
