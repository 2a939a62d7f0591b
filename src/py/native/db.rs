//! `_db`: the native kybra_simple_db engine for Python — key layout, the JSON codec, counters,
//! the alias index and type-range scans over one map of the store (`db::Table`). Every call
//! is checked against the execution's access policy.

#[rustpython_vm::pymodule]
pub mod _db {
    use rustpython_vm::builtins::{PyListRef, PyStrRef, PyTuple, PyType};
    use rustpython_vm::function::{FuncArgs, OptionalArg, PySetterValue};
    use rustpython_vm::types::{Constructor, GetDescriptor};
    use rustpython_vm::{pyclass, FromArgs, Py, PyObject, PyObjectRef, PyPayload, PyResult, VirtualMachine};

    use rustpython_vm::builtins::PyDictRef;

    use crate::db::keys;
    use crate::db::policy::{self, Access};
    use crate::py::entity as ent;
    use crate::py::pyjson;
    use crate::store;

    use crate::py::dbaccess::{permission_error, tbl, with_table};

    fn s(p: &PyStrRef) -> String {
        p.to_string_lossy().into_owned()
    }

    /// `json.dumps(obj)`, byte-identical to CPython's.
    #[pyfunction]
    fn dumps(obj: PyObjectRef, vm: &VirtualMachine) -> PyResult<String> {
        pyjson::dumps(vm, &obj)
    }

    /// `json.loads(text)`.
    #[pyfunction]
    fn loads(text: PyStrRef, vm: &VirtualMachine) -> PyResult<PyObjectRef> {
        pyjson::loads(vm, &text.to_string_lossy())
    }

    /// The raw value under `key`, or None.
    #[pyfunction]
    fn get(table: PyObjectRef, key: PyStrRef, vm: &VirtualMachine) -> PyResult<Option<String>> {
        let (mem, b) = tbl(&table, vm)?;
        let key = s(&key);
        with_table(mem, b, keys::owner_type(&key), Access::Read, vm, |t, st| Ok(t.get(st, &key)))
    }

    /// Stores `value` under `key`.
    #[pyfunction]
    fn put(table: PyObjectRef, key: PyStrRef, value: PyStrRef, vm: &VirtualMachine) -> PyResult<()> {
        let (mem, b) = tbl(&table, vm)?;
        let (key, value) = (s(&key), s(&value));
        with_table(mem, b, keys::owner_type(&key), Access::Write, vm, |t, st| t.put(st, &key, &value))
    }

    /// Removes `key`, returning its value.
    #[pyfunction]
    fn remove(table: PyObjectRef, key: PyStrRef, vm: &VirtualMachine) -> PyResult<Option<String>> {
        let (mem, b) = tbl(&table, vm)?;
        let key = s(&key);
        with_table(mem, b, keys::owner_type(&key), Access::Write, vm, |t, st| t.remove(st, &key))
    }

    /// Up to `limit` `(key, value)` pairs after `after`, in key order (keys the execution may
    /// not read are skipped).
    #[pyfunction]
    fn scan(table: PyObjectRef, after: Option<PyStrRef>, limit: usize, vm: &VirtualMachine) -> PyResult<PyListRef> {
        let (mem, b) = tbl(&table, vm)?;
        let mut after = after.map(|a| s(&a));
        let mut out = Vec::new();
        while out.len() < limit {
            let page = with_table(mem, b, None, Access::Read, vm, |t, st| Ok(t.scan_raw(st, after.as_deref(), limit)))?;
            let Some(last) = page.last().map(|p| p.0.clone()) else { break };
            for (k, v) in page {
                if keys::owner_type(&k).is_none_or(|t| policy::check_type(t, Access::Read).is_ok()) && out.len() < limit {
                    out.push(vm.ctx.new_tuple(vec![vm.ctx.new_str(k).into(), vm.ctx.new_str(v).into()]).into());
                }
            }
            after = Some(last);
        }
        Ok(vm.ctx.new_list(out))
    }

    /// Stores `json.dumps(data)` under `{type}@{id}`; returns the JSON text.
    #[pyfunction]
    fn save(table: PyObjectRef, type_name: PyStrRef, id: PyObjectRef, data: PyObjectRef, vm: &VirtualMachine) -> PyResult<String> {
        let (mem, b) = tbl(&table, vm)?;
        let t = s(&type_name);
        let key = keys::entity(&t, &id.str(vm)?.to_string_lossy());
        let text = pyjson::dumps(vm, &data)?;
        with_table(mem, b, Some(&t), Access::Write, vm, |tb, st| tb.put(st, &key, &text))?;
        Ok(text)
    }

    /// The dict stored under `{type}@{id}`, or None.
    #[pyfunction]
    fn load(table: PyObjectRef, type_name: PyStrRef, id: PyStrRef, vm: &VirtualMachine) -> PyResult<PyObjectRef> {
        let (mem, b) = tbl(&table, vm)?;
        let t = s(&type_name);
        let key = keys::entity(&t, &s(&id));
        match with_table(mem, b, Some(&t), Access::Read, vm, |tb, st| Ok(tb.get(st, &key)))? {
            Some(text) if !text.is_empty() => pyjson::loads(vm, &text),
            _ => Ok(vm.ctx.none()),
        }
    }

    /// True if `{type}@{id}` exists.
    #[pyfunction]
    fn exists(table: PyObjectRef, type_name: PyStrRef, id: PyStrRef, vm: &VirtualMachine) -> PyResult<bool> {
        let (mem, b) = tbl(&table, vm)?;
        let t = s(&type_name);
        let key = keys::entity(&t, &s(&id));
        with_table(mem, b, Some(&t), Access::Read, vm, |tb, st| Ok(tb.get(st, &key).is_some_and(|v| !v.is_empty())))
    }

    /// `save_entity(table, type_name, id, data, version, alias_type, alias_value)`.
    #[derive(FromArgs)]
    struct SaveEntityArgs {
        #[pyarg(positional)]
        table: PyObjectRef,
        #[pyarg(positional)]
        type_name: PyStrRef,
        #[pyarg(positional)]
        id: PyObjectRef,
        #[pyarg(positional)]
        data: PyObjectRef,
        #[pyarg(positional)]
        version: PyObjectRef,
        #[pyarg(positional)]
        alias_type: Option<PyStrRef>,
        #[pyarg(positional)]
        alias_value: PyObjectRef,
    }

    /// Persists an entity as 0.5.0 does: `{**data, "__version__": version}` under `{type}@{id}`
    /// and, when `alias_type` is given, `json.dumps(id)` under `{alias_type}@{alias_value}`.
    /// Both sizes are checked before anything is written.
    #[pyfunction]
    fn save_entity(args: SaveEntityArgs, vm: &VirtualMachine) -> PyResult<()> {
        let SaveEntityArgs { table, type_name, id, data, version, alias_type, alias_value } = args;
        let (mem, b) = tbl(&table, vm)?;
        let t = s(&type_name);
        let key = keys::entity(&t, &id.str(vm)?.to_string_lossy());
        let text = pyjson::dumps_with_version(vm, &data, &version)?;
        let alias = match alias_type {
            Some(at) => Some((format!("{}@{}", s(&at), alias_value.str(vm)?.to_string_lossy()), pyjson::dumps(vm, &id)?)),
            None => None,
        };
        if let Some(owner) = alias.as_ref().and_then(|(ak, _)| keys::owner_type(ak)) {
            // The alias entry is written beside the record: its type must be one this execution
            // may write too (its own namespace, not another task's nor the task model's).
            policy::check_type(owner, Access::Write).map_err(|e| permission_error(e.to_string(), vm))?;
        }
        with_table(mem, b, Some(&t), Access::Write, vm, |tb, st| {
            tb.check(&key, &text)?;
            if let Some((ak, av)) = &alias {
                tb.check(ak, av)?;
            }
            tb.put(st, &key, &text)?;
            if let Some((ak, av)) = &alias {
                tb.put(st, ak, av)?;
            }
            Ok(())
        })
    }

    /// Hands out the next id of `type`.
    #[pyfunction]
    fn next_id(table: PyObjectRef, type_name: PyStrRef, vm: &VirtualMachine) -> PyResult<String> {
        let (mem, b) = tbl(&table, vm)?;
        let t = s(&type_name);
        with_table(mem, b, Some(&t), Access::Write, vm, |tb, st| tb.next_id(st, &t))
    }

    /// Raises the id counter of `type` to a numeric custom id above it.
    #[pyfunction]
    fn note_custom_id(table: PyObjectRef, type_name: PyStrRef, id: PyObjectRef, vm: &VirtualMachine) -> PyResult<()> {
        let (mem, b) = tbl(&table, vm)?;
        let t = s(&type_name);
        let id_json = pyjson::dumps(vm, &id)?;
        let id = id.str(vm)?.to_string_lossy().into_owned();
        with_table(mem, b, Some(&t), Access::Write, vm, |tb, st| tb.note_custom_id(st, &t, &id, &id_json))
    }

    /// The number stored (as a JSON string) under `key`; 0 when absent.
    #[pyfunction]
    fn counter(table: PyObjectRef, key: PyStrRef, vm: &VirtualMachine) -> PyResult<u64> {
        let (mem, b) = tbl(&table, vm)?;
        let key = s(&key);
        with_table(mem, b, keys::owner_type(&key), Access::Read, vm, |tb, st| tb.counter(st, &key))
    }

    /// Adds one to the live count of `type`; returns the new count.
    #[pyfunction]
    fn increment_count(table: PyObjectRef, type_name: PyStrRef, vm: &VirtualMachine) -> PyResult<u64> {
        let (mem, b) = tbl(&table, vm)?;
        let t = s(&type_name);
        with_table(mem, b, Some(&t), Access::Write, vm, |tb, st| tb.increment_count(st, &t))
    }

    /// Subtracts one from the live count of `type` (ValueError at zero, as in 0.5.0).
    #[pyfunction]
    fn decrement_count(table: PyObjectRef, type_name: PyStrRef, vm: &VirtualMachine) -> PyResult<u64> {
        let (mem, b) = tbl(&table, vm)?;
        let t = s(&type_name);
        with_table(mem, b, Some(&t), Access::Write, vm, |tb, st| tb.decrement_count(st, &t))
    }

    /// The id stored under `{alias_type}@{value}`, or None.
    #[pyfunction]
    fn alias_get(table: PyObjectRef, alias_type: PyStrRef, value: PyStrRef, vm: &VirtualMachine) -> PyResult<PyObjectRef> {
        let (mem, b) = tbl(&table, vm)?;
        let key = format!("{}@{}", s(&alias_type), s(&value));
        match with_table(mem, b, keys::owner_type(&key), Access::Read, vm, |tb, st| Ok(tb.get(st, &key)))? {
            Some(text) if !text.is_empty() => pyjson::loads(vm, &text),
            _ => Ok(vm.ctx.none()),
        }
    }

    /// Up to `limit` `(type, id, key)` records of the given types, merged in key order, after
    /// `after_key`.
    #[pyfunction]
    fn scan_types(
        table: PyObjectRef,
        types: Vec<PyStrRef>,
        after_key: Option<PyStrRef>,
        limit: usize,
        vm: &VirtualMachine,
    ) -> PyResult<PyListRef> {
        let (mem, b) = tbl(&table, vm)?;
        let after = after_key.map(|a| s(&a));
        let mut rows: Vec<(String, String, String)> = Vec::new();
        for t in &types {
            let t = s(t);
            let page = with_table(mem, b, Some(&t), Access::Read, vm, |tb, st| Ok(tb.scan_type(st, &t, None, usize::MAX)))?;
            rows.extend(page.into_iter().map(|(id, _)| {
                let key = keys::entity(&t, &id);
                (t.clone(), id, key)
            }));
        }
        // Length first, then bytes: the order of Kybra's Candid-encoded StableBTreeMap keys.
        let order = |k: &str| (k.len(), k.to_owned());
        rows.sort_by_key(|r| order(&r.2));
        rows.dedup_by(|a, b| a.2 == b.2);
        if let Some(a) = &after {
            rows.retain(|r| order(&r.2) > order(a));
        }
        rows.truncate(limit);
        let items = rows
            .into_iter()
            .map(|(t, id, key)| {
                vm.ctx.new_tuple(vec![vm.ctx.new_str(t).into(), vm.ctx.new_str(id).into(), vm.ctx.new_str(key).into()]).into()
            })
            .collect();
        Ok(vm.ctx.new_list(items))
    }

    /// Opens a savepoint in the execution's transaction.
    #[pyfunction]
    fn savepoint(vm: &VirtualMachine) -> PyResult<usize> {
        store::global::with(|st| st.savepoint())
            .map_err(|e| vm.new_runtime_error(e.to_string()))?
            .map_err(|e| vm.new_runtime_error(e.to_string()))
    }

    /// Undoes every store write made since savepoint `sp`.
    #[pyfunction]
    fn rollback_to(sp: usize, vm: &VirtualMachine) -> PyResult<()> {
        store::global::with(|st| st.rollback_to(sp))
            .map_err(|e| vm.new_runtime_error(e.to_string()))?
            .map_err(|e| vm.new_runtime_error(e.to_string()))
    }

    /// Closes savepoint `sp`, keeping its writes.
    #[pyfunction]
    fn release(sp: usize, vm: &VirtualMachine) -> PyResult<()> {
        store::global::with(|st| st.release(sp))
            .map_err(|e| vm.new_runtime_error(e.to_string()))?
            .map_err(|e| vm.new_runtime_error(e.to_string()))
    }

    fn loaded(l: ent::Loaded, vm: &VirtualMachine) -> PyObjectRef {
        match l {
            ent::Loaded::Entity(e) => e,
            ent::Loaded::Missing => vm.ctx.none(),
            ent::Loaded::Python => vm.ctx.new_bool(false).into(),
        }
    }

    /// Registers `entity._schema`, the `Database` class, `Entity._context` and the Python
    /// paths of property assignment, `load` and `Cls[key]` (at start-up only: PermissionError
    /// after).
    #[pyfunction]
    #[allow(clippy::too_many_arguments)]
    fn bind(
        schema_fn: PyObjectRef,
        database: PyObjectRef,
        context: PyObjectRef,
        property_set: PyObjectRef,
        load: PyObjectRef,
        getitem: PyObjectRef,
        class_getitem: PyObjectRef,
        vm: &VirtualMachine,
    ) -> PyResult<()> {
        crate::py::startup::check_boot("the entity engine's binding").map_err(|e| permission_error(e.to_string(), vm))?;
        ent::bind(ent::bound_from([schema_fn, database, context, property_set, load, getitem, class_getitem]));
        Ok(())
    }

    #[derive(FromArgs)]
    struct LoadArgs {
        #[pyarg(positional)]
        cls: PyObjectRef,
        #[pyarg(any, optional)]
        entity_id: OptionalArg<PyObjectRef>,
        #[pyarg(any, optional)]
        level: OptionalArg<PyObjectRef>,
    }

    /// `Entity.load(entity_id=None, level=3)` (a classmethod): the native path, else
    /// `Entity._load`.
    #[pyfunction]
    fn entity_load(args: LoadArgs, vm: &VirtualMachine) -> PyResult<PyObjectRef> {
        let id = args.entity_id.unwrap_or_else(|| vm.ctx.none());
        let level = args.level.unwrap_or_else(|| vm.ctx.new_int(3).into());
        ent::load_entry(vm, args.cls, id, level)
    }

    /// `Entity.__class_getitem__` (a classmethod): the native path, else `Entity._getitem`.
    #[pyfunction]
    fn entity_getitem(cls: PyObjectRef, key: PyObjectRef, vm: &VirtualMachine) -> PyResult<PyObjectRef> {
        ent::getitem_entry(vm, cls, key)
    }

    /// A `__getitem__` for the entity metaclass: `Cls[key]` without the generic subscript path
    /// (which tries the mapping and sequence protocols, raising and discarding an error for
    /// each, before it finds `__class_getitem__`).
    #[pyfunction]
    fn class_subscript_method(vm: &VirtualMachine) -> PyObjectRef {
        ent::class_subscript_method(vm)
    }

    /// The base class of kybra_simple_db's `Property`: a data descriptor whose `__get__` and
    /// `__set__` run natively (the Python path of `__set__` is `Property._set`).
    #[pyattr]
    #[pyclass(name = "FieldDescriptor")]
    #[derive(Debug, PyPayload)]
    struct FieldDescriptor {}

    #[pyclass(with(Constructor, GetDescriptor), flags(BASETYPE, HAS_WEAKREF))]
    impl FieldDescriptor {
        #[pyslot]
        fn descr_set(zelf: &PyObject, obj: PyObjectRef, value: PySetterValue, vm: &VirtualMachine) -> PyResult<()> {
            match value {
                PySetterValue::Assign(v) => ent::property_set(vm, zelf, obj, v),
                PySetterValue::Delete => Err(vm.new_attribute_error("__delete__")),
            }
        }
    }

    impl Constructor for FieldDescriptor {
        type Args = FuncArgs;

        fn py_new(_cls: &Py<PyType>, _args: Self::Args, _vm: &VirtualMachine) -> PyResult<Self> {
            Ok(FieldDescriptor {})
        }
    }

    impl GetDescriptor for FieldDescriptor {
        fn descr_get(zelf: &PyObject, obj: Option<&PyObject>, _cls: Option<&PyObject>, vm: &VirtualMachine) -> PyResult {
            ent::property_get(vm, zelf, obj)
        }
    }

    /// The namespace of task `name`'s entity types (`task_<name>`).
    #[pyfunction]
    fn task_namespace(name: PyStrRef) -> String {
        crate::db::keys::task_namespace(&name.to_string_lossy())
    }

    /// `SystemTime.format_timestamp(ms)` where it is computed exactly natively, else None.
    #[pyfunction]
    fn format_timestamp(ms: PyObjectRef, vm: &VirtualMachine) -> Option<String> {
        ent::format_timestamp_natively(vm, &ms)
    }

    /// `SystemTime.parse_timestamp(text)` where it is computed exactly natively, else None.
    #[pyfunction]
    fn parse_timestamp(text: PyObjectRef) -> Option<i64> {
        ent::parse_timestamp_natively(&text)
    }

    /// Removes from `registry` (a dict of classes) every class whose `__module__` is in
    /// `modules`: the classes an execution defined, before the next one starts.
    #[pyfunction]
    fn drop_classes_of(registry: PyDictRef, modules: Vec<PyObjectRef>, vm: &VirtualMachine) -> PyResult<()> {
        let module = vm.ctx.intern_str("__module__");
        for (key, cls) in registry.items_vec() {
            let m = vm.get_attribute_opt(&cls, module)?.unwrap_or_else(|| vm.ctx.none());
            // `m in modules`, as a tuple tests it.
            let mut member = false;
            for name in &modules {
                if vm.identical_or_equal(name, &m)? {
                    member = true;
                    break;
                }
            }
            if member {
                registry.del_item(&*key, vm)?;
            }
        }
        Ok(())
    }

    /// Computes and keeps the schema of an entity class (at start-up: for good).
    #[pyfunction]
    fn warm_schema(cls: PyObjectRef, vm: &VirtualMachine) -> PyResult<()> {
        ent::schema_of(vm, &cls).map(drop)
    }

    /// Forgets the schemas cached for classes of earlier executions.
    #[pyfunction]
    fn reset() {
        ent::reset();
    }

    /// Fast path of `Entity.__init__`: True if the entity was constructed and stored.
    #[pyfunction]
    fn construct(entity: PyObjectRef, kwargs: PyDictRef, vm: &VirtualMachine) -> PyResult<bool> {
        ent::construct(vm, entity, &kwargs)
    }

    /// Fast path of `Property.__set__`: True if the value was assigned and saved.
    #[pyfunction]
    fn set_fast(desc: PyObjectRef, entity: PyObjectRef, value: PyObjectRef, vm: &VirtualMachine) -> PyResult<bool> {
        ent::set_property(vm, &desc, entity, value)
    }

    /// Fast path of `Entity.load`: the entity, None if missing, False to run the Python path.
    #[pyfunction]
    fn load_fast(cls: PyObjectRef, id: PyObjectRef, vm: &VirtualMachine) -> PyResult<PyObjectRef> {
        Ok(loaded(ent::load(vm, &cls, &id)?, vm))
    }

    /// Fast path of `Cls[key]`: the entity, None if missing, False to run the Python path.
    #[pyfunction]
    fn getitem_fast(cls: PyObjectRef, key: PyObjectRef, vm: &VirtualMachine) -> PyResult<PyObjectRef> {
        Ok(loaded(ent::getitem(vm, &cls, key)?, vm))
    }

    /// The classes `Cls.instances()` scans: `[(full_type_name, cls)]` and then, in the order of
    /// the registries given, each other class in them that is a subclass of `cls` (by
    /// `issubclass`), once per full type name.
    #[pyfunction]
    fn subclass_types(cls: PyObjectRef, full: PyObjectRef, registries: Vec<PyDictRef>, vm: &VirtualMachine) -> PyResult<PyListRef> {
        let mut names: Vec<PyObjectRef> = vec![full.clone()];
        let mut out: Vec<PyObjectRef> = vec![vm.ctx.new_tuple(vec![full, cls.clone()]).into()];
        // Snapshots first, as `list(d.items())` takes them before the loop runs any Python code.
        let items: Vec<(PyObjectRef, PyObjectRef)> = registries.iter().flat_map(|d| d.items_vec()).collect();
        for (_, klass) in items {
            if rustpython_vm::AsObject::is(&klass, &cls) || klass.downcast_ref::<PyType>().is_none() || !klass.is_subclass(&cls, vm)? {
                continue;
            }
            let t = vm.call_method(&klass, "get_full_type_name", ())?;
            // `all(t != x for x, _ in types)`.
            let mut seen = false;
            for n in &names {
                if !t.rich_compare_bool(n, rustpython_vm::types::PyComparisonOp::Ne, vm)? {
                    seen = true;
                    break;
                }
            }
            if !seen {
                names.push(t.clone());
                out.push(vm.ctx.new_tuple(vec![t, klass]).into());
            }
        }
        Ok(vm.ctx.new_list(out))
    }

    /// Fast path of `Cls.instances()` over `[(type_name, class)]`: a list, or False.
    #[pyfunction]
    fn instances_fast(types: Vec<PyObjectRef>, vm: &VirtualMachine) -> PyResult<PyObjectRef> {
        let mut pairs = Vec::with_capacity(types.len());
        for t in types {
            let t = t.downcast_ref::<PyTuple>().ok_or_else(|| vm.new_type_error("expected (type_name, class) pairs"))?;
            let [name, cls] = t.as_slice() else { return Err(vm.new_type_error("expected (type_name, class) pairs")) };
            pairs.push((name.str(vm)?.to_string_lossy().into_owned(), cls.clone()));
        }
        Ok(match ent::instances(vm, &pairs)? {
            Some(list) => vm.ctx.new_list(list).into(),
            None => vm.ctx.new_bool(false).into(),
        })
    }

    /// Fast path of `entity.delete()`: True if the entity was deleted.
    #[pyfunction]
    fn delete_fast(entity: PyObjectRef, vm: &VirtualMachine) -> PyResult<bool> {
        ent::delete(vm, entity)
    }

    /// `Cls.count()`.
    #[pyfunction]
    fn class_count(cls: PyObjectRef, vm: &VirtualMachine) -> PyResult<PyObjectRef> {
        ent::class_counter(vm, &cls, "_count")
    }

    /// `Cls.max_id()`.
    #[pyfunction]
    fn class_max_id(cls: PyObjectRef, vm: &VirtualMachine) -> PyResult<PyObjectRef> {
        ent::class_counter(vm, &cls, "_id")
    }
}
