//! The modules a task's codex may import, and the guarded `__import__` its globals get.
//!
//! The allow-list gives a hostile or careless import a clear error. It is not the security
//! boundary: Python offers routes to a module object without an `import` statement (a module's
//! own attributes, for one), which is why everything a module could reach — the store, other
//! namespaces, the runtime's own maps — is checked again in Rust ([`super::policy`]).

use rustpython_vm::builtins::{PyDictRef, PyStr};
use rustpython_vm::function::FuncArgs;
use rustpython_vm::{PyObjectRef, PyPayload, PyResult, VirtualMachine};

/// Top-level modules a task's codex may import: the standard library codexes use and the
/// realms packages. Everything else (`builtins`, `gc`, `importlib`, the runtime's native
/// `_`-modules, the test harness) is refused.
pub const IMPORTABLE: &[&str] = &[
    // The realms surface.
    "ggg",
    "kybra",
    "kybra_simple_db",
    "kybra_simple_logging",
    "core",
    // codexvm's helpers for codexes (`from codexvm import budget`).
    "codexvm",
    // The standard library.
    "__future__",
    "abc",
    "array",
    "base64",
    "binascii",
    "bisect",
    "calendar",
    "cmath",
    "collections",
    "contextlib",
    "copy",
    "dataclasses",
    "datetime",
    "decimal",
    "enum",
    "fractions",
    "functools",
    "hashlib",
    "heapq",
    "io",
    "itertools",
    "json",
    "keyword",
    "math",
    "numbers",
    "operator",
    "os",
    "pprint",
    "random",
    "re",
    "reprlib",
    "statistics",
    "string",
    "struct",
    "sys",
    "textwrap",
    "time",
    "traceback",
    "types",
    "typing",
    "uuid",
    "warnings",
    "weakref",
];

/// Why an import was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("task '{task}' may not import '{module}': a task's codex may import the standard library modules codexes use and ggg, kybra, kybra_simple_db, kybra_simple_logging, core and codexvm")]
pub struct ImportDenied {
    /// The running task.
    pub task: String,
    /// The module asked for.
    pub module: String,
}

/// Checks an absolute import of `module` by the running task's codex.
pub fn check(task: &str, module: &str) -> Result<(), ImportDenied> {
    let top = module.split('.').next().unwrap_or(module);
    if IMPORTABLE.contains(&top) {
        Ok(())
    } else {
        Err(ImportDenied { task: task.to_owned(), module: module.to_owned() })
    }
}

/// A copy of the builtins whose `__import__` applies the allow-list, for a task's codex's
/// globals. Library modules keep the real builtins, so their own imports are not limited.
pub fn codex_builtins(vm: &VirtualMachine) -> PyResult<PyDictRef> {
    let dict = vm.builtins.dict().copy().into_ref(&vm.ctx);
    dict.set_item("__import__", vm.new_function("__import__", guarded_import).into(), vm)?;
    dict.set_item("exec", vm.new_function("exec", guarded_exec).into(), vm)?;
    dict.set_item("eval", vm.new_function("eval", guarded_eval).into(), vm)?;
    Ok(dict)
}

/// `exec` for a task's codex: globals it passes without `__builtins__` get the codex's own
/// (guarded) builtins, not the real ones.
fn guarded_exec(args: FuncArgs, vm: &VirtualMachine) -> PyResult {
    keep_builtins(&args, vm)?;
    vm.builtins.get_attr("exec", vm)?.call(args, vm)
}

/// `eval` for a task's codex, with the same rule as [`guarded_exec`].
fn guarded_eval(args: FuncArgs, vm: &VirtualMachine) -> PyResult {
    keep_builtins(&args, vm)?;
    vm.builtins.get_attr("eval", vm)?.call(args, vm)
}

fn keep_builtins(args: &FuncArgs, vm: &VirtualMachine) -> PyResult<()> {
    let globals = args.args.get(1).or_else(|| args.kwargs.get("globals"));
    if let Some(globals) = globals.and_then(|g| g.downcast_ref::<rustpython_vm::builtins::PyDict>()) {
        if !globals.contains_key("__builtins__", vm) {
            if let Some(own) = rustpython_vm::frame::current_builtins() {
                globals.set_item("__builtins__", own, vm)?;
            }
        }
    }
    Ok(())
}

/// `__import__` for a task's codex: refuses modules outside [`IMPORTABLE`], then imports as usual.
fn guarded_import(args: FuncArgs, vm: &VirtualMachine) -> PyResult {
    let level = match args.kwargs.get("level").or_else(|| args.args.get(4)) {
        Some(l) => l.try_to_value::<i64>(vm)?,
        None => 0,
    };
    if let (Some(task), 0) = (crate::db::policy::task(), level) {
        let name: Option<&PyObjectRef> = args.args.first().or_else(|| args.kwargs.get("name"));
        if let Some(name) = name.and_then(|n| n.downcast_ref::<PyStr>()) {
            let name = name.to_string_lossy();
            check(&task, &name).map_err(|e| vm.new_import_error(e.to_string(), vm.ctx.new_str(name.as_ref())))?;
        }
    }
    vm.builtins.get_attr("__import__", vm)?.call(args, vm)
}
