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
pub fn dumps_entries<K: AsRef<str>>(vm: &VirtualMachine, entries: &[(K, PyObjectRef)], version: Option<&PyObject>) -> PyResult<String> {
    let mut w = Writer::new();
    let mut stack = Vec::new();
    w.open_object();
    let mut wrote_version = false;
    for (i, (k, v)) in entries.iter().enumerate() {
        if i > 0 {
            w.comma();
        }
        let k = k.as_ref();
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

/// Writes a `str`, through [`Writer::str`] when it is valid UTF-8.
fn write_str(s: &PyStr, w: &mut Writer) {
    match s.to_str() {
        Some(text) => w.str(text),
        None => w.string(code_points(s)),
    }
}

fn write_key(vm: &VirtualMachine, k: &PyObject, w: &mut Writer) -> PyResult<()> {
    if let Some(s) = k.downcast_ref::<PyStr>() {
        write_str(s, w);
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
        write_str(s, w);
    } else if let Some(i) = obj.downcast_ref::<PyInt>() {
        match i64::try_from(i.as_bigint()) {
            Ok(n) => w.int_i64(n),
            Err(_) => w.int(&i.as_bigint().to_string()),
        }
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

/// A decoded JSON string as a Python `str` (lone surrogates kept).
pub fn str_obj(vm: &VirtualMachine, s: JStr) -> PyObjectRef {
    match s {
        JStr::Text(t) => vm.ctx.new_str(t).into(),
        JStr::CodePoints(cps) => {
            let buf: Wtf8Buf = cps.into_iter().filter_map(CodePoint::from_u32).collect();
            vm.ctx.new_str(buf).into()
        }
    }
}

impl PyBuilder<'_> {
    fn str_obj(&self, s: JStr) -> PyObjectRef {
        str_obj(self.vm, s)
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

/// A value of [`EntriesBuilder`]: a Python object, or a JSON object not yet made a dict.
enum Entry {
    Py(PyObjectRef),
    Object(Vec<(JStr, PyObjectRef)>),
}

/// Builds like [`PyBuilder`], but leaves the outermost JSON object as its `(key, value)` list,
/// so that a stored record can fill an instance's `__dict__` without an intermediate dict.
struct EntriesBuilder<'vm> {
    inner: PyBuilder<'vm>,
}

impl EntriesBuilder<'_> {
    fn py(&mut self, e: Entry) -> Result<PyObjectRef, LoadError> {
        match e {
            Entry::Py(o) => Ok(o),
            Entry::Object(entries) => self.inner.object(entries),
        }
    }
}

impl Build for EntriesBuilder<'_> {
    type Value = Entry;
    type Error = LoadError;

    fn null(&mut self) -> Result<Entry, LoadError> {
        self.inner.null().map(Entry::Py)
    }
    fn boolean(&mut self, b: bool) -> Result<Entry, LoadError> {
        self.inner.boolean(b).map(Entry::Py)
    }
    fn int(&mut self, d: &str) -> Result<Entry, LoadError> {
        self.inner.int(d).map(Entry::Py)
    }
    fn float(&mut self, f: f64) -> Result<Entry, LoadError> {
        self.inner.float(f).map(Entry::Py)
    }
    fn string(&mut self, s: JStr) -> Result<Entry, LoadError> {
        self.inner.string(s).map(Entry::Py)
    }
    fn array(&mut self, items: Vec<Entry>) -> Result<Entry, LoadError> {
        let items = items.into_iter().map(|e| self.py(e)).collect::<Result<Vec<_>, _>>()?;
        self.inner.array(items).map(Entry::Py)
    }
    fn object(&mut self, entries: Vec<(JStr, Entry)>) -> Result<Entry, LoadError> {
        // Nested objects become dicts when their parent is built (see `py`); only the
        // outermost one stays a list.
        let out = entries.into_iter().map(|(k, v)| Ok((k, self.py(v)?))).collect::<Result<Vec<_>, LoadError>>()?;
        Ok(Entry::Object(out))
    }
}

/// Drops repeated keys as a dict would: each key keeps its first place and its last value.
fn without_repeats(entries: Vec<(JStr, PyObjectRef)>) -> Vec<(JStr, PyObjectRef)> {
    if entries.len() <= 16 {
        // A record's usual size: a linear search is cheaper than building a map.
        let mut out: Vec<(JStr, PyObjectRef)> = Vec::with_capacity(entries.len());
        for (k, v) in entries {
            match out.iter_mut().find(|(seen, _)| *seen == k) {
                Some(slot) => slot.1 = v,
                None => out.push((k, v)),
            }
        }
        return out;
    }
    let mut index: std::collections::HashMap<JStr, usize> = std::collections::HashMap::with_capacity(entries.len());
    let mut out: Vec<(JStr, PyObjectRef)> = Vec::with_capacity(entries.len());
    for (k, v) in entries {
        match index.get(&k) {
            Some(&i) => out[i].1 = v,
            None => {
                index.insert(k.clone(), out.len());
                out.push((k, v));
            }
        }
    }
    out
}

/// What [`loads_members`] does with the members of an object (see [`json::Members`]).
pub trait PyMembers {
    /// Whether the value under `key` is wanted (`None`: decline the object).
    fn wants(&mut self, key: &str) -> Option<bool>;
    /// Takes the wanted value (false: decline the object).
    fn member(&mut self, value: PyObjectRef) -> bool;
}

struct Adapt<'m, M>(&'m mut M);

impl<M: PyMembers> json::Members<PyBuilder<'_>> for Adapt<'_, M> {
    fn wants(&mut self, key: &str) -> Option<bool> {
        self.0.wants(key)
    }
    fn member(&mut self, value: PyObjectRef) -> bool {
        self.0.member(value)
    }
}

/// Reads a JSON object member by member (see [`json::decode_members`]), values built as
/// `json.loads` builds them. `None` when the text needs [`loads_entries`] (or is invalid).
pub fn loads_members(vm: &VirtualMachine, text: &str, m: &mut impl PyMembers) -> Option<()> {
    json::decode_members(text, &mut PyBuilder { vm }, &mut Adapt(m))
}

/// The `(key, value)` pairs of a JSON object, in order and without repeated keys (values are
/// built as `json.loads` builds them); `None` if the text holds another kind of value.
pub fn loads_entries(vm: &VirtualMachine, text: &str) -> PyResult<Option<Vec<(JStr, PyObjectRef)>>> {
    match json::decode(text, &mut EntriesBuilder { inner: PyBuilder { vm } }) {
        Ok(Entry::Object(entries)) => Ok(Some(without_repeats(entries))),
        Ok(Entry::Py(_)) => Ok(None),
        Err(LoadError::Py(e)) => Err(e),
        Err(LoadError::Json(e)) => Err(vm.new_value_error(e.to_string())),
    }
}
