//! `_runtime`: what privileged Python code (tests, controllers' codexes) may ask of the runtime.

#[rustpython_vm::pymodule]
pub mod _runtime {
    use rustpython_vm::builtins::{PyDictRef, PyStrRef};
    use rustpython_vm::function::OptionalArg;
    use rustpython_vm::{PyResult, VirtualMachine};

    /// Runs a codex (as task `task` when given) and returns realms' `run_code` result:
    /// `{success, result, logs}` or `{success: False, error, logs}`. Refused inside a task.
    #[pyfunction]
    fn run_codex(
        source: PyStrRef,
        task: OptionalArg<Option<PyStrRef>>,
        filename: OptionalArg<PyStrRef>,
        vm: &VirtualMachine,
    ) -> PyResult<PyDictRef> {
        let task = task.flatten().map(|t| t.to_string_lossy().into_owned());
        let filename = filename.map(|f| f.to_string_lossy().into_owned()).unwrap_or_else(|| "<codex>".into());
        crate::tasks::nested::run(vm, &source.to_string_lossy(), task, &filename)
    }

    fn privileged(vm: &VirtualMachine) -> PyResult<()> {
        if crate::db::policy::task().is_some() {
            return Err(
                vm.new_exception_msg(vm.ctx.exceptions.permission_error.to_owned(), "only controllers can change grants".to_owned().into())
            );
        }
        Ok(())
    }

    /// Lets task `task` read (or also write) `namespace` (`task_<other>`). Refused inside a task.
    #[pyfunction]
    fn grant(task: PyStrRef, namespace: PyStrRef, write: OptionalArg<bool>, vm: &VirtualMachine) -> PyResult<()> {
        privileged(vm)?;
        crate::db::grants::grant(&task.to_string_lossy(), &namespace.to_string_lossy(), write.unwrap_or(false))
            .map(drop)
            .map_err(|e| vm.new_runtime_error(e.to_string()))
    }

    /// Takes a grant back. Refused inside a task.
    #[pyfunction]
    fn revoke(task: PyStrRef, namespace: PyStrRef, vm: &VirtualMachine) -> PyResult<()> {
        privileged(vm)?;
        crate::db::grants::revoke(&task.to_string_lossy(), &namespace.to_string_lossy())
            .map(drop)
            .map_err(|e| vm.new_runtime_error(e.to_string()))
    }
}
