//! `_db`: the native kybra_simple_db engine for Python — key layout, the JSON codec, counters,
//! the alias index and type-range scans over one map of the store (`db::Table`). Every call
//! is checked against the execution's access policy.

#[rustpython_vm::pymodule]
pub mod _db {
    use rustpython_vm::builtins::{PyBaseExceptionRef, PyListRef, PyStr, PyStrRef, PyTuple};
    use rustpython_vm::{PyObjectRef, PyResult, VirtualMachine};

    use rustpython_vm::builtins::PyDictRef;
    use rustpython_vm::types::PyComparisonOp;
    use rustpython_vm::AsObject;

    use crate::db::{keys, Bounds, DbError, Table};
    use crate::py::entity::{self as ent, Schema};
    use crate::py::policy::{self, Access};
    use crate::py::pyjson;
    use crate::store::{self, HostMemory, Store};

    fn db_error(e: DbError, vm: &VirtualMachine) -> PyBaseExceptionRef {
        match e {
            DbError::KeyTooLarge { .. } | DbError::ValueTooLarge { .. } | DbError::CountUnderflow(_) => {
                vm.new_value_error(e.to_string())
            }
            DbError::Corrupt { .. } => vm.new_value_error(e.to_string()),
            DbError::Store(s) => vm.new_runtime_error(s.to_string()),
        }
    }

    fn permission_error(msg: String, vm: &VirtualMachine) -> PyBaseExceptionRef {
        vm.new_exception_msg(vm.ctx.exceptions.permission_error.to_owned(), msg.into())
    }

    /// Runs `f` on the store with the table `mem`, after checking access to `type_name`
    /// (the type a key belongs to, if any).
    fn with_table<R>(
        mem: u16,
        bounds: Bounds,
        owner: Option<&str>,
        access: Access,
        vm: &VirtualMachine,
        f: impl FnOnce(&Table, &mut Store<HostMemory>) -> Result<R, DbError>,
    ) -> PyResult<R> {
        let map = policy::check_db_map(mem, access).map_err(|e| permission_error(e.to_string(), vm))?;
        if let Some(t) = owner {
            policy::check_type(t, access).map_err(|e| permission_error(e.to_string(), vm))?;
        }
        let table = Table::new(map, bounds);
        store::global::with(|s| f(&table, s))
            .map_err(|e| vm.new_runtime_error(e.to_string()))?
            .map_err(|e| db_error(e, vm))
    }

    /// Reads a `(memory_id, max_key_size, max_value_size)` table tuple.
    fn tbl(t: &PyObjectRef, vm: &VirtualMachine) -> PyResult<(u16, Bounds)> {
        let bad = || vm.new_type_error("a table is a (memory_id, max_key_size, max_value_size) tuple");
        let tuple = t.downcast_ref::<PyTuple>().ok_or_else(bad)?;
        let [m, k, v] = tuple.as_slice() else { return Err(bad()) };
        Ok((
            m.clone().try_into_value::<u16>(vm)?,
            Bounds { max_key: k.clone().try_into_value::<usize>(vm)?, max_value: v.clone().try_into_value::<usize>(vm)? },
        ))
    }

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

    /// Persists an entity as 0.5.0 does: `{**data, "__version__": version}` under `{type}@{id}`
    /// and, when `alias_type` is given, `json.dumps(id)` under `{alias_type}@{alias_value}`.
    /// Both sizes are checked before anything is written.
    #[pyfunction]
    fn save_entity(
        table: PyObjectRef,
        type_name: PyStrRef,
        id: PyObjectRef,
        data: PyObjectRef,
        version: PyObjectRef,
        alias_type: Option<PyStrRef>,
        alias_value: PyObjectRef,
        vm: &VirtualMachine,
    ) -> PyResult<()> {
        let (mem, b) = tbl(&table, vm)?;
        let t = s(&type_name);
        let key = keys::entity(&t, &id.str(vm)?.to_string_lossy());
        let text = pyjson::dumps_with_version(vm, &data, &version)?;
        let alias = match alias_type {
            Some(at) => Some((format!("{}@{}", s(&at), alias_value.str(vm)?.to_string_lossy()), pyjson::dumps(vm, &id)?)),
            None => None,
        };
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
        let id = id.str(vm)?.to_string_lossy().into_owned();
        with_table(mem, b, Some(&t), Access::Write, vm, |tb, st| tb.note_custom_id(st, &t, &id))
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
    fn scan_types(table: PyObjectRef, types: Vec<PyStrRef>, after_key: Option<PyStrRef>, limit: usize, vm: &VirtualMachine) -> PyResult<PyListRef> {
        let (mem, b) = tbl(&table, vm)?;
        let after = after_key.map(|a| s(&a));
        let mut rows: Vec<(String, String, String)> = Vec::new();
        for t in &types {
            let t = s(t);
            let prefix = keys::type_prefix(&t);
            let start = match &after {
                Some(a) if a.as_str() >= prefix.as_str() => Some(a.clone()),
                _ => None,
            };
            let page = with_table(mem, b, Some(&t), Access::Read, vm, |tb, st| Ok(tb.scan_type(st, &t, start.as_deref(), limit)))?;
            rows.extend(page.into_iter().map(|(id, _)| {
                let key = keys::entity(&t, &id);
                (t.clone(), id, key)
            }));
        }
        rows.sort_by(|a, b| a.2.cmp(&b.2));
        rows.dedup_by(|a, b| a.2 == b.2);
        if let Some(a) = &after {
            rows.retain(|r| r.2.as_str() > a.as_str());
        }
        rows.truncate(limit);
        let items = rows
            .into_iter()
            .map(|(t, id, key)| vm.ctx.new_tuple(vec![vm.ctx.new_str(t).into(), vm.ctx.new_str(id).into(), vm.ctx.new_str(key).into()]).into())
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

    fn exists_err(t: &str, id: &PyObjectRef, vm: &VirtualMachine) -> PyResult<PyBaseExceptionRef> {
        Ok(vm.new_value_error(format!("Entity {t}@{} already exists", id.str(vm)?)))
    }

    /// Constructs a new entity in one call (the fast path of `Entity.__init__`); returns False,
    /// having changed nothing, when the keyword arguments need the Python path.
    #[pyfunction]
    fn create(table: PyObjectRef, entity: PyObjectRef, schema: PyObjectRef, kwargs: PyDictRef, vm: &VirtualMachine) -> PyResult<bool> {
        let (mem, b) = tbl(&table, vm)?;
        let sc = Schema::parse(vm, &schema)?;
        let cls = entity.class().to_owned();
        if !ent::fast_kwargs(vm, cls.as_object(), &kwargs, &sc)? {
            return Ok(false);
        }
        let t = sc.type_name.clone();
        let d = entity.dict().ok_or_else(|| vm.new_type_error("entity has no __dict__"))?;
        let custom = kwargs.get_item_opt("_id", vm)?.filter(|v| !vm.is_none(v));
        d.set_item("_type", vm.ctx.new_str(t.as_str()).into(), vm)?;
        d.set_item("_loaded", vm.ctx.new_bool(false).into(), vm)?;
        d.set_item("_counted", vm.ctx.new_bool(false).into(), vm)?;
        d.set_item("_relations", vm.ctx.new_dict().into(), vm)?;
        if sc.mixin {
            d.set_item("_timestamp_created", vm.ctx.new_int(0).into(), vm)?;
            d.set_item("_timestamp_updated", vm.ctx.new_int(0).into(), vm)?;
            for k in ["_creator", "_updater", "_owner"] {
                d.set_item(k, vm.ctx.none(), vm)?;
            }
        }
        let id: PyObjectRef = match &custom {
            Some(c) => {
                let text = c.str(vm)?.to_string_lossy().into_owned();
                with_table(mem, b, Some(&t), Access::Write, vm, |tb, st| tb.note_custom_id(st, &t, &text))?;
                c.clone()
            }
            None => vm.ctx.new_str(with_table(mem, b, Some(&t), Access::Write, vm, |tb, st| tb.next_id(st, &t))?).into(),
        };
        d.set_item("_id", id.clone(), vm)?;
        let id_text = id.str(vm)?.to_string_lossy().into_owned();
        let key = keys::entity(&t, &id_text);
        let caller = sc.caller(vm)?;
        let mut counted = false;
        // `_save()` before the record is written: the duplicate check and the count.
        let mut first_save = |vm: &VirtualMachine| -> PyResult<()> {
            if counted {
                return Ok(());
            }
            if custom.is_some() && with_table(mem, b, Some(&t), Access::Read, vm, |tb, st| Ok(tb.get(st, &key).is_some_and(|v| !v.is_empty())))? {
                return Err(exists_err(&t, &id, vm)?);
            }
            with_table(mem, b, Some(&t), Access::Write, vm, |tb, st| tb.increment_count(st, &t))?;
            counted = true;
            Ok(())
        };
        d.set_item("_do_not_save", vm.ctx.new_bool(true).into(), vm)?;
        for (k, v) in kwargs.items_vec() {
            let k = k.str(vm)?.to_string_lossy().into_owned();
            if k.starts_with('_') {
                continue;
            }
            match ent::prop(&sc, &k) {
                Some(p) => {
                    let v = ent::validate(vm, p, v)?;
                    d.set_item(p.key.as_str(), v, vm)?;
                    first_save(vm)?;
                    if sc.mixin {
                        ent::check_owner(vm, &d, &caller)?;
                        ent::stamp(vm, &d, &sc, &caller)?;
                    }
                }
                None => d.set_item(k.as_str(), v, vm)?,
            }
        }
        d.set_item("_do_not_save", vm.ctx.new_bool(false).into(), vm)?;
        first_save(vm)?;
        if sc.mixin {
            ent::check_owner(vm, &d, &caller)?;
            ent::stamp(vm, &d, &sc, &caller)?;
        }
        write_record(mem, b, &entity, &sc, &id, vm)?;
        d.set_item("_counted", vm.ctx.new_bool(true).into(), vm)?;
        d.set_item("_loaded", vm.ctx.new_bool(true).into(), vm)?;
        Ok(true)
    }

    /// Writes the entity's record and alias entry (checking both sizes first).
    fn write_record(mem: u16, b: Bounds, entity: &PyObjectRef, sc: &Schema, id: &PyObjectRef, vm: &VirtualMachine) -> PyResult<()> {
        let t = &sc.type_name;
        let key = keys::entity(t, &id.str(vm)?.to_string_lossy());
        let text = ent::record_json(vm, entity, sc)?;
        let alias = match ent::alias_value(vm, entity, sc)? {
            Some(v) => Some((format!("{}@{}", keys::alias_index(t), v.str(vm)?.to_string_lossy()), pyjson::dumps(vm, id)?)),
            None => None,
        };
        with_table(mem, b, Some(t), Access::Write, vm, |tb, st| {
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

    /// Assigns a built-in property of a loaded entity and saves it (the fast path of
    /// `Property.__set__` + `_save`). If saving fails the old value is put back.
    #[pyfunction]
    fn set_property(table: PyObjectRef, entity: PyObjectRef, schema: PyObjectRef, name: PyStrRef, value: PyObjectRef, vm: &VirtualMachine) -> PyResult<()> {
        let (mem, b) = tbl(&table, vm)?;
        let sc = Schema::parse(vm, &schema)?;
        let name = s(&name);
        let p = ent::prop(&sc, &name).ok_or_else(|| vm.new_attribute_error(format!("no property {name}")))?;
        let v = ent::validate(vm, p, value)?;
        let d = entity.dict().ok_or_else(|| vm.new_type_error("entity has no __dict__"))?;
        let old = d.get_item_opt(p.key.as_str(), vm)?;
        let saved: Vec<(&str, Option<PyObjectRef>)> = ["_timestamp_updated", "_updater"].iter().map(|k| (*k, d.get_item_opt(*k, vm).ok().flatten())).collect();
        d.set_item(p.key.as_str(), v, vm)?;
        let result = (|| -> PyResult<()> {
            if sc.mixin {
                let caller = sc.caller(vm)?;
                ent::check_owner(vm, &d, &caller)?;
                ent::stamp(vm, &d, &sc, &caller)?;
            }
            let id = d.get_item_opt("_id", vm)?.unwrap_or_else(|| vm.ctx.none());
            write_record(mem, b, &entity, &sc, &id, vm)
        })();
        if let Err(e) = result {
            match old {
                Some(o) => d.set_item(p.key.as_str(), o, vm)?,
                None => {
                    let _ = d.del_item(p.key.as_str(), vm);
                }
            }
            for (k, v) in saved {
                if let Some(v) = v {
                    d.set_item(k, v, vm)?;
                }
            }
            return Err(e);
        }
        Ok(())
    }

    /// Loads `{type}@{id}` into a new instance of `cls` without running Python code (the fast
    /// path of `Entity.load`). Returns None if missing, False if the Python path is needed
    /// (a schema migration, or a stored key the class defines as something else).
    #[pyfunction]
    fn hydrate(table: PyObjectRef, cls: PyObjectRef, schema: PyObjectRef, id: PyStrRef, vm: &VirtualMachine) -> PyResult<PyObjectRef> {
        let (mem, b) = tbl(&table, vm)?;
        let sc = Schema::parse(vm, &schema)?;
        let t = sc.type_name.clone();
        let key = keys::entity(&t, &s(&id));
        let Some(text) = with_table(mem, b, Some(&t), Access::Read, vm, |tb, st| Ok(tb.get(st, &key)))?.filter(|x| !x.is_empty()) else {
            return Ok(vm.ctx.none());
        };
        let data = pyjson::loads(vm, &text)?;
        let Some(data) = data.downcast_ref::<rustpython_vm::builtins::PyDict>() else {
            return Ok(vm.ctx.new_bool(false).into());
        };
        let stored_version = data.get_item_opt("__version__", vm)?.unwrap_or_else(|| vm.ctx.new_int(1).into());
        if !stored_version.rich_compare_bool(&sc.version, PyComparisonOp::Eq, vm)? {
            return Ok(vm.ctx.new_bool(false).into());
        }
        let new = cls.get_attr("__new__", vm)?;
        let entity = new.call((cls.clone(),), vm)?;
        let d = entity.dict().ok_or_else(|| vm.new_type_error("entity has no __dict__"))?;
        let stored_id = data.get_item_opt("_id", vm)?.filter(|v| !vm.is_none(v)).unwrap_or_else(|| id.clone().into());
        d.set_item("_type", vm.ctx.new_str(t.as_str()).into(), vm)?;
        d.set_item("_id", stored_id, vm)?;
        d.set_item("_loaded", vm.ctx.new_bool(true).into(), vm)?;
        d.set_item("_counted", vm.ctx.new_bool(false).into(), vm)?;
        d.set_item("_do_not_save", vm.ctx.new_bool(false).into(), vm)?;
        let rels = vm.ctx.new_dict();
        if sc.mixin {
            let ts = |k: &str| -> PyResult<PyObjectRef> {
                let v = data.get_item_opt(k, vm)?;
                let ms = v.and_then(|v| v.downcast_ref::<PyStr>().map(|s| ent::parse_timestamp(&s.to_string_lossy()))).unwrap_or(0);
                Ok(vm.ctx.new_int(ms).into())
            };
            if data.get_item_opt("timestamp_created", vm)?.is_some() {
                d.set_item("_timestamp_created", ts("timestamp_created")?, vm)?;
                d.set_item("_timestamp_updated", ts("timestamp_updated")?, vm)?;
                for (k, attr) in [("creator", "_creator"), ("updater", "_updater"), ("owner", "_owner")] {
                    d.set_item(attr, data.get_item_opt(k, vm)?.unwrap_or_else(|| vm.ctx.none()), vm)?;
                }
            } else {
                d.set_item("_timestamp_created", vm.ctx.new_int(0).into(), vm)?;
                d.set_item("_timestamp_updated", vm.ctx.new_int(0).into(), vm)?;
                for attr in ["_creator", "_updater", "_owner"] {
                    d.set_item(attr, vm.ctx.none(), vm)?;
                }
            }
        }
        let mixin_keys = ["timestamp_created", "timestamp_updated", "creator", "updater", "owner"];
        for (k, v) in data.items_vec() {
            let k = k.str(vm)?.to_string_lossy().into_owned();
            if k.starts_with('_') || (sc.mixin && mixin_keys.contains(&k.as_str())) {
                continue;
            }
            if ent::is_relation(&sc, &k) {
                if !vm.is_none(&v) {
                    rels.set_item(k.as_str(), ent::stored_refs(vm, &sc, v)?, vm)?;
                }
            } else if let Some(p) = ent::prop(&sc, &k) {
                let v = ent::validate(vm, p, v)?;
                d.set_item(p.key.as_str(), v, vm)?;
            } else if cls.get_attr(&*vm.ctx.new_str(k.as_str()), vm).is_ok() {
                return Ok(vm.ctx.new_bool(false).into());
            } else {
                d.set_item(k.as_str(), v, vm)?;
            }
        }
        d.set_item("_relations", rels.into(), vm)?;
        Ok(entity)
    }

    thread_local! {
        static BOUND: std::cell::RefCell<Option<(PyObjectRef, PyObjectRef)>> = const { std::cell::RefCell::new(None) };
    }

    /// Registers `entity._schema` and the `Database` class, for the class-level fast paths.
    #[pyfunction]
    fn bind(schema_fn: PyObjectRef, database_cls: PyObjectRef) {
        BOUND.with(|b| *b.borrow_mut() = Some((schema_fn, database_cls)));
    }

    fn class_counter(cls: PyObjectRef, suffix: &str, vm: &VirtualMachine) -> PyResult<PyObjectRef> {
        let (schema_fn, database) = BOUND.with(|b| b.borrow().clone()).ok_or_else(|| vm.new_runtime_error("_db.bind was not called"))?;
        let own = cls
            .downcast_ref::<rustpython_vm::builtins::PyType>()
            .and_then(|t| t.get_direct_attr(vm.ctx.intern_str("_codexvm_schema")));
        let sc = match own {
            Some(sc) => sc,
            None => schema_fn.call((cls.clone(),), vm)?,
        };
        let native = sc.get_item(&1, vm)?;
        let type_name = native.get_item(&0, vm)?.str(vm)?.to_string_lossy().into_owned();
        let key = format!("_system@{type_name}{suffix}");
        let mut db = database.get_attr("_instance", vm)?;
        if vm.is_none(&db) {
            db = database.get_attr("get_instance", vm)?.call((), vm)?;
        }
        let b = db.get_attr("_b", vm)?;
        if b.get_attr("native", vm)?.try_to_bool(vm)? {
            let (mem, bounds) = tbl(&b.get_attr("t", vm)?, vm)?;
            let n = with_table(mem, bounds, Some(&type_name), Access::Read, vm, |tb, st| tb.counter(st, &key))?;
            Ok(vm.ctx.new_int(n).into())
        } else {
            b.get_attr("counter", vm)?.call((vm.ctx.new_str(key),), vm)
        }
    }

    /// `Cls.count()`.
    #[pyfunction]
    fn class_count(cls: PyObjectRef, vm: &VirtualMachine) -> PyResult<PyObjectRef> {
        class_counter(cls, "_count", vm)
    }

    /// `Cls.max_id()`.
    #[pyfunction]
    fn class_max_id(cls: PyObjectRef, vm: &VirtualMachine) -> PyResult<PyObjectRef> {
        class_counter(cls, "_id", vm)
    }
}