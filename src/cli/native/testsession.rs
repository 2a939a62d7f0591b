//! `_testsession`: what the Python side of `codexvm test` needs from the host — reading the test
//! tree, a fresh store for a test, and each test's captured output. Native builds only, and
//! refused unless a test session is running (codexes run by `codexvm run` cannot read files).

use std::cell::Cell;

thread_local! {
    /// Whether a test session runs on this thread (each thread has its own interpreter).
    static ACTIVE: Cell<bool> = const { Cell::new(false) };
}

/// Opens (`true`) or closes the file-system primitives for a test session on this thread.
pub fn set_active(on: bool) {
    ACTIVE.with(|a| a.set(on));
}

/// An empty in-memory store inside an open transaction, and a fresh native host.
pub fn fresh_store() -> Result<(), String> {
    use crate::store::{self, FileMemory, Store};
    let _ = store::global::with(|s| s.rollback());
    store::global::install(Store::open(FileMemory::in_memory()));
    crate::host::install(Box::new(crate::host::NativeHost::default()));
    store::global::with(|s| s.begin()).map_err(|e| e.to_string())?.map_err(|e| e.to_string())
}

#[rustpython_vm::pymodule]
pub mod _testsession {
    use std::path::Path;

    use rustpython_vm::builtins::PyStrRef;
    use rustpython_vm::{PyObjectRef, PyResult, VirtualMachine};

    use crate::py::capture;

    fn guard(vm: &VirtualMachine) -> PyResult<()> {
        if !super::ACTIVE.with(|a| a.get()) || crate::db::policy::task().is_some() {
            return Err(vm.new_exception_msg(
                vm.ctx.exceptions.permission_error.to_owned(),
                "_testsession is only available to the `codexvm test` runner".to_owned().into(),
            ));
        }
        Ok(())
    }

    fn os_err(vm: &VirtualMachine, path: &str, e: std::io::Error) -> rustpython_vm::builtins::PyBaseExceptionRef {
        let kind = match e.kind() {
            std::io::ErrorKind::NotFound => vm.ctx.exceptions.file_not_found_error,
            std::io::ErrorKind::PermissionDenied => vm.ctx.exceptions.permission_error,
            _ => vm.ctx.exceptions.os_error,
        };
        vm.new_exception_msg(kind.to_owned(), format!("{path}: {e}").into())
    }

    /// The text of the file at `path` (UTF-8).
    #[pyfunction]
    fn read_text(path: PyStrRef, vm: &VirtualMachine) -> PyResult<String> {
        guard(vm)?;
        let p = path.to_string_lossy();
        std::fs::read_to_string(&*p).map_err(|e| os_err(vm, &p, e))
    }

    /// "file", "dir", or None when nothing is at `path`.
    #[pyfunction]
    fn kind(path: PyStrRef, vm: &VirtualMachine) -> PyResult<Option<&'static str>> {
        guard(vm)?;
        let p = path.to_string_lossy();
        let p = Path::new(&*p);
        Ok(if p.is_dir() {
            Some("dir")
        } else if p.is_file() {
            Some("file")
        } else {
            None
        })
    }

    /// The names in directory `path`, sorted.
    #[pyfunction]
    fn listdir(path: PyStrRef, vm: &VirtualMachine) -> PyResult<PyObjectRef> {
        guard(vm)?;
        let p = path.to_string_lossy();
        let mut names = Vec::new();
        for e in std::fs::read_dir(&*p).map_err(|e| os_err(vm, &p, e))? {
            let e = e.map_err(|e| os_err(vm, &p, e))?;
            names.push(e.file_name().to_string_lossy().into_owned());
        }
        names.sort();
        Ok(vm.ctx.new_list(names.into_iter().map(|n| vm.ctx.new_str(n).into()).collect()).into())
    }

    /// Rolls back the store, installs an empty one inside a transaction and a fresh native host.
    #[pyfunction]
    fn fresh_store(vm: &VirtualMachine) -> PyResult<()> {
        guard(vm)?;
        super::fresh_store().map_err(|e| vm.new_runtime_error(e))
    }

    /// Starts capturing what the next test prints.
    #[pyfunction]
    fn capture_start(vm: &VirtualMachine) -> PyResult<()> {
        guard(vm)?;
        capture::start(capture::DEFAULT_LIMIT);
        Ok(())
    }

    /// What was printed since `capture_start()`, as `(stdout, stderr)`.
    #[pyfunction]
    fn capture_take(vm: &VirtualMachine) -> PyResult<(String, String)> {
        guard(vm)?;
        let c = capture::take();
        let note = if c.dropped > 0 { format!("\n{}\n", c.truncation_note()) } else { String::new() };
        let mut out = c.stdout;
        out.push_str(&note);
        Ok((out, c.stderr))
    }
}
