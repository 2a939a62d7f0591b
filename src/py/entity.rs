//! The fast paths of kybra_simple_db's `Entity` in Rust: construction, loading and property
//! assignment for classes whose behaviour is entirely the package's own (no hooks, no overridden
//! `serialize`/`_save`/`__init__`, only the built-in property types). They produce exactly what
//! the Python code produces — the same `__dict__`, the same stored bytes, the same exceptions —
//! in one native call instead of dozens of Python frames. Anything else takes the Python path.
//!
//! The class's *schema* is a tuple built once per class by `entity._schema()`:
//! `(type_name, alias_field, version, props, rels, mixin, context_module, system_time_class,
//!   stored_refs_class)` with `props` = `((name, kind, default, a, b), ...)` (kind 1 String,
//! 2 Integer, 3 Float, 4 Boolean; a/b the bounds) and `rels` = `((name, to_many), ...)`.

use rustpython_vm::builtins::{PyBaseExceptionRef, PyDict, PyDictRef, PyList, PyStr, PyTuple};
use rustpython_vm::types::PyComparisonOp;
use rustpython_vm::{AsObject, Py, PyObject, PyObjectRef, PyResult, VirtualMachine};

use super::pyjson;
use crate::host;

/// One property of a schema.
pub struct Prop {
    pub name: String,
    pub key: String,
    pub kind: u8,
    pub default: PyObjectRef,
    pub a: PyObjectRef,
    pub b: PyObjectRef,
}

/// A class's schema (see the module docs).
pub struct Schema {
    pub type_name: String,
    pub alias: Option<String>,
    pub version: PyObjectRef,
    pub props: Vec<Prop>,
    pub rels: Vec<(String, bool)>,
    pub mixin: bool,
    pub context: PyObjectRef,
    pub system_time: PyObjectRef,
    pub stored_refs: PyObjectRef,
}

fn bad_schema(vm: &VirtualMachine) -> PyBaseExceptionRef {
    vm.new_type_error("invalid entity schema")
}

fn string(vm: &VirtualMachine, o: &PyObject) -> PyResult<String> {
    o.downcast_ref::<PyStr>().map(|s| s.to_string_lossy().into_owned()).ok_or_else(|| bad_schema(vm))
}

impl Schema {
    /// Reads the schema tuple.
    pub fn parse(vm: &VirtualMachine, t: &PyObject) -> PyResult<Schema> {
        let t = t.downcast_ref::<PyTuple>().ok_or_else(|| bad_schema(vm))?;
        let [type_name, alias, version, props, rels, mixin, context, system_time, stored_refs] = t.as_slice() else {
            return Err(bad_schema(vm));
        };
        let mut ps = Vec::new();
        for p in props.downcast_ref::<PyTuple>().ok_or_else(|| bad_schema(vm))?.as_slice() {
            let p = p.downcast_ref::<PyTuple>().ok_or_else(|| bad_schema(vm))?;
            let [name, kind, default, a, b] = p.as_slice() else { return Err(bad_schema(vm)) };
            let name = string(vm, name)?;
            ps.push(Prop {
                key: format!("_prop_{name}"),
                name,
                kind: kind.clone().try_into_value::<u8>(vm)?,
                default: default.clone(),
                a: a.clone(),
                b: b.clone(),
            });
        }
        let mut rs = Vec::new();
        for r in rels.downcast_ref::<PyTuple>().ok_or_else(|| bad_schema(vm))?.as_slice() {
            let r = r.downcast_ref::<PyTuple>().ok_or_else(|| bad_schema(vm))?;
            let [name, many] = r.as_slice() else { return Err(bad_schema(vm)) };
            rs.push((string(vm, name)?, many.clone().try_to_bool(vm)?));
        }
        Ok(Schema {
            type_name: string(vm, type_name)?,
            alias: if vm.is_none(alias) { None } else { Some(string(vm, alias)?) },
            version: version.clone(),
            props: ps,
            rels: rs,
            mixin: mixin.clone().try_to_bool(vm)?,
            context: context.clone(),
            system_time: system_time.clone(),
            stored_refs: stored_refs.clone(),
        })
    }

    fn prop(&self, name: &str) -> Option<&Prop> {
        self.props.iter().find(|p| p.name == name)
    }

    fn is_relation(&self, name: &str) -> bool {
        self.rels.iter().any(|r| r.0 == name)
    }

    fn to_many(&self, name: &str) -> bool {
        self.rels.iter().any(|r| r.0 == name && r.1)
    }

    /// The caller id entities are saved as (`context._current_caller`).
    pub fn caller(&self, vm: &VirtualMachine) -> PyResult<PyObjectRef> {
        self.context.get_attr("_current_caller", vm)
    }

    /// `SystemTime.get_instance().get_time()`: the fixed time if one is set, else the clock.
    pub fn now_ms(&self, vm: &VirtualMachine) -> PyResult<PyObjectRef> {
        let fixed = self.system_time.get_attr("_instance", vm)?;
        if !vm.is_none(&fixed) {
            let t = fixed.get_attr("_current_time_ms", vm)?;
            if !vm.is_none(&t) {
                return Ok(t);
            }
        }
        let secs = host::with(|h| h.time_ns()) as f64 / 1e9;
        Ok(vm.ctx.new_int((secs * 1000.0) as i64).into())
    }
}

fn type_error(vm: &VirtualMachine, p: &Prop) -> PyBaseExceptionRef {
    let t = match p.kind {
        1 => "str",
        2 => "int",
        3 => "float",
        _ => "bool",
    };
    vm.new_type_error(format!("{} must be of type {t}", p.name))
}

/// Checks and coerces a value as `Property.__set__` does (type, str coercion, validator).
pub fn validate(vm: &VirtualMachine, p: &Prop, value: PyObjectRef) -> PyResult<PyObjectRef> {
    if vm.is_none(&value) {
        return Ok(value);
    }
    let types = &vm.ctx.types;
    let ty = match p.kind {
        1 => types.str_type,
        2 => types.int_type,
        3 => types.float_type,
        _ => types.bool_type,
    };
    let mut value = value;
    if !value.fast_isinstance(ty) {
        let Some(text) = value.downcast_ref::<PyStr>().filter(|_| p.kind != 1) else {
            return Err(type_error(vm, p));
        };
        value = if p.kind == 4 {
            let low = text.to_string_lossy().to_lowercase();
            vm.ctx.new_bool(matches!(low.as_str(), "true" | "1" | "yes" | "on")).into()
        } else {
            match ty.as_object().call((value.clone(),), vm) {
                Ok(v) => v,
                Err(e)
                    if e.fast_isinstance(vm.ctx.exceptions.value_error) || e.fast_isinstance(vm.ctx.exceptions.type_error) =>
                {
                    return Err(type_error(vm, p));
                }
                Err(e) => return Err(e),
            }
        };
    }
    let ok = match p.kind {
        1 => {
            let n = value.downcast_ref::<PyStr>().map_or(0, |s| s.char_len());
            let lo = if vm.is_none(&p.a) { true } else { n >= p.a.clone().try_into_value::<usize>(vm)? };
            let hi = if vm.is_none(&p.b) { true } else { n <= p.b.clone().try_into_value::<usize>(vm)? };
            lo && hi
        }
        2 | 3 => {
            let lo = vm.is_none(&p.a) || !value.rich_compare_bool(&p.a, PyComparisonOp::Lt, vm)?;
            let hi = vm.is_none(&p.b) || !value.rich_compare_bool(&p.b, PyComparisonOp::Gt, vm)?;
            lo && hi
        }
        _ => true,
    };
    if !ok {
        return Err(vm.new_value_error(format!("Invalid value for {}: {}", p.name, value.str(vm)?)));
    }
    Ok(value)
}

/// `SystemTime.format_timestamp(ms)` for UTC: `YYYY-mm-dd HH:MM:SS.mmm`, `"None"` for 0/None.
pub fn format_timestamp(vm: &VirtualMachine, ms: &PyObject, system_time: &PyObject) -> PyResult<String> {
    if vm.is_none(ms) {
        return Ok("None".into());
    }
    let exact = if ms.class().is(vm.ctx.types.int_type) { ms.to_owned().try_into_value::<i64>(vm).ok() } else { None };
    match exact {
        Some(0) => Ok("None".into()),
        Some(ms) if ms > 0 && ms < 253_402_300_800_000 => {
            let (secs, milli) = (ms.div_euclid(1000), ms.rem_euclid(1000));
            let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
            let (y, m, d) = civil_from_days(days);
            Ok(format!("{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}.{milli:03}", rem / 3600, rem % 3600 / 60, rem % 60))
        }
        _ => {
            let f = system_time.get_attr("format_timestamp", vm)?;
            Ok(f.call((ms.to_owned(),), vm)?.str(vm)?.to_string_lossy().into_owned())
        }
    }
}

/// Inverse of [`format_timestamp`]; 0 for "None" or anything unreadable.
pub fn parse_timestamp(text: &str) -> i64 {
    let b = text.as_bytes();
    if b.len() != 23 {
        return 0;
    }
    let num = |r: std::ops::Range<usize>| text.get(r).and_then(|s| s.parse::<i64>().ok());
    let (Some(y), Some(mo), Some(d), Some(h), Some(mi), Some(s), Some(ms)) =
        (num(0..4), num(5..7), num(8..10), num(11..13), num(14..16), num(17..19), num(20..23))
    else {
        return 0;
    };
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || s > 59 {
        return 0;
    }
    (days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + s) * 1000 + ms
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
pub fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day count since 1970-01-01.
pub fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { yoe + era * 400 + 1 } else { yoe + era * 400 }, m, d)
}

fn dict_of(vm: &VirtualMachine, obj: &PyObject) -> PyResult<PyDictRef> {
    obj.dict().ok_or_else(|| vm.new_type_error("entity has no __dict__"))
}

fn get(vm: &VirtualMachine, d: &Py<PyDict>, key: &str) -> Option<PyObjectRef> {
    d.get_item_opt(key, vm).ok().flatten()
}

/// The id list of one relation entry: entities' `_id`s, or the ids of unresolved stored refs.
fn relation_ids(vm: &VirtualMachine, rel: &PyObject) -> PyResult<Vec<PyObjectRef>> {
    if let Some(list) = rel.downcast_ref::<PyList>() {
        let items = list.borrow_vec().to_vec();
        return items.iter().map(|e| e.get_attr("_id", vm)).collect();
    }
    let ids = rel.get_attr("ids", vm)?;
    let list = ids.downcast_ref::<PyList>().ok_or_else(|| vm.new_type_error("stored relation ids must be a list"))?;
    let v = list.borrow_vec().to_vec();
    Ok(v)
}

/// `serialize()` of an entity of `schema`, as ordered `(key, value)` pairs.
pub fn serialize(vm: &VirtualMachine, entity: &PyObject, s: &Schema) -> PyResult<Vec<(String, PyObjectRef)>> {
    let d = dict_of(vm, entity)?;
    let none = || vm.ctx.none();
    let mut out: Vec<(String, PyObjectRef)> = Vec::with_capacity(s.props.len() + 8);
    let put = |out: &mut Vec<(String, PyObjectRef)>, k: String, v: PyObjectRef| {
        if let Some(slot) = out.iter_mut().find(|e| e.0 == k) {
            slot.1 = v;
        } else {
            out.push((k, v));
        }
    };
    if s.mixin {
        for (key, attr) in [("timestamp_created", "_timestamp_created"), ("timestamp_updated", "_timestamp_updated")] {
            let ms = get(vm, &d, attr).unwrap_or_else(|| vm.ctx.new_int(0).into());
            out.push((key.into(), vm.ctx.new_str(format_timestamp(vm, &ms, &s.system_time)?).into()));
        }
        for (key, attr) in [("creator", "_creator"), ("updater", "_updater"), ("owner", "_owner")] {
            out.push((key.into(), get(vm, &d, attr).unwrap_or_else(none)));
        }
    }
    put(&mut out, "_type".into(), get(vm, &d, "_type").unwrap_or_else(none));
    put(&mut out, "_id".into(), get(vm, &d, "_id").unwrap_or_else(none));
    for p in &s.props {
        let v = get(vm, &d, &p.key).unwrap_or_else(|| p.default.clone());
        put(&mut out, p.name.clone(), v);
    }
    for (k, v) in d.items_vec() {
        if let Some(k) = k.downcast_ref::<PyStr>() {
            let k = k.to_string_lossy();
            if !k.starts_with('_') {
                put(&mut out, k.into_owned(), v);
            }
        }
    }
    if let Some(rels) = get(vm, &d, "_relations") {
        let rels = rels.downcast_ref::<PyDict>().ok_or_else(|| vm.new_type_error("_relations must be a dict"))?;
        for (name, rel) in rels.items_vec() {
            let name = name.str(vm)?.to_string_lossy().into_owned();
            let ids = relation_ids(vm, &rel)?;
            if ids.is_empty() {
                continue;
            }
            let v = if ids.len() == 1 && !s.to_many(&name) { ids[0].clone() } else { vm.ctx.new_list(ids).into() };
            put(&mut out, name, v);
        }
    }
    Ok(out)
}

/// The entity's alias value (`getattr(entity, alias_field)` for a property or plain attribute).
pub fn alias_value(vm: &VirtualMachine, entity: &PyObject, s: &Schema) -> PyResult<Option<PyObjectRef>> {
    let Some(field) = &s.alias else { return Ok(None) };
    let d = dict_of(vm, entity)?;
    let v = match s.prop(field) {
        Some(p) => Some(get(vm, &d, &p.key).unwrap_or_else(|| p.default.clone())),
        None => get(vm, &d, field),
    };
    Ok(v.filter(|v| !vm.is_none(v)))
}

/// Applies `_update_timestamps(caller)` (TimestampedMixin) to the entity's `__dict__`.
pub fn stamp(vm: &VirtualMachine, d: &Py<PyDict>, s: &Schema, caller: &PyObjectRef) -> PyResult<()> {
    let now = s.now_ms(vm)?;
    let created = get(vm, d, "_timestamp_created");
    if created.is_none_or(|c| !c.clone().try_to_bool(vm).unwrap_or(true)) {
        d.set_item("_timestamp_created", now.clone(), vm)?;
        d.set_item("_creator", caller.clone(), vm)?;
        d.set_item("_owner", caller.clone(), vm)?;
    }
    d.set_item("_timestamp_updated", now, vm)?;
    d.set_item("_updater", caller.clone(), vm)?;
    Ok(())
}

/// The ownership check of `_save` for an existing TimestampedMixin entity.
pub fn check_owner(vm: &VirtualMachine, d: &Py<PyDict>, caller: &PyObjectRef) -> PyResult<()> {
    let created = get(vm, d, "_timestamp_created").map(|c| c.try_to_bool(vm)).transpose()?.unwrap_or(false);
    if created {
        let owner = get(vm, d, "_owner").unwrap_or_else(|| vm.ctx.none());
        if !owner.rich_compare_bool(caller, PyComparisonOp::Eq, vm)? {
            return Err(vm.new_exception_msg(
                vm.ctx.exceptions.permission_error.to_owned(),
                format!("Only the owner can update this entity. Current owner: {}", owner.str(vm)?).into(),
            ));
        }
    }
    Ok(())
}

/// The JSON record of an entity: `serialize()` plus `"__version__"`.
pub fn record_json(vm: &VirtualMachine, entity: &PyObject, s: &Schema) -> PyResult<String> {
    let entries = serialize(vm, entity, s)?;
    pyjson::dumps_entries(vm, &entries, Some(&s.version))
}

/// True if `kwargs` can take the fast construction path: every public key is a built-in
/// property or a plain attribute the class does not define.
pub fn fast_kwargs(vm: &VirtualMachine, cls: &PyObject, kwargs: &PyDict, s: &Schema) -> PyResult<bool> {
    for (k, _) in kwargs.items_vec() {
        let Some(k) = k.downcast_ref::<PyStr>() else { return Ok(false) };
        let k = k.to_string_lossy();
        if k.starts_with('_') {
            if k != "_id" && k != "_loaded" {
                continue;
            }
            continue;
        }
        if s.prop(&k).is_some() {
            continue;
        }
        if s.is_relation(&k) || cls.get_attr(&*vm.ctx.new_str(k.as_ref()), vm).is_ok() {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Property entries of the schema, by name.
pub fn prop<'a>(s: &'a Schema, name: &str) -> Option<&'a Prop> {
    s.prop(name)
}

/// Builds a `_StoredRefs` for relation `name` from a stored value.
pub fn stored_refs(vm: &VirtualMachine, s: &Schema, value: PyObjectRef) -> PyResult<PyObjectRef> {
    s.stored_refs.call((value,), vm)
}

/// True if `name` is a relation of the schema.
pub fn is_relation(s: &Schema, name: &str) -> bool {
    s.is_relation(name)
}
