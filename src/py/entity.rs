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

use rustpython_vm::builtins::{PyBaseExceptionRef, PyDict, PyDictRef, PyList, PyStr, PyStrInterned, PyTuple};
use std::borrow::Cow;

use rustpython_vm::types::PyComparisonOp;
use rustpython_vm::{AsObject, Py, PyObject, PyObjectRef, PyPayload, PyResult, VirtualMachine};

use super::names::names;
use super::pyjson;
use crate::host;

/// One property of a schema.
pub struct Prop {
    pub name: String,
    pub key: String,
    /// `key` (`_prop_<name>`), interned.
    pub key_i: &'static PyStrInterned,
    pub kind: u8,
    pub default: PyObjectRef,
    pub a: PyObjectRef,
    pub b: PyObjectRef,
    /// The class's descriptor object for this property.
    pub desc: PyObjectRef,
}

/// A class's schema (see the module docs).
pub struct Schema {
    pub type_name: String,
    /// `type_name`, interned.
    pub type_i: &'static PyStrInterned,
    /// Instances are plain objects with a `__dict__` (every class of the MRO but `object` is
    /// defined in Python), so a load may make one without calling `__new__`.
    pub plain: bool,
    pub alias: Option<String>,
    pub version: PyObjectRef,
    pub props: Vec<Prop>,
    pub rels: Vec<(String, bool)>,
    pub mixin: bool,
    pub context: PyObjectRef,
    pub system_time: PyObjectRef,
    pub stored_refs: PyObjectRef,
    /// The `__dict__` of a loaded instance with placeholder values (made on first use): a load
    /// copies it and fills in the values, instead of inserting every key.
    template: std::cell::OnceCell<PyDictRef>,
}

fn bad_schema(vm: &VirtualMachine) -> PyBaseExceptionRef {
    vm.new_type_error("invalid entity schema")
}

fn string(vm: &VirtualMachine, o: &PyObject) -> PyResult<String> {
    o.downcast_ref::<PyStr>().map(|s| s.to_string_lossy().into_owned()).ok_or_else(|| bad_schema(vm))
}

impl Schema {
    /// Reads the schema tuple.
    pub fn parse(vm: &VirtualMachine, t: &PyObject, plain: bool) -> PyResult<Schema> {
        let t = t.downcast_ref::<PyTuple>().ok_or_else(|| bad_schema(vm))?;
        let [type_name, alias, version, props, rels, mixin, context, system_time, stored_refs] = t.as_slice() else {
            return Err(bad_schema(vm));
        };
        let mut ps = Vec::new();
        for p in props.downcast_ref::<PyTuple>().ok_or_else(|| bad_schema(vm))?.as_slice() {
            let p = p.downcast_ref::<PyTuple>().ok_or_else(|| bad_schema(vm))?;
            let [name, kind, default, a, b, desc] = p.as_slice() else { return Err(bad_schema(vm)) };
            let name = string(vm, name)?;
            let key = format!("_prop_{name}");
            ps.push(Prop {
                key_i: vm.ctx.intern_str(key.as_str()),
                key,
                name,
                kind: kind.clone().try_into_value::<u8>(vm)?,
                default: default.clone(),
                a: a.clone(),
                b: b.clone(),
                desc: desc.clone(),
            });
        }
        let mut rs = Vec::new();
        for r in rels.downcast_ref::<PyTuple>().ok_or_else(|| bad_schema(vm))?.as_slice() {
            let r = r.downcast_ref::<PyTuple>().ok_or_else(|| bad_schema(vm))?;
            let [name, many] = r.as_slice() else { return Err(bad_schema(vm)) };
            rs.push((string(vm, name)?, many.clone().try_to_bool(vm)?));
        }
        let type_name = string(vm, type_name)?;
        Ok(Schema {
            type_i: vm.ctx.intern_str(type_name.as_str()),
            plain,
            type_name,
            alias: if vm.is_none(alias) { None } else { Some(string(vm, alias)?) },
            version: version.clone(),
            props: ps,
            rels: rs,
            mixin: mixin.clone().try_to_bool(vm)?,
            context: context.clone(),
            system_time: system_time.clone(),
            stored_refs: stored_refs.clone(),
            template: std::cell::OnceCell::new(),
        })
    }

    /// The keys of a loaded instance's `__dict__` in their order — `_type` (with its value),
    /// `_id`, the flags (with theirs), the timestamp fields, every property in schema order,
    /// `_relations` — as a dict to copy.
    fn template(&self, vm: &VirtualMachine) -> PyResult<&PyDictRef> {
        if let Some(t) = self.template.get() {
            return Ok(t);
        }
        let n = names(vm);
        let d = vm.ctx.new_dict();
        let none = || vm.ctx.none();
        d.set_item(n.type_, self.type_i.to_owned().into(), vm)?;
        d.set_item(n.id, none(), vm)?;
        d.set_item(n.loaded, vm.ctx.new_bool(true).into(), vm)?;
        d.set_item(n.counted, vm.ctx.new_bool(false).into(), vm)?;
        d.set_item(n.do_not_save, vm.ctx.new_bool(false).into(), vm)?;
        if self.mixin {
            for attr in [n.timestamp_created, n.timestamp_updated, n.creator, n.updater, n.owner] {
                d.set_item(attr, none(), vm)?;
            }
        }
        for p in &self.props {
            d.set_item(p.key_i, none(), vm)?;
        }
        d.set_item(n.relations, none(), vm)?;
        Ok(self.template.get_or_init(|| d))
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
        self.context.get_attr(names(vm).current_caller, vm)
    }

    /// `SystemTime.get_instance().get_time()`: the fixed time if one is set, else the clock.
    pub fn now_ms(&self, vm: &VirtualMachine) -> PyResult<PyObjectRef> {
        let n = names(vm);
        let fixed = self.system_time.get_attr(n.instance, vm)?;
        if !vm.is_none(&fixed) {
            let t = fixed.get_attr(n.current_time_ms, vm)?;
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
                Err(e) if e.fast_isinstance(vm.ctx.exceptions.value_error) || e.fast_isinstance(vm.ctx.exceptions.type_error) => {
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

/// `SystemTime.format_timestamp(ms)` for None or a plain `int` where the native text is exact.
pub fn format_timestamp_natively(vm: &VirtualMachine, ms: &PyObject) -> Option<String> {
    if vm.is_none(ms) {
        return Some("None".into());
    }
    if !ms.class().is(vm.ctx.types.int_type) {
        return None;
    }
    match ms.to_owned().try_into_value::<i64>(vm).ok()? {
        0 => Some("None".into()),
        n => timestamp::format(n),
    }
}

/// `SystemTime.parse_timestamp(text)` for a `str` where the native number is exact.
pub fn parse_timestamp_natively(text: &PyObject) -> Option<i64> {
    timestamp::parse(text.downcast_ref::<PyStr>()?.to_str()?)
}

/// `SystemTime.format_timestamp(ms)`: natively where that is exact, else the original's code.
pub fn format_timestamp(vm: &VirtualMachine, ms: &PyObject, system_time: &PyObject) -> PyResult<String> {
    if let Some(text) = format_timestamp_natively(vm, ms) {
        return Ok(text);
    }
    let f = system_time.get_attr("format_timestamp", vm)?;
    Ok(f.call((ms.to_owned(),), vm)?.str(vm)?.to_string_lossy().into_owned())
}

/// `SystemTime.parse_timestamp(text)`: natively where that is exact, else the original's code.
fn parse_timestamp(vm: &VirtualMachine, text: &PyObject, system_time: &PyObject) -> PyResult<PyObjectRef> {
    if let Some(ms) = parse_timestamp_natively(text) {
        return Ok(vm.ctx.new_int(ms).into());
    }
    system_time.get_attr("parse_timestamp", vm)?.call((text.to_owned(),), vm)
}

fn dict_of(vm: &VirtualMachine, obj: &PyObject) -> PyResult<PyDictRef> {
    obj.dict().ok_or_else(|| vm.new_type_error("entity has no __dict__"))
}

fn get(vm: &VirtualMachine, d: &Py<PyDict>, key: &str) -> Option<PyObjectRef> {
    d.get_item_opt(key, vm).ok().flatten()
}

/// `d.get(key)` for an interned name.
fn geti(vm: &VirtualMachine, d: &Py<PyDict>, key: &'static PyStrInterned) -> Option<PyObjectRef> {
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
pub fn serialize<'s>(vm: &VirtualMachine, entity: &PyObject, s: &'s Schema) -> PyResult<Vec<(Cow<'s, str>, PyObjectRef)>> {
    let d = dict_of(vm, entity)?;
    let none = || vm.ctx.none();
    let mut out: Vec<(Cow<'s, str>, PyObjectRef)> = Vec::with_capacity(s.props.len() + 8);
    let put = |out: &mut Vec<(Cow<'s, str>, PyObjectRef)>, k: Cow<'s, str>, v: PyObjectRef| {
        if let Some(slot) = out.iter_mut().find(|e| e.0 == k) {
            slot.1 = v;
        } else {
            out.push((k, v));
        }
    };
    let n = names(vm);
    if s.mixin {
        for (key, attr) in [("timestamp_created", n.timestamp_created), ("timestamp_updated", n.timestamp_updated)] {
            let ms = geti(vm, &d, attr).unwrap_or_else(|| vm.ctx.new_int(0).into());
            out.push((Cow::Borrowed(key), vm.ctx.new_str(format_timestamp(vm, &ms, &s.system_time)?).into()));
        }
        for (key, attr) in [("creator", n.creator), ("updater", n.updater), ("owner", n.owner)] {
            out.push((Cow::Borrowed(key), geti(vm, &d, attr).unwrap_or_else(none)));
        }
    }
    put(&mut out, Cow::Borrowed("_type"), geti(vm, &d, n.type_).unwrap_or_else(none));
    put(&mut out, Cow::Borrowed("_id"), geti(vm, &d, n.id).unwrap_or_else(none));
    for p in &s.props {
        let v = geti(vm, &d, p.key_i).unwrap_or_else(|| p.default.clone());
        put(&mut out, Cow::Borrowed(p.name.as_str()), v);
    }
    for (k, v) in d.items_vec() {
        if let Some(k) = k.downcast_ref::<PyStr>() {
            let k = k.to_string_lossy();
            if !k.starts_with('_') {
                put(&mut out, Cow::Owned(k.into_owned()), v);
            }
        }
    }
    if let Some(rels) = geti(vm, &d, n.relations) {
        let rels = rels.downcast_ref::<PyDict>().ok_or_else(|| vm.new_type_error("_relations must be a dict"))?;
        for (name, rel) in rels.items_vec() {
            let name = name.str(vm)?.to_string_lossy().into_owned();
            let ids = relation_ids(vm, &rel)?;
            if ids.is_empty() {
                continue;
            }
            let v = if ids.len() == 1 && !s.to_many(&name) { ids[0].clone() } else { vm.ctx.new_list(ids).into() };
            put(&mut out, Cow::Owned(name), v);
        }
    }
    Ok(out)
}

/// The entity's alias value (`getattr(entity, alias_field)` for a property or plain attribute).
pub fn alias_value(vm: &VirtualMachine, entity: &PyObject, s: &Schema) -> PyResult<Option<PyObjectRef>> {
    let Some(field) = &s.alias else { return Ok(None) };
    let d = dict_of(vm, entity)?;
    let v = match s.prop(field) {
        Some(p) => Some(geti(vm, &d, p.key_i).unwrap_or_else(|| p.default.clone())),
        None => get(vm, &d, field),
    };
    Ok(v.filter(|v| !vm.is_none(v)))
}

/// Applies `_update_timestamps(caller)` (TimestampedMixin) to the entity's `__dict__`.
pub fn stamp(vm: &VirtualMachine, d: &Py<PyDict>, s: &Schema, caller: &PyObjectRef) -> PyResult<()> {
    let n = names(vm);
    let now = s.now_ms(vm)?;
    let created = geti(vm, d, n.timestamp_created);
    if created.is_none_or(|c| !c.clone().try_to_bool(vm).unwrap_or(true)) {
        d.set_item(n.timestamp_created, now.clone(), vm)?;
        d.set_item(n.creator, caller.clone(), vm)?;
        d.set_item(n.owner, caller.clone(), vm)?;
    }
    d.set_item(n.timestamp_updated, now, vm)?;
    d.set_item(n.updater, caller.clone(), vm)?;
    Ok(())
}

/// The ownership check of `_save` for an existing TimestampedMixin entity.
pub fn check_owner(vm: &VirtualMachine, d: &Py<PyDict>, caller: &PyObjectRef) -> PyResult<()> {
    let n = names(vm);
    let created = geti(vm, d, n.timestamp_created).map(|c| c.try_to_bool(vm)).transpose()?.unwrap_or(false);
    if created {
        let owner = geti(vm, d, n.owner).unwrap_or_else(|| vm.ctx.none());
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

// ---------------------------------------------------------------------------------------------
// The engine: where to find the database, cached schemas, and the fast operations themselves.
// ---------------------------------------------------------------------------------------------

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use rustpython_vm::builtins::PyType;

use crate::db::policy::Access;
use crate::db::{keys, timestamp, Bounds, Resolved};
use crate::py::dbaccess::{tbl, with_table};
use crate::store::FastState;

/// Python objects the engine works with, registered by `kybra_simple_db` at import: the schema
/// builder, the `Database` class, `Entity._context`, and the Python paths the native fast paths
/// fall back to.
#[derive(Clone)]
pub struct Bound {
    schema_fn: PyObjectRef,
    database: PyObjectRef,
    context: PyObjectRef,
    /// `Property._set(desc, obj, value)`.
    pub property_set: PyObjectRef,
    /// `Entity._load(cls, entity_id, level)`.
    pub load: PyObjectRef,
    /// `Entity._getitem(cls, key)`.
    pub getitem: PyObjectRef,
    /// `Entity.__dict__["__class_getitem__"]` (the classmethod of `entity_getitem`).
    class_getitem: PyObjectRef,
}

thread_local! {
    static BOUND: RefCell<Option<Bound>> = const { RefCell::new(None) };
    /// The environment of the last database seen (valid while `Database._instance` is it).
    static ENV: RefCell<Option<Option<Env>>> = const { RefCell::new(None) };
    /// Parsed schemas by the id of their schema tuple.
    static SCHEMAS: RefCell<HashMap<usize, CachedSchema, FastState>> = RefCell::new(HashMap::default());
}

/// A parsed schema, its schema tuple (kept alive, so that its id stays its own), and whether it
/// was parsed at start-up: those of classes defined since are dropped between executions.
struct CachedSchema {
    _tuple: PyObjectRef,
    schema: Rc<Schema>,
    at_start_up: bool,
}

/// Registers the objects of [`Bound`].
pub fn bind(bound: Bound) {
    BOUND.with(|b| *b.borrow_mut() = Some(bound));
}

/// Builds a [`Bound`] from its parts (in declaration order).
pub fn bound_from(parts: [PyObjectRef; 7]) -> Bound {
    let [schema_fn, database, context, property_set, load, getitem, class_getitem] = parts;
    Bound { schema_fn, database, context, property_set, load, getitem, class_getitem }
}

/// Forgets the schemas cached for classes of earlier executions (keeping those of the classes
/// defined at start-up, whose schema tuples are pristine state) and the cached environment.
pub fn reset() {
    SCHEMAS.with(|s| s.borrow_mut().retain(|_, e| e.at_start_up));
    ENV.with(|e| *e.borrow_mut() = None);
}

/// The registered [`Bound`].
pub fn bound(vm: &VirtualMachine) -> PyResult<Bound> {
    BOUND.with(|b| b.borrow().clone()).ok_or_else(|| vm.new_runtime_error("kybra_simple_db is not bound to _db"))
}

/// `(fast, schema)` of an entity class (its `_codexvm_schema`, built by Python if missing).
pub fn schema_of(vm: &VirtualMachine, cls: &PyObject) -> PyResult<(bool, Rc<Schema>)> {
    let own = cls.downcast_ref::<PyType>().and_then(|t| t.get_direct_attr(names(vm).schema));
    let sc = match own {
        Some(sc) => sc,
        None => bound(vm)?.schema_fn.call((cls.to_owned(),), vm)?,
    };
    let parts = sc.downcast_ref::<PyTuple>().ok_or_else(|| bad_schema(vm))?;
    let [fast, native] = parts.as_slice() else { return Err(bad_schema(vm)) };
    let fast = fast.clone().try_to_bool(vm)?;
    let key = native.get_id();
    if let Some(hit) = SCHEMAS.with(|s| s.borrow().get(&key).map(|e| e.schema.clone())) {
        return Ok((fast, hit));
    }
    let plain = cls.downcast_ref::<PyType>().is_some_and(|t| plain_class(vm, t));
    let parsed = Rc::new(Schema::parse(vm, native, plain)?);
    let at_start_up = super::startup::booting();
    let cached = CachedSchema { _tuple: native.clone(), schema: parsed.clone(), at_start_up };
    SCHEMAS.with(|s| s.borrow_mut().insert(key, cached));
    Ok((fast, parsed))
}

/// True if instances of `t` are plain objects with a `__dict__`: every class of its MRO but
/// `object` is defined in Python (none derives from a built-in type's layout).
fn plain_class(vm: &VirtualMachine, t: &Py<PyType>) -> bool {
    use rustpython_vm::types::PyTypeFlags;
    let object = vm.ctx.types.object_type;
    t.slots.flags.has_feature(PyTypeFlags::HAS_DICT)
        && t.mro_map_collect(|c| c.is(object) || c.slots.flags.has_feature(PyTypeFlags::HEAPTYPE)).into_iter().all(|ok| ok)
}

/// The current database, when the fast paths may serve it (native store, no audit log).
#[derive(Clone)]
pub struct Env {
    db: PyObjectRef,
    mem: u16,
    bounds: Bounds,
    registry: PyObjectRef,
    /// `db._entity_types`.
    entity_types: PyObjectRef,
    context: PyObjectRef,
}

/// An id and its identity-map key `(type_name, id)`.
struct Keyed {
    id: PyObjectRef,
    key: PyObjectRef,
}

/// The fast-path environment, or None when the Python path must run.
pub fn env(vm: &VirtualMachine) -> PyResult<Option<Env>> {
    let database = BOUND
        .with(|b| b.borrow().as_ref().map(|b| b.database.clone()))
        .ok_or_else(|| vm.new_runtime_error("kybra_simple_db is not bound to _db"))?;
    let mut db = database.get_attr(names(vm).instance, vm)?;
    if let Some(hit) = ENV.with(|e| match &*e.borrow() {
        Some(Some(env)) if env.db.is(&db) => Some(env.clone()),
        _ => None,
    }) {
        return Ok(Some(hit));
    }
    if vm.is_none(&db) {
        db = database.get_attr("get_instance", vm)?.call((), vm)?;
    }
    let fresh = compute_env(vm, bound(vm)?, db)?;
    ENV.with(|e| *e.borrow_mut() = Some(fresh.clone()));
    Ok(fresh)
}

fn compute_env(vm: &VirtualMachine, bound: Bound, db: PyObjectRef) -> PyResult<Option<Env>> {
    let audit = db.get_attr("_db_audit", vm)?;
    if !vm.is_none(&audit) {
        return Ok(None);
    }
    let b = db.get_attr("_b", vm)?;
    if !b.get_attr("native", vm)?.try_to_bool(vm)? {
        return Ok(None);
    }
    let (mem, bounds) = tbl(&b.get_attr("t", vm)?, vm)?;
    let registry = db.get_attr("_entity_registry", vm)?;
    let entity_types = db.get_attr(names(vm).entity_types, vm)?;
    let context = bound.context.get_attr("_items", vm)?;
    Ok(Some(Env { db, mem, bounds, registry, entity_types, context }))
}

impl Env {
    /// The live entity registered under `(type_name, id)`, if any, and that identity-map key
    /// (to register a loaded entity under it without making it again).
    fn lookup(&self, vm: &VirtualMachine, sc: &Schema, id: &PyObject) -> PyResult<(Option<PyObjectRef>, Keyed)> {
        let key: PyObjectRef = vm.ctx.new_tuple(vec![sc.type_i.to_owned().into(), id.to_owned()]).into();
        let keyed = Keyed { id: id.to_owned(), key: key.clone() };
        let Some(reg) = self.registry.downcast_ref::<PyDict>() else { return Ok((None, keyed)) };
        let Some(r) = reg.get_item_opt(&*key, vm)? else { return Ok((None, keyed)) };
        let obj = match r.downcast_ref::<rustpython_vm::builtins::PyWeak>() {
            Some(w) => w.upgrade(),
            None => Some(r.call((), vm)?).filter(|o| !vm.is_none(o)),
        };
        if obj.is_none() {
            let _ = reg.del_item(&*key, vm);
        }
        Ok((obj, keyed))
    }

    /// Registers a constructed or loaded entity: its type, the identity map, `Entity._context`.
    fn register(&self, vm: &VirtualMachine, cls: &PyObject, entity: &PyObjectRef, sc: &Schema, id: PyObjectRef) -> PyResult<()> {
        let key: PyObjectRef = vm.ctx.new_tuple(vec![sc.type_i.to_owned().into(), id]).into();
        self.register_key(vm, cls, entity, sc, key)
    }

    /// [`Env::register`] under an identity-map key already made.
    fn register_key(&self, vm: &VirtualMachine, cls: &PyObject, entity: &PyObjectRef, sc: &Schema, key: PyObjectRef) -> PyResult<()> {
        let n = names(vm);
        let known = self.entity_types.downcast_ref::<PyDict>().and_then(|d| d.get_item_opt(sc.type_i, vm).ok().flatten());
        if !known.is_some_and(|k| k.is(cls)) {
            self.db.get_attr(n.register_entity_type, vm)?.call((cls.to_owned(), sc.type_i.to_owned()), vm)?;
        }
        let weak: PyObjectRef = entity.downgrade(None, vm)?.into();
        self.registry.set_item(&*key, weak, vm)?;
        let k: PyObjectRef = vm.ctx.new_int(entity.get_id()).into();
        self.context.set_item(&*k, entity.clone(), vm)?;
        Ok(())
    }
}

fn read(env: &Env, vm: &VirtualMachine, type_name: &str, key: &str) -> PyResult<Option<String>> {
    with_table(env.mem, env.bounds, Some(type_name), Access::Read, vm, |tb, st| Ok(tb.get(st, key)))
}

fn savepoint(vm: &VirtualMachine) -> PyResult<usize> {
    crate::store::global::with(|s| s.savepoint())
        .map_err(|e| vm.new_runtime_error(e.to_string()))?
        .map_err(|e| vm.new_runtime_error(e.to_string()))
}

fn end_savepoint(vm: &VirtualMachine, sp: usize, keep: bool) -> PyResult<()> {
    crate::store::global::with(|s| if keep { s.release(sp) } else { s.rollback_to(sp) })
        .map_err(|e| vm.new_runtime_error(e.to_string()))?
        .map_err(|e| vm.new_runtime_error(e.to_string()))
}

/// `Entity.__init__`'s fast path: constructs, stores and registers the entity in one step, all
/// or nothing. Returns false (having changed nothing) when the Python path must run.
pub fn construct(vm: &VirtualMachine, entity: PyObjectRef, kwargs: &Py<PyDict>) -> PyResult<bool> {
    let cls = entity.class().to_owned();
    let (fast, sc) = schema_of(vm, cls.as_object())?;
    if !fast || kwargs.get_item_opt("_loaded", vm)?.is_some_and(|v| v.try_to_bool(vm).unwrap_or(true)) {
        return Ok(false);
    }
    let Some(env) = env(vm)? else { return Ok(false) };
    if !fast_kwargs(vm, cls.as_object(), kwargs, &sc)? {
        return Ok(false);
    }
    let sp = savepoint(vm)?;
    match create(vm, &env, &entity, kwargs, &sc) {
        Ok(()) => {
            end_savepoint(vm, sp, true)?;
            let id = entity.get_attr(names(vm).id, vm)?;
            env.register(vm, cls.as_object(), &entity, &sc, id)?;
            Ok(true)
        }
        Err(e) => {
            end_savepoint(vm, sp, false)?;
            Err(e)
        }
    }
}

fn create(vm: &VirtualMachine, env: &Env, entity: &PyObjectRef, kwargs: &Py<PyDict>, sc: &Schema) -> PyResult<()> {
    let (mem, b) = (env.mem, env.bounds);
    let t = sc.type_name.as_str();
    let n = names(vm);
    let d = dict_of(vm, entity)?;
    let custom = kwargs.get_item_opt(n.id, vm)?.filter(|v| !vm.is_none(v));
    // The flags take their final values at once: no Python code runs before the record is
    // written, and on a failure the half-made object is dropped with everything else.
    d.set_item(n.type_, sc.type_i.to_owned().into(), vm)?;
    d.set_item(n.loaded, vm.ctx.new_bool(true).into(), vm)?;
    d.set_item(n.counted, vm.ctx.new_bool(true).into(), vm)?;
    d.set_item(n.relations, vm.ctx.new_dict().into(), vm)?;
    if sc.mixin {
        d.set_item(n.timestamp_created, vm.ctx.new_int(0).into(), vm)?;
        d.set_item(n.timestamp_updated, vm.ctx.new_int(0).into(), vm)?;
        for k in [n.creator, n.updater, n.owner] {
            d.set_item(k, vm.ctx.none(), vm)?;
        }
    }
    let id: PyObjectRef = match &custom {
        Some(c) => {
            let (text, json) = (c.str(vm)?.to_string_lossy().into_owned(), pyjson::dumps(vm, c)?);
            with_table(mem, b, Some(t), Access::Write, vm, |tb, st| tb.note_custom_id(st, t, &text, &json))?;
            c.clone()
        }
        None => vm.ctx.new_str(with_table(mem, b, Some(t), Access::Write, vm, |tb, st| tb.next_id(st, t))?).into(),
    };
    d.set_item(n.id, id.clone(), vm)?;
    let key = if custom.is_some() { keys::entity(t, &id.str(vm)?.to_string_lossy()) } else { String::new() };
    let caller = if sc.mixin { sc.caller(vm)? } else { vm.ctx.none() };
    let mut counted = false;
    // What `_save()` does before the record is written: the duplicate check, then the count.
    let mut first_save = |vm: &VirtualMachine| -> PyResult<()> {
        if counted {
            return Ok(());
        }
        if custom.is_some() && read(env, vm, t, &key)?.is_some_and(|v| !v.is_empty()) {
            return Err(vm.new_value_error(format!("Entity {t}@{} already exists", id.str(vm)?)));
        }
        counted = true;
        Ok(())
    };
    d.set_item(n.do_not_save, vm.ctx.new_bool(false).into(), vm)?;
    for (k, v) in kwargs.items_vec() {
        let k = k.str(vm)?.to_string_lossy().into_owned();
        if k.starts_with('_') {
            continue;
        }
        match sc.prop(&k) {
            Some(p) => {
                let v = validate(vm, p, v)?;
                d.set_item(p.key_i, v, vm)?;
                first_save(vm)?;
                if sc.mixin {
                    check_owner(vm, &d, &caller)?;
                    stamp(vm, &d, sc, &caller)?;
                }
            }
            None => d.set_item(k.as_str(), v, vm)?,
        }
    }
    first_save(vm)?;
    if sc.mixin {
        check_owner(vm, &d, &caller)?;
        stamp(vm, &d, sc, &caller)?;
    }
    // The count is written with the record, in one store access (inside the caller's
    // savepoint, so a failure in between leaves nothing).
    write_record(vm, env, entity, sc, &id, Write::New)
}

/// What [`write_record`] writes besides the record and its alias entry.
enum Write<'a> {
    /// A new entity: the live count goes up too.
    New,
    /// A saved entity; the alias value the stored record already has, if known: an alias entry
    /// that already holds this id is not written again (the stored bytes are the same).
    Update(Option<&'a PyObject>),
}

/// Writes the entity's record and alias entry (both sizes are checked before either write).
fn write_record(vm: &VirtualMachine, env: &Env, entity: &PyObjectRef, sc: &Schema, id: &PyObjectRef, what: Write<'_>) -> PyResult<()> {
    let alias_before = match &what {
        Write::Update(before) => *before,
        Write::New => None,
    };
    let t = sc.type_name.as_str();
    let key = keys::entity(t, &id.str(vm)?.to_string_lossy());
    let text = record_json(vm, entity, sc)?;
    let alias = match alias_value(vm, entity, sc)? {
        Some(v) => {
            let unchanged = match alias_before {
                Some(b) => b.is(&v) || b.rich_compare_bool(&v, PyComparisonOp::Eq, vm)?,
                None => false,
            };
            Some((keys::alias(t, &v.str(vm)?.to_string_lossy()), pyjson::dumps(vm, id)?, unchanged))
        }
        None => None,
    };
    with_table(env.mem, env.bounds, Some(t), Access::Write, vm, |tb, st| {
        if let Write::New = &what {
            tb.increment_count(st, t)?;
        }
        tb.check(&key, &text)?;
        if let Some((ak, av, _)) = &alias {
            tb.check(ak, av)?;
        }
        tb.put(st, &key, &text)?;
        if let Some((ak, av, unchanged)) = &alias {
            if !(*unchanged && tb.get(st, ak).as_deref() == Some(av.as_str())) {
                tb.put(st, ak, av)?;
            }
        }
        Ok(())
    })
}

/// `Property.__set__`'s fast path for a loaded entity: validates, assigns and saves; if saving
/// fails the entity keeps its old values. Returns false when the Python path must run.
pub fn set_property(vm: &VirtualMachine, desc: &PyObject, entity: PyObjectRef, value: PyObjectRef) -> PyResult<bool> {
    let cls = entity.class().to_owned();
    let (fast, sc) = schema_of(vm, cls.as_object())?;
    if !fast {
        return Ok(false);
    }
    let n = names(vm);
    let d = dict_of(vm, &entity)?;
    let flag = |k: &'static PyStrInterned| geti(vm, &d, k).map(|v| v.try_to_bool(vm)).transpose();
    let loaded = geti(vm, &d, n.loaded).is_some_and(|v| v.is(&vm.ctx.true_value));
    if !loaded || flag(n.do_not_save)?.unwrap_or(false) || flag(n.hydrating)?.unwrap_or(false) {
        return Ok(false);
    }
    let Some(p) = sc.props.iter().find(|p| p.desc.is(desc)) else { return Ok(false) };
    let Some(env) = env(vm)? else { return Ok(false) };
    let v = validate(vm, p, value)?;
    let kept: &[&'static PyStrInterned] = if sc.mixin {
        &[p.key_i, n.timestamp_updated, n.updater, n.timestamp_created, n.creator, n.owner]
    } else {
        std::slice::from_ref(&p.key_i)
    };
    let keep: Vec<(&'static PyStrInterned, Option<PyObjectRef>)> = kept.iter().map(|k| (*k, geti(vm, &d, k))).collect();
    let alias_before = match &sc.alias {
        Some(field) if *field == p.name => keep[0].1.clone(),
        Some(_) => alias_value(vm, &entity, &sc)?,
        None => None,
    };
    d.set_item(p.key_i, v, vm)?;
    let result = (|| -> PyResult<()> {
        if sc.mixin {
            let caller = sc.caller(vm)?;
            check_owner(vm, &d, &caller)?;
            stamp(vm, &d, &sc, &caller)?;
        }
        let id = geti(vm, &d, n.id).unwrap_or_else(|| vm.ctx.none());
        write_record(vm, &env, &entity, &sc, &id, Write::Update(alias_before.as_deref()))
    })();
    if let Err(e) = result {
        for (k, old) in keep {
            match old {
                Some(o) => d.set_item(k, o, vm)?,
                None => {
                    let _ = d.del_item(k, vm);
                }
            }
        }
        return Err(e);
    }
    Ok(true)
}

const MIXIN_KEYS: [&str; 5] = ["timestamp_created", "timestamp_updated", "creator", "updater", "owner"];

/// Where a stored member goes when an entity is built from its record.
enum Member<'s> {
    /// A property, with its stored value.
    Prop(&'s Prop, PyObjectRef),
    /// A relation (index into `Schema::rels`), with its stored ids.
    Relation(usize, PyObjectRef),
    /// A plain attribute (a key the class does not define).
    Attr(PyObjectRef, PyObjectRef),
}

/// A stored record, sorted by where its members go (a repeated key: the last value, in the
/// first place, as `json.loads` reads it).
struct Record<'s> {
    id: Option<PyObjectRef>,
    version: Option<PyObjectRef>,
    /// The values of [`MIXIN_KEYS`] (read only for a `TimestampedMixin` class).
    mixin: [Option<PyObjectRef>; 5],
    members: Vec<Member<'s>>,
}

impl<'s> Record<'s> {
    fn new(capacity: usize) -> Self {
        Record { id: None, version: None, mixin: Default::default(), members: Vec::with_capacity(capacity) }
    }

    /// Files a private key (`_id`, `__version__`, others ignored) or a mixin key; false if `key`
    /// is neither.
    fn file_reserved(&mut self, sc: &Schema, key: &str, v: &PyObjectRef) -> bool {
        if key.starts_with('_') {
            match key {
                "_id" => self.id = Some(v.clone()),
                "__version__" => self.version = Some(v.clone()),
                _ => {}
            }
            return true;
        }
        if sc.mixin {
            if let Some(i) = MIXIN_KEYS.iter().position(|m| *m == key) {
                self.mixin[i] = Some(v.clone());
                return true;
            }
        }
        false
    }

    /// Adds a property or relation member; a repeated one keeps its place and takes the value.
    fn file(&mut self, m: Member<'s>) {
        let same = |a: &Member<'s>| match (a, &m) {
            (Member::Prop(p, _), Member::Prop(q, _)) => std::ptr::eq(*p, *q),
            (Member::Relation(i, _), Member::Relation(j, _)) => i == j,
            _ => false,
        };
        match self.members.iter_mut().find(|a| same(a)) {
            Some(slot) => *slot = m,
            None => self.members.push(m),
        }
    }
}

/// Where the member [`FastRecord::wants`] accepted goes.
enum Target {
    Id,
    Version,
    Mixin(usize),
    Prop(usize),
    Relation(usize),
}

/// Reads a record whose keys are all plain text the schema knows (see [`read_record_fast`]).
struct FastRecord<'s> {
    sc: &'s Schema,
    record: Record<'s>,
    next: Target,
}

impl pyjson::PyMembers for FastRecord<'_> {
    fn wants(&mut self, key: &str) -> Option<bool> {
        let sc = self.sc;
        self.next = if key.starts_with('_') {
            match key {
                "_id" => Target::Id,
                "__version__" => Target::Version,
                _ => return Some(false), // `_type` and other private keys are not read
            }
        } else if let Some(i) = MIXIN_KEYS.iter().position(|m| *m == key).filter(|_| sc.mixin) {
            Target::Mixin(i)
        } else if let Some(i) = sc.props.iter().position(|p| p.name == key) {
            Target::Prop(i)
        } else {
            Target::Relation(sc.rels.iter().position(|(name, _)| name == key)?)
        };
        Some(true)
    }

    fn member(&mut self, v: PyObjectRef) -> bool {
        let r = &mut self.record;
        match self.next {
            Target::Id => r.id = Some(v),
            Target::Version => r.version = Some(v),
            Target::Mixin(i) => r.mixin[i] = Some(v),
            Target::Prop(i) => r.file(Member::Prop(&self.sc.props[i], v)),
            Target::Relation(i) => r.file(Member::Relation(i, v)),
        }
        true
    }
}

/// Reads a record whose keys are all plain text the schema knows, in one pass over the text,
/// without building the values it ignores; `None` when it needs [`read_record`].
fn read_record_fast<'s>(vm: &VirtualMachine, sc: &'s Schema, text: &str) -> Option<Record<'s>> {
    let mut fast = FastRecord { sc, record: Record::new(sc.props.len() + sc.rels.len()), next: Target::Id };
    pyjson::loads_members(vm, text, &mut fast)?;
    Some(fast.record)
}

/// Reads any record (`Ok(None)`: not an object, or a stored key that the class defines as
/// something other than a property or relation, which needs the Python path).
fn read_record<'s>(vm: &VirtualMachine, cls: &PyObject, sc: &'s Schema, text: &str) -> PyResult<Option<Record<'s>>> {
    use crate::db::json::JStr;
    if let Some(r) = read_record_fast(vm, sc, text) {
        return Ok(Some(r));
    }
    let Some(entries) = pyjson::loads_entries(vm, text)? else { return Ok(None) };
    let mut r = Record::new(entries.len());
    for (k, v) in entries {
        let key = match &k {
            JStr::Text(t) => Some(t.as_str()),
            JStr::CodePoints(_) => None,
        };
        if key.is_some_and(|t| r.file_reserved(sc, t, &v)) {
            continue;
        }
        if let Some(p) = key.and_then(|t| sc.prop(t)) {
            r.file(Member::Prop(p, v));
        } else if let Some(i) = key.and_then(|t| sc.rels.iter().position(|(name, _)| name == t)) {
            r.file(Member::Relation(i, v));
        } else {
            let name = pyjson::str_obj(vm, k);
            if cls.get_attr(&*name.str(vm)?, vm).is_ok() {
                return Ok(None);
            }
            r.members.push(Member::Attr(name, v));
        }
    }
    Ok(Some(r))
}

/// Builds an instance of `cls` from its stored JSON without running Python code. Returns
/// `Ok(None)` when the Python path must run (a schema migration, or a stored key that the class
/// defines as something other than a property or relation).
fn hydrate(vm: &VirtualMachine, cls: &PyObject, sc: &Schema, id: &PyObject, text: &str) -> PyResult<Option<PyObjectRef>> {
    let n = names(vm);
    let Some(record) = read_record(vm, cls, sc, text)? else { return Ok(None) };
    let version_matches = match &record.version {
        Some(v) => v.rich_compare_bool(&sc.version, PyComparisonOp::Eq, vm)?,
        None => vm.ctx.new_int(1).as_object().rich_compare_bool(&sc.version, PyComparisonOp::Eq, vm)?,
    };
    if !version_matches {
        return Ok(None);
    }
    // A record of every property in schema order, and nothing else, fills a copy of the
    // schema's template; any other is built key by key (in the same order).
    let in_schema_order = record.members.len() == sc.props.len()
        && record.members.iter().zip(&sc.props).all(|(m, p)| matches!(m, Member::Prop(q, _) if std::ptr::eq(*q, p)));
    let d = if in_schema_order { sc.template(vm)?.copy().into_ref(&vm.ctx) } else { vm.ctx.new_dict() };
    // The id looked up stands for an equal stored one (so the identity-map key made for it
    // serves).
    let same = |v: &PyObjectRef| {
        let exact = |o: &PyObject| o.class().is(vm.ctx.types.str_type);
        exact(v) && exact(id) && v.downcast_ref::<PyStr>().map(|s| s.as_wtf8()) == id.downcast_ref::<PyStr>().map(|s| s.as_wtf8())
    };
    let stored_id = match record.id.filter(|v| !vm.is_none(v)) {
        Some(v) if !same(&v) => v,
        _ => id.to_owned(),
    };
    if in_schema_order {
        d.set_item(n.id, stored_id, vm)?;
    } else {
        d.set_item(n.type_, sc.type_i.to_owned().into(), vm)?;
        d.set_item(n.id, stored_id, vm)?;
        d.set_item(n.loaded, vm.ctx.new_bool(true).into(), vm)?;
        d.set_item(n.counted, vm.ctx.new_bool(false).into(), vm)?;
        d.set_item(n.do_not_save, vm.ctx.new_bool(false).into(), vm)?;
    }
    if sc.mixin {
        // Without `timestamp_created`, a record's mixin fields all take their defaults.
        let [created, updated, creator, updater, owner] = match record.mixin[0] {
            Some(_) => record.mixin,
            None => Default::default(),
        };
        for (v, attr) in [(created, n.timestamp_created), (updated, n.timestamp_updated)] {
            let ms = match v {
                Some(text) => parse_timestamp(vm, &text, &sc.system_time)?,
                None => vm.ctx.new_int(0).into(),
            };
            d.set_item(attr, ms, vm)?;
        }
        for (v, attr) in [(creator, n.creator), (updater, n.updater), (owner, n.owner)] {
            d.set_item(attr, v.unwrap_or_else(|| vm.ctx.none()), vm)?;
        }
    }
    let rels = vm.ctx.new_dict();
    for m in record.members {
        match m {
            Member::Prop(p, v) => d.set_item(p.key_i, validate(vm, p, v)?, vm)?,
            Member::Relation(i, v) => {
                if !vm.is_none(&v) {
                    rels.set_item(sc.rels[i].0.as_str(), stored_refs(vm, sc, v)?, vm)?;
                }
            }
            Member::Attr(name, v) => d.set_item(&*name, v, vm)?,
        }
    }
    d.set_item(n.relations, rels.into(), vm)?;
    let entity = match cls.downcast_ref::<PyType>().filter(|_| sc.plain) {
        Some(t) => vm.ctx.new_base_object(t.to_owned(), Some(d)),
        None => {
            let e = cls.get_attr(n.new, vm)?.call((cls.to_owned(),), vm)?;
            let own = dict_of(vm, &e)?;
            for (k, v) in d.items_vec() {
                own.set_item(&*k, v, vm)?;
            }
            e
        }
    };
    Ok(Some(entity))
}

/// What a fast load found.
pub enum Loaded {
    /// The entity (from the identity map or storage).
    Entity(PyObjectRef),
    /// No such record.
    Missing,
    /// The Python path must run.
    Python,
}

/// `Entity.load(id)`'s fast path: the identity map, else the store.
pub fn load(vm: &VirtualMachine, cls: &PyObject, id: &PyObject) -> PyResult<Loaded> {
    let (fast, sc) = schema_of(vm, cls)?;
    let Some(env) = env(vm)? else { return Ok(Loaded::Python) };
    load_with(vm, &env, cls, fast, &sc, id)
}

fn load_with(vm: &VirtualMachine, env: &Env, cls: &PyObject, fast: bool, sc: &Schema, id: &PyObject) -> PyResult<Loaded> {
    // Even an object already in memory is only handed out if the execution may read its type.
    crate::db::policy::check_type(&sc.type_name, Access::Read).map_err(|e| crate::py::dbaccess::permission_error(e.to_string(), vm))?;
    let (found, keyed) = env.lookup(vm, sc, id)?;
    if let Some(e) = found {
        return Ok(Loaded::Entity(e));
    }
    if !fast {
        return Ok(Loaded::Python);
    }
    let key = keys::entity(&sc.type_name, &id.str(vm)?.to_string_lossy());
    let Some(text) = read(env, vm, &sc.type_name, &key)?.filter(|t| !t.is_empty()) else { return Ok(Loaded::Missing) };
    match hydrate(vm, cls, sc, id, &text)? {
        Some(e) => {
            register_loaded(vm, env, cls, &e, sc, keyed)?;
            Ok(Loaded::Entity(e))
        }
        None => Ok(Loaded::Python),
    }
}

/// Registers an entity [`hydrate`] made, under the id it was stored with.
fn register_loaded(vm: &VirtualMachine, env: &Env, cls: &PyObject, e: &PyObjectRef, sc: &Schema, looked_up: Keyed) -> PyResult<()> {
    let d = dict_of(vm, e)?;
    let id = geti(vm, &d, names(vm).id).unwrap_or_else(|| vm.ctx.none());
    if id.is(&looked_up.id) {
        return env.register_key(vm, cls, e, sc, looked_up.key);
    }
    env.register(vm, cls, e, sc, id)
}

/// `Cls[key]`'s fast path: by id, then through the alias index.
pub fn getitem(vm: &VirtualMachine, cls: &PyObject, key: PyObjectRef) -> PyResult<Loaded> {
    let types = &vm.ctx.types;
    let key: PyObjectRef = if key.class().is(types.int_type) || key.class().is(types.float_type) || key.class().is(types.bool_type) {
        key.str(vm)?.into()
    } else {
        key
    };
    let Some(text) = key.downcast_ref::<PyStr>().filter(|_| key.class().is(types.str_type)).map(|s| s.to_string_lossy()) else {
        return Ok(Loaded::Python);
    };
    let (fast, sc) = schema_of(vm, cls)?;
    let Some(env) = env(vm)? else { return Ok(Loaded::Python) };
    crate::db::policy::check_type(&sc.type_name, Access::Read).map_err(|e| crate::py::dbaccess::permission_error(e.to_string(), vm))?;
    let mut keyed = None;
    if !text.is_empty() {
        let (found, k) = env.lookup(vm, &sc, &key)?;
        if let Some(e) = found {
            return Ok(Loaded::Entity(e));
        }
        keyed = Some(k);
    }
    if !fast {
        return getitem_slow(vm, &env, cls, &sc, key.clone(), &text);
    }
    // One store access for the id, the alias entry and the record it names.
    let t = sc.type_name.as_str();
    // (Read access to the type was checked above.)
    let found = with_table(env.mem, env.bounds, None, Access::Read, vm, |tb, st| Ok(tb.resolve(st, t, &text, sc.alias.is_some())))?;
    let (keyed, record): (Keyed, String) = match (found, keyed) {
        (Resolved::Missing, _) => return Ok(Loaded::Missing),
        (Resolved::ById(record), Some(keyed)) => (keyed, record),
        (Resolved::ById(record), None) => {
            let k = vm.ctx.new_tuple(vec![sc.type_i.to_owned().into(), key.clone()]).into();
            (Keyed { id: key.clone(), key: k }, record)
        }
        (Resolved::ByAlias { id, record }, _) => {
            if id.is_empty() {
                return Ok(Loaded::Missing);
            }
            let id: PyObjectRef = vm.ctx.new_str(id).into();
            let (found, keyed) = env.lookup(vm, &sc, &id)?;
            if let Some(e) = found {
                return Ok(Loaded::Entity(e));
            }
            match record {
                Some(r) => (keyed, r),
                None => return Ok(Loaded::Missing),
            }
        }
        (Resolved::Other(raw), _) => return getitem_alias_value(vm, &env, cls, true, &sc, &raw),
    };
    match hydrate(vm, cls, &sc, &keyed.id, &record)? {
        Some(e) => {
            register_loaded(vm, &env, cls, &e, &sc, keyed)?;
            Ok(Loaded::Entity(e))
        }
        None => Ok(Loaded::Python),
    }
}

/// `Cls[key]` for a class the fast paths cannot build: the identity map, else the Python path.
fn getitem_slow(vm: &VirtualMachine, env: &Env, cls: &PyObject, sc: &Schema, key: PyObjectRef, text: &str) -> PyResult<Loaded> {
    if !text.is_empty() {
        match load_with(vm, env, cls, false, sc, &key)? {
            Loaded::Missing => {}
            other => return Ok(other),
        }
    }
    let Some(_) = &sc.alias else { return Ok(Loaded::Missing) };
    let akey = keys::alias(&sc.type_name, text);
    let Some(raw) = read(env, vm, &sc.type_name, &akey)?.filter(|t| !t.is_empty()) else { return Ok(Loaded::Missing) };
    getitem_alias_value(vm, env, cls, false, sc, &raw)
}

/// Loads what an alias entry's JSON value names (0.5.0: a falsy value finds nothing, a
/// non-string one takes the Python path).
fn getitem_alias_value(vm: &VirtualMachine, env: &Env, cls: &PyObject, fast: bool, sc: &Schema, raw: &str) -> PyResult<Loaded> {
    let actual = pyjson::loads(vm, raw)?;
    if !actual.clone().try_to_bool(vm)? {
        return Ok(Loaded::Missing);
    }
    if !actual.class().is(vm.ctx.types.str_type) {
        return Ok(Loaded::Python);
    }
    load_with(vm, env, cls, fast, sc, &actual)
}

/// `Cls.instances()`'s fast path: every record of `types` (`[(type_name, class)]`), merged in
/// key order, loaded through the identity map. None when some class needs the Python path.
pub fn instances(vm: &VirtualMachine, types: &[(String, PyObjectRef)]) -> PyResult<Option<Vec<PyObjectRef>>> {
    let Some(env) = env(vm)? else { return Ok(None) };
    let mut classes = Vec::new();
    for (t, cls) in types {
        let (fast, sc) = schema_of(vm, cls)?;
        if !fast || &sc.type_name != t {
            return Ok(None);
        }
        classes.push((cls.clone(), sc));
    }
    let mut rows: Vec<(String, usize, String, String)> = Vec::new();
    for (i, (_, sc)) in classes.iter().enumerate() {
        let t = sc.type_name.clone();
        let mut after: Option<String> = None;
        loop {
            let page =
                with_table(env.mem, env.bounds, Some(&t), Access::Read, vm, |tb, st| Ok(tb.scan_type(st, &t, after.as_deref(), 1024)))?;
            let Some(last) = page.last().map(|p| keys::entity(&t, &p.0)) else { break };
            rows.extend(page.into_iter().map(|(id, text)| (keys::entity(&t, &id), i, id, text)));
            after = Some(last);
        }
    }
    // Kybra's StableBTreeMap orders keys by their Candid encoding (length first), so on the IC
    // realms saw `T@9` before `T@10`; keep that order.
    rows.sort_by(|a, b| (a.0.len(), &a.0).cmp(&(b.0.len(), &b.0)));
    let mut out = Vec::with_capacity(rows.len());
    for (_, i, id, text) in rows {
        let (cls, sc) = &classes[i];
        let id_obj: PyObjectRef = vm.ctx.new_str(id.as_str()).into();
        let (found, keyed) = env.lookup(vm, sc, &id_obj)?;
        if let Some(e) = found {
            out.push(e);
            continue;
        }
        if text.is_empty() {
            continue;
        }
        match hydrate(vm, cls, sc, &id_obj, &text)? {
            Some(e) => {
                register_loaded(vm, &env, cls, &e, sc, keyed)?;
                out.push(e);
            }
            None => return Ok(None),
        }
    }
    Ok(Some(out))
}

/// `Cls.count()` / `Cls.max_id()`: the counter `_system@{type}{suffix}`.
pub fn class_counter(vm: &VirtualMachine, cls: &PyObject, suffix: &str) -> PyResult<PyObjectRef> {
    let (_, sc) = schema_of(vm, cls)?;
    let key = format!("_system@{}{suffix}", sc.type_name);
    match env(vm)? {
        Some(env) => {
            let n = with_table(env.mem, env.bounds, Some(&sc.type_name), Access::Read, vm, |tb, st| tb.counter(st, &key))?;
            Ok(vm.ctx.new_int(n).into())
        }
        None => {
            let b = bound(vm)?;
            let mut db = b.database.get_attr("_instance", vm)?;
            if vm.is_none(&db) {
                db = b.database.get_attr("get_instance", vm)?.call((), vm)?;
            }
            db.get_attr("_b", vm)?.get_attr("counter", vm)?.call((vm.ctx.new_str(key),), vm)
        }
    }
}

/// `Property.__get__`: the instance's `_prop_<name>` value, or the default; the descriptor
/// itself when read from the class.
pub fn property_get(vm: &VirtualMachine, desc: &PyObject, obj: Option<&PyObject>) -> PyResult<PyObjectRef> {
    let Some(obj) = obj.filter(|o| !vm.is_none(o)) else { return Ok(desc.to_owned()) };
    let dd = desc.dict().ok_or_else(|| vm.new_type_error("property without __dict__"))?;
    let key = match dd.get_item_opt("_key", vm)? {
        Some(k) => k,
        None => {
            let name = dd.get_item_opt("name", vm)?.unwrap_or_else(|| vm.ctx.new_str("").into());
            vm.ctx.new_str(format!("_prop_{}", name.str(vm)?)).into()
        }
    };
    if let Some(od) = obj.dict() {
        if let Some(v) = od.get_item_opt(&*key, vm)? {
            return Ok(v);
        }
    }
    Ok(dd.get_item_opt("default", vm)?.unwrap_or_else(|| vm.ctx.none()))
}

/// `Property.__set__`: the fast path, else the Python path (`Property._set`).
pub fn property_set(vm: &VirtualMachine, desc: &PyObject, obj: PyObjectRef, value: PyObjectRef) -> PyResult<()> {
    if set_property(vm, desc, obj.clone(), value.clone())? {
        return Ok(());
    }
    bound(vm)?.property_set.call((desc.to_owned(), obj, value), vm).map(drop)
}

/// `Entity.load(entity_id=None, level=3)`.
pub fn load_entry(vm: &VirtualMachine, cls: PyObjectRef, entity_id: PyObjectRef, level: PyObjectRef) -> PyResult<PyObjectRef> {
    let zero: PyObjectRef = vm.ctx.new_int(0).into();
    if level.rich_compare_bool(&zero, PyComparisonOp::Eq, vm)? || !entity_id.clone().try_to_bool(vm)? {
        return Ok(vm.ctx.none());
    }
    match load(vm, &cls, &entity_id)? {
        Loaded::Entity(e) => Ok(e),
        Loaded::Missing => Ok(vm.ctx.none()),
        Loaded::Python => bound(vm)?.load.call((cls, entity_id, level), vm),
    }
}

/// `Cls[key]`.
pub fn getitem_entry(vm: &VirtualMachine, cls: PyObjectRef, key: PyObjectRef) -> PyResult<PyObjectRef> {
    match getitem(vm, &cls, key.clone())? {
        Loaded::Entity(e) => Ok(e),
        Loaded::Missing => Ok(vm.ctx.none()),
        Loaded::Python => bound(vm)?.getitem.call((cls, key), vm),
    }
}

/// `_EntityType.__getitem__(cls, key)`: `Cls[key]` as Python evaluates it — the class's
/// `__class_getitem__` — taking the native path when that is still `Entity`'s own.
fn class_subscript(cls: PyObjectRef, key: PyObjectRef, vm: &VirtualMachine) -> PyResult<PyObjectRef> {
    let name = rustpython_vm::identifier!(vm, __class_getitem__);
    let own = cls.downcast_ref::<PyType>().and_then(|t| t.get_attr(name));
    let ours = own.as_ref().is_some_and(|o| BOUND.with(|b| b.borrow().as_ref().is_some_and(|b| o.is(&b.class_getitem))));
    if ours {
        return getitem_entry(vm, cls, key);
    }
    match cls.get_attr(name, vm).ok().filter(|f| !vm.is_none(f)) {
        Some(f) => f.call((key,), vm),
        None => {
            let t = cls.downcast_ref::<PyType>().map(|t| t.slot_name().to_string()).unwrap_or_default();
            Err(vm.new_type_error(format!("type '{t}' is not subscriptable")))
        }
    }
}

/// The method descriptor of [`class_subscript`], for the entity metaclass's `__getitem__`
/// (made once per interpreter, when `kybra_simple_db` is imported).
pub fn class_subscript_method(vm: &VirtualMachine) -> PyObjectRef {
    use rustpython_vm::function::{ItemDoc, PyMethodDef, PyMethodFlags};
    // A method definition is not `Sync`, so it cannot be a `static`; one small leak per
    // interpreter instead.
    let def: &'static PyMethodDef =
        Box::leak(Box::new(PyMethodDef::new_const("__getitem__", class_subscript, PyMethodFlags::METHOD, ItemDoc::NONE)));
    def.build_method(&vm.ctx, vm.ctx.types.type_type).into()
}

/// `entity.delete()`'s fast path (no hook to consult): removes the record, the count and the
/// alias entry together — or nothing, if the count is already zero. False when the Python path
/// must run.
pub fn delete(vm: &VirtualMachine, entity: PyObjectRef) -> PyResult<bool> {
    let cls = entity.class().to_owned();
    let (fast, sc) = schema_of(vm, cls.as_object())?;
    if !fast {
        return Ok(false);
    }
    let Some(env) = env(vm)? else { return Ok(false) };
    let d = dict_of(vm, &entity)?;
    let t = sc.type_name.as_str();
    let id = geti(vm, &d, names(vm).id).unwrap_or_else(|| vm.ctx.none());
    let key = keys::entity(t, &id.str(vm)?.to_string_lossy());
    let alias = alias_value(vm, &entity, &sc)?.map(|v| v.str(vm).map(|s| keys::alias(t, &s.to_string_lossy()))).transpose()?;
    let sp = savepoint(vm)?;
    let own_alias = pyjson::dumps(vm, &id)?;
    let result = with_table(env.mem, env.bounds, Some(t), Access::Write, vm, |tb, st| {
        tb.remove(st, &key)?;
        tb.decrement_count(st, t)?;
        // Only our own alias entry: a later entity may have taken the alias over.
        if let Some(ak) = &alias {
            if tb.get(st, ak).as_deref() == Some(own_alias.as_str()) {
                tb.remove(st, ak)?;
            }
        }
        Ok(())
    });
    end_savepoint(vm, sp, result.is_ok())?;
    result?;
    let rkey: PyObjectRef = vm.ctx.new_tuple(vec![sc.type_i.to_owned().into(), id]).into();
    if let Some(reg) = env.registry.downcast_ref::<PyDict>() {
        let _ = reg.del_item(&*rkey, vm);
    }
    if let Some(items) = env.context.downcast_ref::<PyDict>() {
        let k: PyObjectRef = vm.ctx.new_int(entity.get_id()).into();
        let _ = items.del_item(&*k, vm);
    }
    Ok(true)
}
