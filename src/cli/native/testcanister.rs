//! `_testcanister`: the built canister module in the test host, for the `canister` fixture of
//! `codexvm test` — install it, run codexes as the controller, advance its clock (its timers
//! fire), upgrade it, call its endpoints. Native only; refused inside a task.

#[rustpython_vm::pymodule]
pub mod _testcanister {
    use std::cell::RefCell;
    use std::path::PathBuf;
    use std::sync::OnceLock;
    use std::time::Duration;

    use codexvm_host::{Canister, CanisterModule};

    use crate::tasks::RunReply;
    use rustpython_vm::builtins::{PyBytesRef, PyDictRef, PyListRef, PyStrRef};
    use rustpython_vm::function::OptionalArg;
    use rustpython_vm::{PyResult, VirtualMachine};

    thread_local! {
        static CANISTER: RefCell<Option<Canister>> = const { RefCell::new(None) };
    }

    /// Where the module is: `CODEXVM_WASM`, else the repository's `target/canister/codexvm.wasm`.
    fn wasm_path() -> PathBuf {
        std::env::var_os("CODEXVM_WASM")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/canister/codexvm.wasm"))
    }

    fn module(vm: &VirtualMachine) -> PyResult<&'static CanisterModule> {
        static M: OnceLock<Result<CanisterModule, String>> = OnceLock::new();
        M.get_or_init(|| CanisterModule::load(&wasm_path()).map_err(|e| e.to_string()))
            .as_ref()
            .map_err(|e| vm.new_runtime_error(format!("{e} (build the module with scripts/build-canister)")))
    }

    fn privileged(vm: &VirtualMachine) -> PyResult<()> {
        if crate::db::policy::task().is_some() {
            return Err(vm.new_exception_msg(
                vm.ctx.exceptions.permission_error.to_owned(),
                "a task's codex cannot drive the test canister".to_owned().into(),
            ));
        }
        Ok(())
    }

    fn with<R>(vm: &VirtualMachine, f: impl FnOnce(&mut Canister) -> PyResult<R>) -> PyResult<R> {
        privileged(vm)?;
        CANISTER.with_borrow_mut(|c| match c {
            Some(c) => f(c),
            None => Err(vm.new_runtime_error("no canister installed (call install() first)".to_owned())),
        })
    }

    /// The module's path, and whether it is there.
    #[pyfunction]
    fn module_path() -> (String, bool) {
        let p = wasm_path();
        (p.display().to_string(), p.is_file())
    }

    /// Installs a fresh canister (replacing the previous one).
    #[pyfunction]
    fn install(vm: &VirtualMachine) -> PyResult<()> {
        privileged(vm)?;
        let m = module(vm)?;
        let (c, report) =
            Canister::install(m, &candid::encode_args(()).expect("no args")).map_err(|e| vm.new_runtime_error(e.to_string()))?;
        if let Err(r) = report.result {
            return Err(vm.new_runtime_error(format!("init failed: {r}")));
        }
        CANISTER.with_borrow_mut(|slot| *slot = Some(c));
        Ok(())
    }

    /// Runs a codex as the controller: `{success, result (JSON text), error, logs, instructions}`.
    #[pyfunction]
    fn run(source: PyStrRef, vm: &VirtualMachine) -> PyResult<PyDictRef> {
        let reply = with(vm, |c| {
            let report = c.update("run_codex", &candid::encode_one(source.to_string_lossy().as_ref()).expect("encode"));
            let bytes = report.result.map_err(|r| vm.new_runtime_error(format!("run_codex was rejected: {r}")))?;
            candid::decode_one::<RunReply>(&bytes).map_err(|e| vm.new_runtime_error(e.to_string()))
        })?;
        let d = vm.ctx.new_dict();
        d.set_item("success", vm.ctx.new_bool(reply.success).into(), vm)?;
        let opt = |s: Option<String>| s.map_or_else(|| vm.ctx.none(), |s| vm.ctx.new_str(s).into());
        d.set_item("result", opt(reply.result), vm)?;
        d.set_item("error", opt(reply.error), vm)?;
        let logs = reply.logs.into_iter().map(|l| vm.ctx.new_str(l).into()).collect();
        d.set_item("logs", vm.ctx.new_list(logs).into(), vm)?;
        d.set_item("instructions", vm.ctx.new_int(reply.instructions).into(), vm)?;
        Ok(d)
    }

    /// Moves the canister's clock forward; its timers fire. Returns the rejections of the
    /// messages that ran (empty when all succeeded).
    #[pyfunction]
    fn advance(seconds: f64, vm: &VirtualMachine) -> PyResult<PyListRef> {
        if !(seconds.is_finite() && seconds >= 0.0) {
            return Err(vm.new_value_error("seconds must be a finite number >= 0".to_owned()));
        }
        with(vm, |c| {
            let reports = c.advance_time(Duration::from_secs_f64(seconds));
            Ok(str_list(vm, reports.into_iter().filter_map(|r| r.result.err().map(|e| e.to_string())).collect()))
        })
    }

    /// Upgrades the canister to the same module (stable memory stays, the heap is reset).
    #[pyfunction]
    fn upgrade(vm: &VirtualMachine) -> PyResult<()> {
        let m = module(vm)?;
        with(vm, |c| {
            c.upgrade(m, &candid::encode_args(()).expect("no args"))
                .result
                .map(drop)
                .map_err(|r| vm.new_runtime_error(format!("upgrade failed: {r}")))
        })
    }

    /// Calls endpoint `method` with Candid `arg` (an update, or a query if `query`); returns
    /// the reply bytes or raises with the rejection.
    #[pyfunction]
    fn call(method: PyStrRef, arg: PyBytesRef, query: OptionalArg<bool>, vm: &VirtualMachine) -> PyResult<PyBytesRef> {
        with(vm, |c| {
            let (m, a) = (method.to_string_lossy(), arg.as_bytes().to_vec());
            let report = if query.unwrap_or(false) { c.query(&m, &a) } else { c.update(&m, &a) };
            report.result.map(|b| vm.ctx.new_bytes(b)).map_err(|r| vm.new_runtime_error(format!("{m} was rejected: {r}")))
        })
    }

    /// Lines the canister printed with `debug_print`.
    #[pyfunction]
    fn debug_log(vm: &VirtualMachine) -> PyResult<PyListRef> {
        with(vm, |c| Ok(str_list(vm, c.debug_log().to_vec())))
    }

    fn str_list(vm: &VirtualMachine, lines: Vec<String>) -> PyListRef {
        vm.ctx.new_list(lines.into_iter().map(|l| vm.ctx.new_str(l).into()).collect())
    }

    /// Drops the installed canister.
    #[pyfunction]
    fn uninstall() {
        CANISTER.with_borrow_mut(|c| *c = None);
    }
}
