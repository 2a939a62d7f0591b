//! Running tasks: each claimed step's codex ([`super::scheduler`] claims it) as one atomic
//! execution in its task's context — its namespace,
//! the grants it holds, its instruction budget — with `TaskEntity` and realms' names injected.
//! Async codexes (`async_task()` generators) are driven call by call; every call is a commit
//! point, as an `await` is on the Internet Computer.

use crate::db::policy::{self, ExecContext, Grant};
use crate::host::{self, Principal};
use crate::py::dbaccess::check_budget;
use crate::py::pristine::Restore;
use crate::py::{capture, exec, Codex, PyError};
use crate::store;
use rustpython_vm::builtins::{PyDictRef, PyTuple};
use rustpython_vm::{AsObject, PyObjectRef, PyResult, VirtualMachine};

use super::model::{Claim, StepOutcome};
use super::scheduler::{self, sys_module, TaskError};

pub use crate::host::MESSAGE_LIMIT;

/// Seconds since the epoch on the host's clock.
pub fn now_s() -> i64 {
    (host::with(|h| h.time_ns()) / 1_000_000_000) as i64
}

/// The grants of a task (kept in the runtime's system map).
pub fn grants_of(task: &str) -> Vec<Grant> {
    crate::db::grants::of(task).unwrap_or_default()
}

/// An inter-canister call an async codex is waiting for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallRequest {
    /// The callee.
    pub canister: Principal,
    /// The method.
    pub method: String,
    /// Candid-encoded arguments.
    pub args: Vec<u8>,
    /// Cycles attached.
    pub cycles: u128,
}

/// An async execution stopped at a call: its writes so far are committed.
pub struct Suspended {
    claim: Claim,
    driver: PyObjectRef,
    globals: PyDictRef,
    logs: Vec<String>,
    instructions: u64,
    /// The call to make; its reply goes to [`resume`].
    pub call: CallRequest,
}

impl Suspended {
    /// The claim being run.
    pub fn claim(&self) -> &Claim {
        &self.claim
    }
}

/// Where an execution stands after a message's worth of work.
pub enum Progress {
    /// It ended (committed or rolled back).
    Done(StepOutcome),
    /// It waits for a call's reply.
    Calling(Box<Suspended>),
}

/// What one message of an execution did.
enum Segment {
    Done(Result<String, PyError>),
    Calling(PyObjectRef, PyDictRef, CallRequest),
}

/// Runs the claimed step's codex up to its end or its first inter-canister call, under its
/// task's context (namespace, grants, budget for this message).
pub fn start(claim: &Claim, message_limit: u64) -> Progress {
    segment(claim.clone(), Vec::new(), 0, message_limit, first_segment)
}

/// Continues a suspended execution with its call's reply (`Err` holds the reject message).
pub fn resume(s: Suspended, reply: Result<Vec<u8>, String>, message_limit: u64) -> Progress {
    let Suspended { claim, driver, globals, logs, instructions, .. } = s;
    segment(claim, logs, instructions, message_limit, move |claim| {
        begin()?;
        drive(&driver, &globals, Some(reply), claim)
    })
}

/// Runs a claimed step to its end, making its calls through the host synchronously (the native
/// runner; the canister awaits them instead).
pub fn run_claim(claim: &Claim, message_limit: u64) -> StepOutcome {
    let mut progress = start(claim, message_limit);
    loop {
        match progress {
            Progress::Done(outcome) => return outcome,
            Progress::Calling(s) => {
                let c = &s.call;
                let reply = host::with(|h| h.call(c.canister, &c.method, &c.args, c.cycles))
                    .map_err(|(code, msg)| format!("call rejected (code {code}): {msg}"));
                progress = resume(*s, reply, message_limit);
            }
        }
    }
}

/// Instructions of a budget of `percent` (1 to 100) of the message limit.
pub fn budget_of(percent: u64, message_limit: u64) -> u64 {
    message_limit / 100 * percent.clamp(1, 100)
}

/// One message's worth of an execution, with the task's context set around it.
fn segment(
    claim: Claim,
    mut logs: Vec<String>,
    instructions: u64,
    message_limit: u64,
    work: impl FnOnce(&Claim) -> Result<Segment, PyError>,
) -> Progress {
    let ctx = ExecContext {
        task: Some(claim.task.clone()),
        grants: grants_of(&claim.task),
        budget: Some(budget_of(claim.budget_percent, message_limit)),
    };
    // Each segment is a message of its own: the budget and the count cover the whole message.
    host::with(|h| h.start_message());
    let previous = policy::set_context(ctx);
    capture::start(capture::DEFAULT_LIMIT);
    // After the codex, the shared modules are made pristine again before any of the runtime's
    // own Python code runs (between the messages of one async execution, its own registries
    // stay as they are).
    host::heap::set_allowance(Some((claim.heap_mib as usize) << 20));
    let seg = work(&claim);
    host::heap::set_allowance(None);
    let after = if matches!(seg, Ok(Segment::Calling(..))) { Restore::Code } else { Restore::All };
    let seg = match (seg, boundary(after)) {
        (Ok(s), Err(e)) => {
            drop(s);
            Err(e)
        }
        (seg, _) => seg,
    };
    // Only now, with the shared modules restored, is the segment's transaction ended: a segment
    // over its budget (a codex that caught `BudgetExceeded`, or a restore that ran it out) or
    // whose restore failed keeps nothing.
    let seg = end(within_budget(seg, &claim));
    let captured = capture::take();
    let instructions = instructions + host::with(|h| h.performance_counter(0));
    policy::set_context(previous);
    logs.extend(captured.lines());
    let execution = claim.execution.clone();
    match seg {
        Ok(Segment::Calling(driver, globals, call)) => {
            Progress::Calling(Box::new(Suspended { claim, driver, globals, logs, instructions, call }))
        }
        Ok(Segment::Done(Ok(json))) => {
            Progress::Done(StepOutcome { execution, ok: true, result: Some(json), error: None, logs, instructions })
        }
        Ok(Segment::Done(Err(e))) | Err(e) => {
            Progress::Done(StepOutcome { execution, ok: false, result: None, error: Some(e.traceback), logs, instructions })
        }
    }
}

fn begin() -> Result<(), PyError> {
    store::global::with(|s| s.begin()).map_err(infra)?.map_err(infra)
}

/// Fails a segment that finished or stopped at a call over its budget, with the
/// `BudgetExceeded` its codex would have met at its next storage call.
fn within_budget(seg: Result<Segment, PyError>, claim: &Claim) -> Result<Segment, PyError> {
    let s = match seg {
        Ok(s @ (Segment::Calling(..) | Segment::Done(Ok(_)))) => s,
        other => return other,
    };
    if !policy::over_budget() {
        return Ok(s);
    }
    let rt = super::runtime()?;
    let over = rt.enter(|vm| check_budget(vm).map_err(|e| PyError::from_exception(vm, &e, None, &claim.codex)));
    match over {
        Ok(()) => Ok(s),
        Err(e) => {
            if let Segment::Calling(_, globals, _) = &s {
                rt.enter(|_| exec::release(globals));
            }
            Err(e)
        }
    }
}

/// Ends a segment's transaction: what a codex that finished or stopped at a call wrote is
/// committed (a call is a commit point, as an `await` is on the Internet Computer), the rest is
/// rolled back.
fn end(seg: Result<Segment, PyError>) -> Result<Segment, PyError> {
    match seg {
        Ok(s @ (Segment::Calling(..) | Segment::Done(Ok(_)))) => {
            match store::global::with(|s| s.commit()).map_err(infra).and_then(|r| r.map_err(infra)) {
                Ok(_) => Ok(s),
                Err(e) => {
                    drop(s);
                    store::global::with(|s| s.rollback()).map_err(infra)?;
                    Err(e)
                }
            }
        }
        other => {
            store::global::with(|s| s.rollback()).map_err(infra)?;
            other
        }
    }
}

/// [`exec::boundary`] on the shared interpreter.
fn boundary(scope: Restore) -> Result<(), PyError> {
    let rt = super::runtime()?;
    rt.enter(|vm| exec::boundary(vm, scope).map_err(|e| PyError::from_exception(vm, &e, None, "<runtime>")))
}

fn infra(e: impl std::fmt::Display) -> PyError {
    PyError { type_name: "RuntimeError".into(), message: e.to_string(), traceback: format!("RuntimeError: {e}\n"), line: None }
}

/// Runs the codex's top level (and, for an async codex, its `async_task()` up to the first call).
fn first_segment(claim: &Claim) -> Result<Segment, PyError> {
    let rt = super::runtime()?;
    let codex = Codex { source: &claim.code, filename: &claim.codex };
    begin()?;
    let top = rt.enter(|vm| {
        let prepare = task_globals(&claim.task);
        let globals = exec::run_top(vm, codex, &prepare).map_err(|e| PyError::from_exception(vm, &e, Some(&claim.code), &claim.codex))?;
        let inner = || -> PyResult<Result<PyObjectRef, String>> {
            let async_task = globals.get_item_opt("async_task", vm)?;
            match async_task.filter(|_| claim.is_async) {
                Some(f) => {
                    let gen = f.call((), vm)?;
                    if gen.class().name().to_string() != "generator" {
                        // `async_task` that is not a generator: its return value is the result.
                        return Ok(Err(exec::result_json(vm, gen)?));
                    }
                    Ok(Ok(sys_module(vm, "codexvm.asyncdrive")?.get_attr("Driver", vm)?.call((gen,), vm)?))
                }
                None => {
                    let result = globals.get_item_opt("result", vm)?.unwrap_or_else(|| vm.ctx.none());
                    Ok(Err(exec::result_json(vm, result)?))
                }
            }
        };
        let r = inner().map_err(|e| PyError::from_exception(vm, &e, Some(&claim.code), &claim.codex));
        if !matches!(r, Ok(Ok(_))) {
            exec::release(&globals);
        }
        r.map(|x| x.map(|driver| (driver, globals)))
    });
    // `Err(json)` above means "finished with this result"; `Ok(driver)` means "drive it".
    match top {
        Err(e) => Ok(Segment::Done(Err(e))),
        Ok(Err(json)) => Ok(Segment::Done(Ok(json))),
        Ok(Ok((driver, globals))) => drive(&driver, &globals, None, claim),
    }
}

/// Adds what a task's codex finds without importing: realms' names (`ggg`, `ic`, `String`, ...),
/// `TaskEntity` for the task's namespace, `logger`/`log` (the task's logger) and the batching
/// helpers `batch` and `progress`.
pub fn task_globals(task: &str) -> impl Fn(&VirtualMachine, &rustpython_vm::builtins::PyDictRef) -> PyResult<()> + '_ {
    move |vm, g| {
        let ex = sys_module(vm, "core.execution")?;
        let logger =
            sys_module(vm, "kybra_simple_logging")?.get_attr("get_logger", vm)?.call((crate::db::keys::task_namespace(task),), vm)?;
        let names = ex.get_attr("codex_globals", vm)?.call((vm.ctx.new_str(task), logger), vm)?;
        vm.call_method(g.as_object(), "update", (names,))?;
        let helpers = sys_module(vm, "codexvm.batch")?;
        g.set_item("batch", helpers.get_attr("batch", vm)?, vm)?;
        g.set_item("progress", helpers.get_attr("progress", vm)?, vm)?;
        Ok(())
    }
}

/// Advances an async codex to its next call or its end (a commit point: see [`end`]).
fn drive(driver: &PyObjectRef, globals: &PyDictRef, reply: Option<Result<Vec<u8>, String>>, claim: &Claim) -> Result<Segment, PyError> {
    let rt = super::runtime()?;
    let step = rt.enter(|vm| {
        let advance = || -> PyResult<Segment> {
            let value: PyObjectRef = match &reply {
                None => vm.ctx.none(),
                Some(Ok(bytes)) => vm.ctx.new_tuple(vec![vm.ctx.new_str("Ok").into(), vm.ctx.new_bytes(bytes.clone()).into()]).into(),
                Some(Err(msg)) => vm.ctx.new_tuple(vec![vm.ctx.new_str("Err").into(), vm.ctx.new_str(msg.as_str()).into()]).into(),
            };
            let r = driver.get_attr("advance", vm)?.call((value,), vm)?;
            let t = r.downcast_ref::<PyTuple>().ok_or_else(|| vm.new_type_error("advance() returns a tuple"))?;
            let kind = t.as_slice()[0].str(vm)?.to_string_lossy().into_owned();
            let payload = t.as_slice()[1].clone();
            if kind == "done" {
                return Ok(Segment::Done(Ok(exec::result_json(vm, payload)?)));
            }
            let get = |k: &str| payload.get_item(k, vm);
            let canister: Vec<u8> = get("canister")?.try_into_value::<rustpython_vm::builtins::PyBytesRef>(vm)?.as_bytes().to_vec();
            let canister = Principal::try_from_slice(&canister).map_err(|e| vm.new_value_error(format!("bad canister id: {e}")))?;
            let method = get("method")?.str(vm)?.to_string_lossy().into_owned();
            let args = get("args")?.try_into_value::<rustpython_vm::builtins::PyBytesRef>(vm)?.as_bytes().to_vec();
            let cycles: u128 = get("cycles")?.try_into_value(vm)?;
            Ok(Segment::Calling(driver.clone(), globals.clone(), CallRequest { canister, method, args, cycles }))
        };
        advance().map_err(|e| PyError::from_exception(vm, &e, Some(&claim.code), &claim.codex))
    });
    if !matches!(step, Ok(Segment::Calling(..))) {
        rt.enter(|_| exec::release(globals));
    }
    Ok(step.unwrap_or_else(|e| Segment::Done(Err(e))))
}

/// One scheduler tick: claims the next due step, runs it, records the outcome. Returns the
/// outcome, or None when nothing is due.
pub fn tick(now: i64, message_limit: u64) -> Result<Option<(Claim, StepOutcome)>, TaskError> {
    let Some(claim) = scheduler::claim(now)? else { return Ok(None) };
    let outcome = run_claim(&claim, message_limit);
    scheduler::finish(&outcome, now_s().max(now))?;
    Ok(Some((claim, outcome)))
}
