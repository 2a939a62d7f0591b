//! Running one codex: fresh globals, captured output, its `result`, or its traceback.

use rustpython_vm::builtins::PyDictRef;
use rustpython_vm::compiler::Mode;
use rustpython_vm::scope::Scope;
use rustpython_vm::{PyObjectRef, PyResult, VirtualMachine};

use super::{capture, Captured, PyError, Runtime};

/// `__name__` of a codex's globals (never `"__main__"`, as in realms, so `if __name__ ==
/// "__main__":` blocks do not run).
pub const CODEX_MODULE_NAME: &str = "codex";

/// A codex to run.
#[derive(Debug, Clone, Copy)]
pub struct Codex<'a> {
    /// Python source.
    pub source: &'a str,
    /// Name shown in tracebacks and set as `__file__`.
    pub filename: &'a str,
}

/// Settings of one execution.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Cap on captured output, in bytes.
    pub output_limit: usize,
    /// How much the execution may grow the heap (`None`: unlimited).
    pub heap_allowance: Option<usize>,
}

impl Default for RunOptions {
    fn default() -> Self {
        Self { output_limit: capture::DEFAULT_LIMIT, heap_allowance: Some(crate::host::heap::DEFAULT_ALLOWANCE) }
    }
}

/// What running a codex produced.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// Printed output.
    pub captured: Captured,
    /// JSON text of the codex's top-level `result` (`null` when unset), or the exception.
    pub result: Result<String, PyError>,
}

impl Outcome {
    /// True if the codex ran to the end.
    pub fn ok(&self) -> bool {
        self.result.is_ok()
    }
}

/// Prepares the codex's globals (the runtime's per-execution reset, the standard names, then
/// `prepare`), compiles and runs its top level; returns its globals.
pub fn run_top(
    vm: &VirtualMachine,
    codex: Codex<'_>,
    prepare: &dyn Fn(&VirtualMachine, &PyDictRef) -> PyResult<()>,
) -> PyResult<PyDictRef> {
    run_top_with(vm, codex, prepare, true)
}

/// [`run_top`], optionally without the per-execution reset (for a codex run from inside another
/// execution, which keeps the caller's database view).
pub fn run_top_with(
    vm: &VirtualMachine,
    codex: Codex<'_>,
    prepare: &dyn Fn(&VirtualMachine, &PyDictRef) -> PyResult<()>,
    reset: bool,
) -> PyResult<PyDictRef> {
    let globals = vm.ctx.new_dict();
    globals.set_item("__name__", vm.ctx.new_str(CODEX_MODULE_NAME).into(), vm)?;
    globals.set_item("__file__", vm.ctx.new_str(codex.filename).into(), vm)?;
    if crate::db::policy::task().is_some() {
        globals.set_item("__builtins__", super::imports::codex_builtins(vm)?.into(), vm)?;
    } else {
        globals.set_item("__builtins__", vm.builtins.clone().into(), vm)?;
    }
    if reset {
        vm.import("_codexvm", 0)?.get_attr("begin_execution", vm)?.call((), vm)?;
    }
    let ran = (|| {
        prepare(vm, &globals)?;
        let code = vm.compile(codex.source, Mode::Exec, codex.filename).map_err(|e| e.into_pyexception(vm, Some(codex.source)))?;
        vm.run_code_obj(code, Scope::with_builtins(None, globals.clone(), vm))
    })();
    match ran {
        Ok(_) => Ok(globals),
        Err(e) => {
            release(&globals);
            Err(e)
        }
    }
}

/// Empties a finished execution's globals. Functions a codex defines refer back to its globals
/// (a reference cycle, which RustPython's reference counting never frees), so without this every
/// execution would keep all it loaded alive for the life of the canister.
pub fn release(globals: &PyDictRef) {
    // A pending timer's callback still runs in them (see [`super::timers`]).
    if !super::timers::defer_release(globals) {
        globals.clear();
    }
}

/// The end of a top-level execution (or of one message of an async one): puts back the shared
/// modules as they were at start-up (see [`super::pristine`]), so nothing a codex patched
/// reaches the runtime's own code or the next execution.
pub fn boundary(vm: &VirtualMachine, scope: super::pristine::Restore) -> PyResult<()> {
    super::pristine::restore(vm, scope).map(drop)
}

/// JSON text of a codex's result value (`repr()` for what JSON cannot hold).
pub fn result_json(vm: &VirtualMachine, value: PyObjectRef) -> PyResult<String> {
    let to_json = vm.import("_codexvm", 0)?.get_attr("result_json", vm)?;
    Ok(to_json.call((value,), vm)?.str(vm)?.to_string_lossy().into_owned())
}

/// Runs `codex` in fresh globals; `prepare` may add names (e.g. `TaskEntity`) before it runs.
pub fn run(rt: &Runtime, codex: Codex<'_>, opts: &RunOptions, prepare: &dyn Fn(&VirtualMachine, &PyDictRef) -> PyResult<()>) -> Outcome {
    capture::start(opts.output_limit);
    crate::host::heap::set_allowance(opts.heap_allowance);
    let result = rt.enter(|vm| {
        let run = || -> PyResult<String> {
            let globals = run_top(vm, codex, prepare)?;
            let result = globals.get_item_opt("result", vm)?.unwrap_or_else(|| vm.ctx.none());
            release(&globals);
            result_json(vm, result)
        };
        let r = run();
        let after = boundary(vm, super::pristine::Restore::All);
        r.and_then(|json| after.map(|()| json)).map_err(|exc| PyError::from_exception(vm, &exc, Some(codex.source), codex.filename))
    });
    crate::host::heap::set_allowance(None);
    Outcome { captured: capture::take(), result }
}
