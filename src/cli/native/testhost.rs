//! `_testhost`: the native host as test fixtures drive it — the clock, and scripted replies of
//! other canisters with the calls made. Refused inside a task and where there is no native host.

#[rustpython_vm::pymodule]
pub mod _testhost {
    use candid::Principal;
    use rustpython_vm::builtins::{PyBytesRef, PyDictRef, PyListRef, PyStrRef};
    use rustpython_vm::{PyResult, VirtualMachine};

    use crate::host::{self, Clock, NativeHost, Reply};

    fn with_native<R>(vm: &VirtualMachine, f: impl FnOnce(&NativeHost) -> R) -> PyResult<R> {
        if crate::db::policy::task().is_some() {
            return Err(vm.new_exception_msg(
                vm.ctx.exceptions.permission_error.to_owned(),
                "a task's codex cannot script the host".to_owned().into(),
            ));
        }
        host::with(|h| match h.native() {
            Some(n) => Ok(f(n)),
            None => Err(vm.new_runtime_error("there is no native host here (the test fixtures run natively)".to_owned())),
        })
    }

    fn principal(text: &PyStrRef, vm: &VirtualMachine) -> PyResult<Principal> {
        let t = text.to_string_lossy();
        Principal::from_text(&*t).map_err(|e| vm.new_value_error(format!("invalid principal {t:?}: {e}")))
    }

    /// `ic.time()` in nanoseconds.
    #[pyfunction]
    fn now(vm: &VirtualMachine) -> PyResult<u64> {
        with_native(vm, crate::host::Host::time_ns)
    }

    /// Stops the clock at `ns` nanoseconds since the epoch.
    #[pyfunction]
    fn set_time(ns: u64, vm: &VirtualMachine) -> PyResult<()> {
        with_native(vm, |h| h.set_clock(Clock::Manual(ns)))
    }

    /// Moves the clock `ns` nanoseconds forward (stopping it if it was the machine's).
    #[pyfunction]
    fn advance(ns: u64, vm: &VirtualMachine) -> PyResult<()> {
        with_native(vm, |h| h.advance(ns))
    }

    /// Lets the clock follow the machine's again.
    #[pyfunction]
    fn system_clock(vm: &VirtualMachine) -> PyResult<()> {
        with_native(vm, |h| h.set_clock(Clock::System))
    }

    /// Scripts `canister` to reply to `method` with these Candid bytes.
    #[pyfunction]
    fn reply(canister: PyStrRef, method: PyStrRef, candid: PyBytesRef, vm: &VirtualMachine) -> PyResult<()> {
        let c = principal(&canister, vm)?;
        with_native(vm, |h| h.set_reply(c, &method.to_string_lossy(), Reply::Ok(candid.as_bytes().to_vec())))
    }

    /// Scripts `canister` to reject `method` with this code and message.
    #[pyfunction]
    fn reject(canister: PyStrRef, method: PyStrRef, code: u32, message: PyStrRef, vm: &VirtualMachine) -> PyResult<()> {
        let c = principal(&canister, vm)?;
        with_native(vm, |h| h.set_reply(c, &method.to_string_lossy(), Reply::Reject(code, message.to_string_lossy().into_owned())))
    }

    /// The calls made so far: `[{canister, method, args, cycles}]`.
    #[pyfunction]
    fn calls(vm: &VirtualMachine) -> PyResult<PyListRef> {
        let calls = with_native(vm, |h| h.calls())?;
        let mut out = Vec::with_capacity(calls.len());
        for c in calls {
            let d: PyDictRef = vm.ctx.new_dict();
            d.set_item("canister", vm.ctx.new_str(c.canister.to_text()).into(), vm)?;
            d.set_item("method", vm.ctx.new_str(c.method).into(), vm)?;
            d.set_item("args", vm.ctx.new_bytes(c.args).into(), vm)?;
            d.set_item("cycles", vm.ctx.new_int(c.cycles).into(), vm)?;
            out.push(d.into());
        }
        Ok(vm.ctx.new_list(out))
    }

    /// The pending codex timers, soonest first: `[{id, due, interval}]` (nanoseconds).
    #[pyfunction]
    fn timers(vm: &VirtualMachine) -> PyResult<PyListRef> {
        with_native(vm, |_| ())?;
        let mut out = Vec::new();
        for t in crate::py::timers::pending() {
            let d: PyDictRef = vm.ctx.new_dict();
            d.set_item("id", vm.ctx.new_int(t.id).into(), vm)?;
            d.set_item("due", vm.ctx.new_int(t.due_ns).into(), vm)?;
            d.set_item("interval", t.interval_ns.map_or_else(|| vm.ctx.none(), |i| vm.ctx.new_int(i).into()), vm)?;
            out.push(d.into());
        }
        Ok(vm.ctx.new_list(out))
    }

    /// Fires timer `id` now: `{ran, error, logs}` (`ran` is False if it was cleared).
    #[pyfunction]
    fn fire_timer(id: u64, vm: &VirtualMachine) -> PyResult<PyDictRef> {
        with_native(vm, |_| ())?;
        let fired = crate::tasks::timers::fire(id).map_err(|e| vm.new_runtime_error(e.to_string()))?;
        let d: PyDictRef = vm.ctx.new_dict();
        match fired {
            crate::tasks::timers::Fired::Gone => {
                d.set_item("ran", vm.ctx.new_bool(false).into(), vm)?;
                d.set_item("error", vm.ctx.none(), vm)?;
                d.set_item("logs", vm.ctx.new_list(vec![]).into(), vm)?;
            }
            crate::tasks::timers::Fired::Ran { error, logs } => {
                d.set_item("ran", vm.ctx.new_bool(true).into(), vm)?;
                d.set_item("error", error.map_or_else(|| vm.ctx.none(), |e| vm.ctx.new_str(e).into()), vm)?;
                let logs = logs.into_iter().map(|l| vm.ctx.new_str(l).into()).collect();
                d.set_item("logs", vm.ctx.new_list(logs).into(), vm)?;
            }
        }
        Ok(d)
    }

    /// Cancels every pending timer (between tests).
    #[pyfunction]
    fn clear_timers(vm: &VirtualMachine) -> PyResult<usize> {
        with_native(vm, |_| ())?;
        Ok(crate::py::timers::forget_all())
    }

    /// Forgets the calls made so far.
    #[pyfunction]
    fn clear_calls(vm: &VirtualMachine) -> PyResult<()> {
        with_native(vm, |h| h.clear_calls())
    }
}
