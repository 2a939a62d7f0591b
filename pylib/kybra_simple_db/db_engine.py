"""`Database`: the storage, the identity map, the type registry and the audit log.

Storage operations go to the native engine (`_db`) when the storage is the runtime's store or
a Kybra `StableBTreeMap[str, str]`; any other storage object is driven through its
`insert/get/remove/keys` methods exactly as kybra_simple_db 0.5.0 does.
"""

import json
import time
import weakref

import _db
from kybra_simple_logging import get_logger

from .storage import MemoryStorage, Storage, native_table

logger = get_logger(__name__)


class _NativeBackend:
    """Storage served by the native engine: key layout, JSON, counters and scans in Rust."""

    native = True

    def __init__(self, table):
        self.t = table
        self.counter = lambda key, _t=table, _c=_db.counter: _c(_t, key)

    def get(self, key):
        return _db.get(self.t, key)

    def put(self, key, value):
        _db.put(self.t, key, value)

    def remove(self, key):
        return _db.remove(self.t, key)

    def keys(self):
        after = None
        while True:
            page = _db.scan(self.t, after, 256)
            if not page:
                return
            for k, _ in page:
                yield k
            after = page[-1][0]

    def save(self, type_name, id, data):
        return _db.save(self.t, type_name, id, data)

    def load(self, type_name, id):
        return _db.load(self.t, type_name, id)

    def exists(self, type_name, id):
        return _db.exists(self.t, type_name, id)

    def save_entity(self, type_name, id, data, version, alias_type, alias_value):
        return _db.save_entity(self.t, type_name, id, data, version, alias_type, alias_value)

    def next_id(self, type_name):
        return _db.next_id(self.t, type_name)

    def note_custom_id(self, type_name, id):
        return _db.note_custom_id(self.t, type_name, id)

    def increment_count(self, type_name):
        return _db.increment_count(self.t, type_name)

    def decrement_count(self, type_name):
        return _db.decrement_count(self.t, type_name)

    def alias_get(self, alias_type, value):
        return _db.alias_get(self.t, alias_type, value)

    def scan_types(self, type_names):
        after = None
        while True:
            page = _db.scan_types(self.t, type_names, after, 256)
            if not page:
                return
            yield from page
            after = page[-1][2]

    def savepoint(self):
        return _db.savepoint()

    def rollback_to(self, sp):
        _db.rollback_to(sp)

    def release(self, sp):
        _db.release(sp)


class _UndoableStorage:
    """Wraps a Python storage so that writes made after a savepoint can be undone."""

    def __init__(self, storage):
        self._s = storage
        self._undo = []
        self._depth = 0

    def _note(self, key):
        if self._depth:
            self._undo.append((key, self._s.get(key)))

    def insert(self, key, value):
        self._note(key)
        self._s.insert(key, value)

    def remove(self, key):
        self._note(key)
        self._s.remove(key)

    def __getattr__(self, name):
        return getattr(self._s, name)

    def savepoint(self):
        self._depth += 1
        return len(self._undo)

    def release(self, sp):
        self._depth -= 1
        if not self._depth:
            self._undo.clear()

    def rollback_to(self, sp):
        while len(self._undo) > sp:
            key, old = self._undo.pop()
            if old is None:
                if self._s.get(key) is not None:
                    self._s.remove(key)
            else:
                self._s.insert(key, old)
        self.release(sp)


class _StorageBackend:
    """Any Python storage object, driven as kybra_simple_db 0.5.0 drives it."""

    native = False

    def __init__(self, storage):
        self.s = _UndoableStorage(storage)

    def get(self, key):
        return self.s.get(key)

    def put(self, key, value):
        self.s.insert(key, value)

    def remove(self, key):
        old = self.s.get(key)
        self.s.remove(key)
        return old

    def keys(self):
        return list(self.s.keys())

    def save(self, type_name, id, data):
        text = json.dumps(data)
        self.s.insert(f"{type_name}@{id}", text)
        return text

    def load(self, type_name, id):
        data = self.s.get(f"{type_name}@{id}")
        return json.loads(data) if data else None

    def exists(self, type_name, id):
        return self.load(type_name, id) is not None

    def save_entity(self, type_name, id, data, version, alias_type, alias_value):
        persisted = {**data, "__version__": version}
        text = json.dumps(persisted)
        self.s.insert(f"{type_name}@{id}", text)
        if alias_type is not None:
            self.s.insert(f"{alias_type}@{alias_value}", json.dumps(id))
        return persisted

    def counter(self, key):
        raw = self.s.get(key)
        value = json.loads(raw) if raw else None
        return int(value or 0)

    def _set_counter(self, key, n):
        self.s.insert(key, json.dumps(str(n)))

    def next_id(self, type_name):
        key = f"_system@{type_name}_id"
        n = str(self.counter(key) + 1)
        self.s.insert(key, json.dumps(n))
        return n

    def note_custom_id(self, type_name, id):
        key = f"_system@{type_name}_id"
        try:
            if int(id) > self.counter(key):
                self.s.insert(key, json.dumps(id))
        except ValueError:
            pass

    def increment_count(self, type_name):
        key = f"_system@{type_name}_count"
        n = self.counter(key) + 1
        self._set_counter(key, n)
        return n

    def decrement_count(self, type_name):
        key = f"_system@{type_name}_count"
        n = self.counter(key)
        if n <= 0:
            raise ValueError(f"Entity count for {type_name} is already zero; cannot decrement further.")
        self._set_counter(key, n - 1)
        return n - 1

    def alias_get(self, alias_type, value):
        raw = self.s.get(f"{alias_type}@{value}")
        return json.loads(raw) if raw else None

    def scan_types(self, type_names):
        wanted = set(type_names)
        for key in list(self.s.keys()):
            parts = key.split("@")
            if len(parts) == 2 and parts[0] in wanted:
                yield parts[0], parts[1], key

    def savepoint(self):
        return self.s.savepoint()

    def rollback_to(self, sp):
        self.s.rollback_to(sp)

    def release(self, sp):
        self.s.release(sp)


class Database:
    """The database: storage, identity map, registered entity types and audit log."""

    _instance = None
    _audit_enabled = False

    @classmethod
    def get_instance(cls):
        if not cls._instance:
            cls._instance = cls.init(audit_enabled=True)
        return cls._instance

    @classmethod
    def init(cls, audit_enabled=False, db_storage=None, db_audit=None):
        if cls._instance:
            raise RuntimeError("Database instance already exists")
        cls._instance = cls(audit_enabled, db_storage, db_audit)
        return cls._instance

    def __init__(self, audit_enabled=False, db_storage=None, db_audit=None):
        # As in 0.5.0, a given storage is taken only if it is truthy: one that defines
        # `__len__` and is empty is replaced by a new MemoryStorage. The audit counters are
        # (re)set whenever the audit store is truthy, i.e. every time auditing is on.
        self._db_storage = db_storage if db_storage else MemoryStorage()
        table = native_table(self._db_storage)
        self._b = _NativeBackend(table) if table else _StorageBackend(self._db_storage)
        self._audit_enabled = audit_enabled
        self._db_audit = None
        if self._audit_enabled:
            self._db_audit = db_audit if db_audit else MemoryStorage()
        if self._db_audit:
            self._db_audit.insert("_min_id", "0")
            self._db_audit.insert("_max_id", "0")
        self._entity_types = {}
        self._entity_registry = {}

    def as_user(self, user_id):
        """A context manager that runs its body as `user_id` (for ownership and hooks)."""
        from .context import get_caller_id, set_caller_id

        class UserContext:
            def __init__(self, user_id):
                self.user_id = user_id
                self.previous_caller = None

            def __enter__(self):
                self.previous_caller = get_caller_id()
                set_caller_id(self.user_id)
                return self

            def __exit__(self, *args):
                set_caller_id(self.previous_caller)

        return UserContext(user_id)

    def clear(self):
        for key in list(self._b.keys()):
            self._b.remove(key)
        self.clear_registry()
        if not self._db_audit:
            return
        for key in list(self._db_audit.keys()):
            self._db_audit.remove(key)
        self._db_audit.insert("_min_id", "0")
        self._db_audit.insert("_max_id", "0")

    # -- identity map ---------------------------------------------------------------------
    def register_entity(self, entity_instance):
        self._entity_registry[(entity_instance._type, entity_instance._id)] = weakref.ref(entity_instance)

    def get_entity(self, type_name, entity_id):
        ref = self._entity_registry.get((type_name, entity_id))
        if ref is None:
            return None
        entity = ref()
        if entity is None:
            del self._entity_registry[(type_name, entity_id)]
        return entity

    def clear_registry(self):
        self._entity_registry.clear()

    def unregister_entity(self, type_name, entity_id):
        self._entity_registry.pop((type_name, entity_id), None)

    # -- audit ------------------------------------------------------------------------------
    def _audit(self, op, key, data):
        if self._db_audit and self._audit_enabled:
            timestamp = int(time.time() * 1000)
            id = self._db_audit.get("_max_id")
            self._db_audit.insert(str(id), json.dumps([op, timestamp, key, data]))
            self._db_audit.insert("_max_id", str(int(id) + 1))

    def _auditing(self):
        """True if `_audit` records (the same test as 0.5.0's `_audit`)."""
        return bool(self._db_audit and self._audit_enabled)

    # -- the 0.5.0 storage API ----------------------------------------------------------------
    def save(self, type_name, id, data):
        """Stores `data` as JSON under `{type_name}@{id}`."""
        self._b.save(type_name, id, data)
        self._audit("save", f"{type_name}@{id}", data)

    def load(self, type_name, id):
        """The dict stored under `{type_name}@{id}`, or None."""
        return self._b.load(type_name, id)

    def delete(self, type_name, entity_id):
        key = f"{type_name}@{entity_id}"
        data = self._b.remove(key)
        self._audit("delete", key, data)

    def update(self, type_name, id, field, value):
        data = self.load(type_name, id)
        if data:
            data[field] = value
            self.save(type_name, id, data)
            self._audit("update", f"{type_name}@{id}", data)

    def get_all(self):
        return {k: json.loads(self._b.get(k)) for k in list(self._b.keys())}

    def _extract_class_name(self, type_name):
        return type_name.split("::")[-1] if "::" in type_name else type_name

    def register_entity_type(self, type_obj, type_name=None):
        if type_name is None:
            type_name = type_obj.__name__
        self._entity_types[type_name] = type_obj
        if type_name == type_obj.__name__ or type_obj.__name__ not in self._entity_types:
            self._entity_types[type_obj.__name__] = type_obj
        else:
            existing = self._entity_types[type_obj.__name__]
            if existing != type_obj:
                logger.warning(
                    f"Class name '{type_obj.__name__}' collision: '{type_name}' not registered under class name. "
                    f"Existing registration: '{getattr(existing, '__module__', 'unknown')}.{existing.__name__}'. "
                    f"Use full type name '{type_name}' in relations."
                )

    def is_subclass(self, type_name, parent_type):
        type_obj = self._entity_types.get(type_name)
        if not type_obj:
            type_obj = self._entity_types.get(self._extract_class_name(type_name))
        return type_obj and issubclass(type_obj, parent_type)

    def dump_json(self, pretty=False):
        result = {}
        for key in list(self._b.keys()):
            if key.startswith("_"):
                continue
            try:
                type_name, id = key.split("@")
                result.setdefault(type_name, {})[id] = json.loads(self._b.get(key))
            except (ValueError, json.JSONDecodeError):
                continue
        return json.dumps(result, indent=2) if pretty else json.dumps(result)

    def raw_dump_json(self, pretty=False):
        result = {key: self._b.get(key) for key in list(self._b.keys())}
        return json.dumps(result, indent=2) if pretty else json.dumps(result)

    def get_audit(self, id_from=None, id_to=None):
        if not self._db_audit:
            return {}
        id_from = id_from or int(self._db_audit.get("_min_id"))
        id_to = id_to or int(self._db_audit.get("_max_id"))
        ret = {}
        for id in range(id_from, id_to):
            entry = self._db_audit.get(str(id))
            if entry:
                ret[str(id)] = json.loads(entry)
        return ret
