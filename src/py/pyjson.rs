//! Python objects to and from JSON text with the exact output of CPython's `json.dumps` /
//! `json.loads` (formatting rules live in `db::json`).

use rustpython_vm::builtins::{PyBaseExceptionRef, PyDict, PyFloat, PyInt, PyList, PyStr, PyTuple};
use rustpython_vm::common::wtf8::{CodePoint, Wtf8Buf};
use rustpython_vm::{AsObject, PyObject, PyObjectRef, PyResult, VirtualMachine};

use crate::db::json::{self, Build, DecodeError, JStr, Writer};

const MAX_DEPTH: usize = 500;

fn code_points(s: &PyStr) -> impl Iterator<Item = u32> + '_ {
    s.as_wtf8().code_points().map(|c| c.to_u32())
}

/// `json.dumps(obj)` with default arguments.
pub fn dumps(vm: &VirtualMachine, obj: &PyObject) -> PyResult<String> {
    let mut w = Writer::new();
    let mut stack = Vec::new();
    write_value(vm, obj, &mut w, &mut stack)?;
    Ok(w.finish())
}

/// Writes `data` plus a trailing `"__version__": version` key, as kybra_simple_db persists
/// entities (`{**data, "__version__": v}`; an existing `__version__` key keeps its place).
pub fn dumps_with_version(vm: &VirtualMachine, data: &PyObject, version: &PyObject) -> PyResult<String> {
    let dict = data
        .downcast_ref::<PyDict>()
        .ok_or_else(|| vm.new_type_error(format!("entity data must be a dict, not {}", data.class().name())))?;
    let mut w = Writer::new();
    let mut stack = vec![data.get_id()];
    w.open_object();
    let mut first = true;
    let mut wrote_version = false;
    for (k, v) in dict.items_vec() {
        if !first {
            w.comma();
        }
        first = false;
        let is_version = k.downcast_ref::<PyStr>().is_some_and(|s| s.to_str() == Some("__version__"));
        write_key(vm, &k, &mut w)?;
        w.colon();
        if is_version {
            wrote_version = true;
            write_value(vm, version, &mut w, &mut stack)?;
        } else {
            write_value(vm, &v, &mut w, &mut stack)?;
        }
    }
    if !wrote_version {
        if !first {
            w.comma();
        }
        w.str("__version__");
        w.colon();
        write_value(vm, version, &mut w, &mut stack)?;
    }
    w.close_object();
    Ok(w.finish())
}

/// JSON of an ordered list of `(key, value)` pairs, with `"__version__": version` appended
/// (or written in place, if a `__version__` key is already there), as kybra_simple_db persists.
pub fn dumps_entries(vm: &VirtualMachine, entries: &[(String, PyObjectRef)], version: Option<&PyObject>) -> PyResult<String> {
    let mut w = Writer::new();
    let mut stack = Vec::new();
    w.open_object();
    let mut wrote_version = false;
    for (i, (k, v)) in entries.iter().enumerate() {
        if i > 0 {
            w.comma();
        }
        w.str(k);
        w.colon();
        match version {
            Some(ver) if k == "__version__" => {
                wrote_version = true;
                write_value(vm, ver, &mut w, &mut stack)?;
            }
            _ => write_value(vm, v, &mut w, &mut stack)?,
        }
    }
    if let (Some(ver), false) = (version, wrote_version) {
        if !entries.is_empty() {
            w.comma();
        }
        w.str("__version__");
        w.colon();
        write_value(vm, ver, &mut w, &mut stack)?;
    }
    w.close_object();
    Ok(w.finish())
}

fn float_text(f: f64) -> String {
    let mut w = Writer::new();
    w.float(f);
    w.finish()
}

fn write_key(vm: &VirtualMachine, k: &PyObject, w: &mut Writer) -> PyResult<()> {
    if let Some(s) = k.downcast_ref::<PyStr>() {
        w.string(code_points(s));
    } else if k.class().is(vm.ctx.types.bool_type) {
        w.str(if k.is(&vm.ctx.true_value) { "true" } else { "false" });
    } else if let Some(i) = k.downcast_ref::<PyInt>() {
        w.str(&i.as_bigint().to_string());
    } else if let Some(f) = k.downcast_ref::<PyFloat>() {
        w.str(&float_text(f.to_f64()));
    } else if vm.is_none(k) {
        w.str("null");
    } else {
        return Err(vm.new_type_error(format!("keys must be str, int, float, bool or None, not {}", k.class().name())));
    }
    Ok(())
}

fn write_value(vm: &VirtualMachine, obj: &PyObject, w: &mut Writer, stack: &mut Vec<usize>) -> PyResult<()> {
    if vm.is_none(obj) {
        w.null();
    } else if obj.class().is(vm.ctx.types.bool_type) {
        w.boolean(obj.is(&vm.ctx.true_value));
    } else if let Some(s) = obj.downcast_ref::<PyStr>() {
        w.string(code_points(s));
    } else if let Some(i) = obj.downcast_ref::<PyInt>() {
        w.int(&i.as_bigint().to_string());
    } else if let Some(f) = obj.downcast_ref::<PyFloat>() {
        w.float(f.to_f64());
    } else if obj.downcast_ref::<PyList>().is_some() || obj.downcast_ref::<PyTuple>().is_some() {
        enter(vm, obj, stack)?;
        let items: Vec<PyObjectRef> = match obj.downcast_ref::<PyList>() {
            Some(l) => l.borrow_vec().to_vec(),
            None => obj.downcast_ref::<PyTuple>().expect("checked").as_slice().to_vec(),
        };
        w.open_array();
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                w.comma();
            }
            write_value(vm, item, w, stack)?;
        }
        w.close_array();
        stack.pop();
    } else if let Some(d) = obj.downcast_ref::<PyDict>() {
        enter(vm, obj, stack)?;
        w.open_object();
        for (i, (k, v)) in d.items_vec().into_iter().enumerate() {
            if i > 0 {
                w.comma();
            }
            write_key(vm, &k, w)?;
            w.colon();
            write_value(vm, &v, w, stack)?;
        }
        w.close_object();
        stack.pop();
    } else {
        return Err(vm.new_type_error(format!("Object of type {} is not JSON serializable", obj.class().name())));
    }
    Ok(())
}

fn enter(vm: &VirtualMachine, obj: &PyObject, stack: &mut Vec<usize>) -> PyResult<()> {
    let id = obj.get_id();
    if stack.contains(&id) {
        return Err(vm.new_value_error("Circular reference detected"));
    }
    if stack.len() >= MAX_DEPTH {
        return Err(vm.new_recursion_error("maximum recursion depth exceeded while encoding a JSON object".to_owned()));
    }
    stack.push(id);
    Ok(())
}

/// Builds Python objects from decoded JSON.
struct PyBuilder<'vm> {
    vm: &'vm VirtualMachine,
}

/// A decode error or a Python exception raised while building.
pub enum LoadError {
    /// Invalid JSON.
    Json(DecodeError),
    /// A Python exception.
    Py(PyBaseExceptionRef),
}

impl From<DecodeError> for LoadError {
    fn from(e: DecodeError) -> Self {
        LoadError::Json(e)
    }
}

impl PyBuilder<'_> {
    fn str_obj(&self, s: JStr) -> PyObjectRef {
        match s {
            JStr::Text(t) => self.vm.ctx.new_str(t).into(),
            JStr::CodePoints(cps) => {
                let buf: Wtf8Buf = cps.into_iter().filter_map(CodePoint::from_u32).collect();
                self.vm.ctx.new_str(buf).into()
            }
        }
    }
}

impl Build for PyBuilder<'_> {
    type Value = PyObjectRef;
    type Error = LoadError;

    fn null(&mut self) -> Result<PyObjectRef, LoadError> {
        Ok(self.vm.ctx.none())
    }
    fn boolean(&mut self, b: bool) -> Result<PyObjectRef, LoadError> {
        Ok(self.vm.ctx.new_bool(b).into())
    }
    fn int(&mut self, d: &str) -> Result<PyObjectRef, LoadError> {
        if let Ok(n) = d.parse::<i64>() {
            return Ok(self.vm.ctx.new_int(n).into());
        }
        let int_type = self.vm.ctx.types.int_type.as_object();
        int_type.call((self.vm.ctx.new_str(d),), self.vm).map_err(LoadError::Py)
    }
    fn float(&mut self, f: f64) -> Result<PyObjectRef, LoadError> {
        Ok(self.vm.ctx.new_float(f).into())
    }
    fn string(&mut self, s: JStr) -> Result<PyObjectRef, LoadError> {
        Ok(self.str_obj(s))
    }
    fn array(&mut self, items: Vec<PyObjectRef>) -> Result<PyObjectRef, LoadError> {
        Ok(self.vm.ctx.new_list(items).into())
    }
    fn object(&mut self, entries: Vec<(JStr, PyObjectRef)>) -> Result<PyObjectRef, LoadError> {
        let d = self.vm.ctx.new_dict();
        for (k, v) in entries {
            let key = self.str_obj(k);
            d.set_item(&*key, v, self.vm).map_err(LoadError::Py)?;
        }
        Ok(d.into())
    }
}

/// `json.loads(text)`; invalid JSON raises `ValueError` with json's message.
pub fn loads(vm: &VirtualMachine, text: &str) -> PyResult<PyObjectRef> {
    match json::decode(text, &mut PyBuilder { vm }) {
        Ok(v) => Ok(v),
        Err(LoadError::Py(e)) => Err(e),
        Err(LoadError::Json(e)) => Err(vm.new_value_error(e.to_string())),
    }
}
