//! `_ic`: the system API for Python (clock, identities, instruction counter, randomness, output).
//! The `kybra` package wraps it as `ic`.

#[rustpython_vm::pymodule]
pub mod _ic {
    use rustpython_vm::builtins::{PyBytesRef, PyStrRef};
    use rustpython_vm::{PyResult, VirtualMachine};

    use crate::host::{self, Principal};
    use crate::py::capture;

    /// Appends text to the captured stdout (fd 1) or stderr (fd 2).
    #[pyfunction]
    fn write(fd: i32, text: PyStrRef) -> usize {
        let s = text.to_string_lossy();
        capture::write(fd, &s);
        s.len()
    }

    /// `ic.print`: one captured stdout line, also sent to the platform's debug log.
    #[pyfunction]
    fn print(line: PyStrRef, vm: &VirtualMachine) -> PyResult<()> {
        crate::py::dbaccess::check_budget(vm)?;
        let s = line.to_string_lossy();
        capture::write(1, &s);
        capture::write(1, "\n");
        host::with(|h| h.debug_print(&s));
        Ok(())
    }

    /// `ic.trap`: in the canister the message traps and everything it did is undone; natively
    /// this raises `Trap` (a `BaseException`), which rolls the execution back the same way.
    #[pyfunction]
    fn trap(message: PyStrRef, vm: &VirtualMachine) -> PyResult<()> {
        let msg = message.to_string_lossy().into_owned();
        host::with(|h| h.trap(&msg));
        let base = vm.ctx.exceptions.base_exception_type.to_owned();
        let cls = vm.ctx.new_exception_type("kybra", "Trap", Some(vec![base]));
        Err(vm.new_exception_msg(cls, format!("the canister trapped: {msg}").into()))
    }

    /// `sys.setrecursionlimit`, capped: deeper Python recursion than this would exhaust the
    /// canister's stack (a trap) before it could raise `RecursionError`.
    #[pyfunction]
    fn setrecursionlimit(limit: i64, vm: &VirtualMachine) -> PyResult<()> {
        let max = crate::py::MAX_RECURSION_LIMIT;
        if limit < 1 {
            return Err(vm.new_value_error("recursion limit must be greater or equal than 1"));
        }
        if limit as u64 > max as u64 {
            return Err(vm.new_value_error(format!(
                "recursion limit {limit} is above codexvm's maximum of {max} (the canister's stack holds no more)"
            )));
        }
        vm.recursion_limit.set(limit as usize);
        Ok(())
    }

    /// The instruction budget of the running execution (None outside one).
    #[pyfunction]
    fn budget() -> Option<u64> {
        crate::db::policy::budget()
    }

    /// The name of the task whose codex is running (None outside a task).
    #[pyfunction]
    fn task_name() -> Option<String> {
        crate::db::policy::task()
    }

    /// Registers the `BudgetExceeded` class raised when an execution exceeds its budget (at
    /// start-up only: PermissionError after).
    #[pyfunction]
    fn set_budget_exception(cls: rustpython_vm::builtins::PyTypeRef, vm: &VirtualMachine) -> PyResult<()> {
        crate::py::startup::check_boot("the budget's exception class")
            .map_err(|e| crate::py::dbaccess::permission_error(e.to_string(), vm))?;
        if !cls.fast_issubclass(vm.ctx.exceptions.base_exception_type) {
            return Err(vm.new_type_error("the budget's exception class must derive from BaseException"));
        }
        crate::py::dbaccess::set_budget_exception(cls);
        Ok(())
    }

    /// Decodes a Candid reply holding one `blob` (as `raw_rand` answers).
    #[pyfunction]
    fn candid_decode_blob(bytes: PyBytesRef, vm: &VirtualMachine) -> PyResult<PyBytesRef> {
        let v: Vec<u8> = candid::decode_one(bytes.as_bytes()).map_err(|e| vm.new_value_error(format!("not a Candid blob: {e}")))?;
        Ok(vm.ctx.new_bytes(v))
    }

    /// Runs `callback` once, `delay_ns` from now; returns the timer's id.
    #[pyfunction]
    fn set_timer(delay_ns: u64, callback: rustpython_vm::PyObjectRef, vm: &VirtualMachine) -> PyResult<u64> {
        crate::py::timers::set(vm, delay_ns, None, callback)
    }

    /// Runs `callback` every `interval_ns`; returns the timer's id.
    #[pyfunction]
    fn set_timer_interval(interval_ns: u64, callback: rustpython_vm::PyObjectRef, vm: &VirtualMachine) -> PyResult<u64> {
        crate::py::timers::set(vm, interval_ns, Some(interval_ns), callback)
    }

    /// Cancels a timer (an unknown or finished one is ignored).
    #[pyfunction]
    fn clear_timer(id: u64) {
        crate::py::timers::clear(id)
    }

    /// The Candid argument of the management canister's `http_request`.
    #[pyfunction]
    fn encode_http_request(args: HttpRequestArgs, vm: &VirtualMachine) -> PyResult<PyBytesRef> {
        use crate::py::http_outcall::{HttpHeader, HttpMethod, HttpRequest};
        let method = HttpMethod::parse(&args.method.to_string_lossy()).map_err(|e| vm.new_value_error(e.to_string()))?;
        if args.header_names.len() != args.header_values.len() {
            return Err(vm.new_value_error("every header needs a name and a value".to_owned()));
        }
        let headers = args
            .header_names
            .iter()
            .zip(&args.header_values)
            .map(|(n, v)| HttpHeader { name: n.to_string_lossy().into_owned(), value: v.to_string_lossy().into_owned() })
            .collect();
        let mut req = HttpRequest {
            url: args.url.to_string_lossy().into_owned(),
            max_response_bytes: args.max_response_bytes,
            method,
            headers,
            body: args.body.map(|b| b.as_bytes().to_vec()),
            transform: None,
            is_replicated: args.is_replicated,
        };
        if let (Some(canister), Some(name)) = (args.transform_canister, args.transform_method) {
            let context = args.transform_context.map(|c| c.as_bytes().to_vec()).unwrap_or_default();
            let canister =
                Principal::try_from_slice(canister.as_bytes()).map_err(|e| vm.new_value_error(format!("transform canister: {e}")))?;
            req = req.transform_with(canister, name.to_string_lossy().into_owned(), context);
        }
        Ok(vm.ctx.new_bytes(req.encode()))
    }

    /// The arguments of [`encode_http_request`], unpacked by `kybra.canisters.management`.
    #[derive(rustpython_vm::FromArgs)]
    struct HttpRequestArgs {
        #[pyarg(any)]
        url: PyStrRef,
        #[pyarg(any)]
        max_response_bytes: Option<u64>,
        #[pyarg(any)]
        method: PyStrRef,
        #[pyarg(any)]
        header_names: Vec<PyStrRef>,
        #[pyarg(any)]
        header_values: Vec<PyStrRef>,
        #[pyarg(any)]
        body: Option<PyBytesRef>,
        #[pyarg(any)]
        transform_canister: Option<PyBytesRef>,
        #[pyarg(any)]
        transform_method: Option<PyStrRef>,
        #[pyarg(any)]
        transform_context: Option<PyBytesRef>,
        #[pyarg(any)]
        is_replicated: Option<bool>,
    }

    /// Decodes the reply of `http_request` into `(status, header names, header values, body)`.
    #[pyfunction]
    fn decode_http_response(bytes: PyBytesRef, vm: &VirtualMachine) -> PyResult<rustpython_vm::builtins::PyTupleRef> {
        let r = crate::py::http_outcall::decode_response(bytes.as_bytes()).map_err(|e| vm.new_value_error(e.to_string()))?;
        let status: u128 = r.status.0.to_string().parse().map_err(|_| vm.new_value_error("an HTTP status out of range".to_owned()))?;
        let names = r.headers.iter().map(|h| vm.ctx.new_str(h.name.as_str()).into()).collect();
        let values = r.headers.iter().map(|h| vm.ctx.new_str(h.value.as_str()).into()).collect();
        Ok(vm.ctx.new_tuple(vec![
            vm.ctx.new_int(status).into(),
            vm.ctx.new_list(names).into(),
            vm.ctx.new_list(values).into(),
            vm.ctx.new_bytes(r.body).into(),
        ]))
    }

    /// Candid text (`'("hello", 42 : nat)'`) to binary Candid.
    #[pyfunction]
    fn candid_encode(text: PyStrRef, vm: &VirtualMachine) -> PyResult<PyBytesRef> {
        crate::py::candid_text::encode(&text.to_string_lossy()).map(|b| vm.ctx.new_bytes(b)).map_err(|e| vm.new_value_error(e.to_string()))
    }

    /// Binary Candid to Python values, tagged where the declared type is needed to read them:
    /// `("record", [(field id, value)])`, `("variant", id, value)`, `("opt", value)`,
    /// `("none",)`, `("principal", bytes)`, `("func", bytes, method)`; numbers, text, bools,
    /// blobs (bytes), vectors (lists) and null (None) as themselves.
    #[pyfunction]
    fn candid_decode_raw(bytes: PyBytesRef, vm: &VirtualMachine) -> PyResult<rustpython_vm::PyObjectRef> {
        let values = crate::py::candid_text::decode_values(bytes.as_bytes()).map_err(|e| vm.new_value_error(e.to_string()))?;
        let items = values.iter().map(|v| raw(v, vm)).collect();
        Ok(vm.ctx.new_list(items).into())
    }

    fn raw(v: &candid::types::value::IDLValue, vm: &VirtualMachine) -> rustpython_vm::PyObjectRef {
        use candid::types::value::IDLValue as V;
        let tag = |parts: Vec<rustpython_vm::PyObjectRef>| vm.ctx.new_tuple(parts).into();
        let s = |t: &str| -> rustpython_vm::PyObjectRef { vm.ctx.new_str(t).into() };
        let big = |text: String| -> rustpython_vm::PyObjectRef {
            match text.parse::<i128>() {
                Ok(n) => vm.ctx.new_int(n).into(),
                // Past 128 bits: Python's int() reads the digits.
                Err(_) => vm.builtins.get_attr("int", vm).and_then(|f| f.call((text,), vm)).unwrap_or_else(|_| vm.ctx.none()),
            }
        };
        match v {
            V::Bool(b) => vm.ctx.new_bool(*b).into(),
            V::Null | V::Reserved => vm.ctx.none(),
            V::Text(t) => vm.ctx.new_str(t.as_str()).into(),
            V::Number(n) => big(n.clone()),
            V::Int(i) => big(i.0.to_string()),
            V::Nat(n) => big(n.0.to_string()),
            V::Nat8(n) => vm.ctx.new_int(*n).into(),
            V::Nat16(n) => vm.ctx.new_int(*n).into(),
            V::Nat32(n) => vm.ctx.new_int(*n).into(),
            V::Nat64(n) => vm.ctx.new_int(*n).into(),
            V::Int8(n) => vm.ctx.new_int(*n).into(),
            V::Int16(n) => vm.ctx.new_int(*n).into(),
            V::Int32(n) => vm.ctx.new_int(*n).into(),
            V::Int64(n) => vm.ctx.new_int(*n).into(),
            V::Float32(f) => vm.ctx.new_float(*f as f64).into(),
            V::Float64(f) => vm.ctx.new_float(*f).into(),
            V::Blob(b) => vm.ctx.new_bytes(b.clone()).into(),
            V::Vec(items) => {
                if !items.is_empty() && items.iter().all(|i| matches!(i, V::Nat8(_))) {
                    let bytes = items.iter().map(|i| if let V::Nat8(b) = i { *b } else { 0 }).collect();
                    return vm.ctx.new_bytes(bytes).into();
                }
                vm.ctx.new_list(items.iter().map(|i| raw(i, vm)).collect()).into()
            }
            V::Opt(inner) => tag(vec![s("opt"), raw(inner, vm)]),
            V::None => tag(vec![s("none")]),
            V::Record(fields) => {
                let pairs = fields.iter().map(|f| tag(vec![vm.ctx.new_int(f.id.get_id()).into(), raw(&f.val, vm)])).collect();
                tag(vec![s("record"), vm.ctx.new_list(pairs).into()])
            }
            V::Variant(var) => tag(vec![s("variant"), vm.ctx.new_int(var.0.id.get_id()).into(), raw(&var.0.val, vm)]),
            V::Principal(p) | V::Service(p) => tag(vec![s("principal"), vm.ctx.new_bytes(p.as_slice().to_vec()).into()]),
            V::Func(p, m) => tag(vec![s("func"), vm.ctx.new_bytes(p.as_slice().to_vec()).into(), vm.ctx.new_str(m.as_str()).into()]),
        }
    }

    /// Binary Candid to its text form.
    #[pyfunction]
    fn candid_decode(bytes: PyBytesRef, vm: &VirtualMachine) -> PyResult<String> {
        crate::py::candid_text::decode(bytes.as_bytes()).map_err(|e| vm.new_value_error(e.to_string()))
    }

    /// Nanoseconds since the Unix epoch.
    #[pyfunction]
    fn time() -> u64 {
        host::with(|h| h.time_ns())
    }

    /// This canister's principal, as bytes.
    #[pyfunction]
    fn id(vm: &VirtualMachine) -> PyBytesRef {
        vm.ctx.new_bytes(host::with(|h| h.canister_id()).as_slice().to_vec())
    }

    /// The calling principal, as bytes.
    #[pyfunction]
    fn caller(vm: &VirtualMachine) -> PyBytesRef {
        vm.ctx.new_bytes(host::with(|h| h.caller()).as_slice().to_vec())
    }

    /// Instructions used so far: 0 = this message, 1 = this call context.
    #[pyfunction]
    fn performance_counter(kind: u32) -> u64 {
        host::with(|h| h.performance_counter(kind))
    }

    /// The canister's cycle balance.
    #[pyfunction]
    fn canister_balance() -> u128 {
        host::with(|h| h.cycle_balance())
    }

    /// `n` bytes from the runtime's random source.
    #[pyfunction]
    fn urandom(n: usize, vm: &VirtualMachine) -> PyResult<PyBytesRef> {
        if n > 1 << 20 {
            return Err(vm.new_value_error(format!("urandom: {n} bytes is more than the 1 MiB allowed")));
        }
        Ok(vm.ctx.new_bytes(host::rng::bytes(n)))
    }

    /// Textual form of a principal given as bytes.
    #[pyfunction]
    fn principal_to_text(bytes: PyBytesRef, vm: &VirtualMachine) -> PyResult<String> {
        Principal::try_from_slice(bytes.as_bytes())
            .map(|p| p.to_text())
            .map_err(|e| vm.new_value_error(format!("invalid principal bytes: {e}")))
    }

    /// Bytes of a principal given in textual form.
    #[pyfunction]
    fn principal_from_text(text: PyStrRef, vm: &VirtualMachine) -> PyResult<PyBytesRef> {
        let t = text.to_string_lossy();
        Principal::from_text(&*t)
            .map(|p| vm.ctx.new_bytes(p.as_slice().to_vec()))
            .map_err(|e| vm.new_value_error(format!("invalid principal text {t:?}: {e}")))
    }
}
