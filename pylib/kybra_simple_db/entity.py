"""`Entity`: the base class of stored objects.

Behaves as kybra_simple_db 0.5.0 (ids, aliases, save-on-assignment, relations on both sides,
hooks, schema versions, identity map, the same exceptions and messages), with these fixes:

- constructing an entity is all-or-nothing: if it fails, no id, count, record or relation link
  is left behind;
- loading does not write (except to persist a schema migration, and the other side of a
  relation the migration links), keeps the entity's relations
  (resolved lazily from the stored ids) and keeps its stored times and owner;
- `instances()` reads only the key ranges of the class and its subclasses;
- stored relations resolve to classes that are defined, even if no instance registered them.

Classes whose behaviour is the package's own (no hooks, no overridden persistence methods, only
the built-in property types) are constructed, loaded and saved by the native engine
(`src/py/entity.rs`) in one call; the Python code below is the reference path for everything.
"""

import weakref

import _db
from kybra_simple_logging import get_logger

from . import context as _context_module
from .constants import LEVEL_MAX_DEFAULT
from .db_engine import Database

logger = get_logger(__name__)

#: Every entity class defined so far, by full type name and by class name (latest wins).
#: Used to resolve stored relations to classes that no instance has registered yet.
_defined_classes = {}

#: The class whose next construction is a load (set by `Entity.load`, consumed by `__init__`).
_hydrate_next = [None]


class _EntityContext(set):
    """`Entity._context` (a set, as in 0.5.0): the entities touched so far, kept alive. Held by
    identity, so adding an entity does not call its Python `__hash__`."""

    def __init__(self):
        super().__init__()
        self._items = {}

    def add(self, entity):
        self._items[id(entity)] = entity

    def discard(self, entity):
        self._items.pop(id(entity), None)

    def remove(self, entity):
        del self._items[id(entity)]

    def clear(self):
        self._items.clear()

    def __contains__(self, entity):
        return id(entity) in self._items

    def __iter__(self):
        return iter(list(self._items.values()))

    def __len__(self):
        return len(self._items)


#: Methods whose definitions decide whether a class can use the native fast paths: only the
#: package's own (Entity, TimestampedMixin) keep its behaviour exactly known.
_FAST_METHODS = ("serialize", "_save", "_persist", "__init__", "__setattr__", "__getattribute__",
                 "_update_timestamps", "_restore_stored_state", "_alias_value", "check_ownership",
                 "get_full_type_name", "__new__")


def _schema(cls):
    """`(fast, native_schema)` of an entity class, computed once (see `src/py/entity.rs`) and
    dropped whenever the class or one of its bases is changed."""
    sc = cls.__dict__.get("_codexvm_schema")
    if sc is not None:
        return sc
    from .mixins import TimestampedMixin
    from .properties import Boolean, Float, Integer, ManyToMany, OneToMany, Property, Relation, String
    from .system_time import SystemTime

    fast = not hasattr(cls, "on_event")
    for name in _FAST_METHODS:
        for klass in cls.__mro__:
            if name in klass.__dict__:
                if klass not in (Entity, TimestampedMixin, object):
                    fast = False
                break
    kinds = {String: 1, Integer: 2, Float: 3, Boolean: 4}
    bounds = {1: ("min_length", "max_length"), 2: ("min_value", "max_value"), 3: ("min_value", "max_value")}
    props, rels, where = [], [], {}
    for klass in reversed(cls.__mro__):
        for k, v in klass.__dict__.items():
            if k.startswith("_"):
                continue
            if isinstance(v, Property):
                kind = kinds.get(type(v), 0)
                if kind == 0:
                    fast = False
                a, b = (getattr(v, n, None) for n in bounds.get(kind, ("", "")))
                entry = (k, kind, v.default, a, b, v)
                # The native paths find a property by its descriptor: one object under two
                # names would be ambiguous.
                if any(e[5] is v and e[0] != k for e in props):
                    fast = False
                if k in where:
                    props[where[k]] = entry
                else:
                    where[k] = len(props)
                    props.append(entry)
            elif isinstance(v, Relation):
                rels = [r for r in rels if r[0] != k] + [(k, isinstance(v, (OneToMany, ManyToMany)))]
    alias = getattr(cls, "__alias__", None) or None
    native = (cls.get_full_type_name(), alias, cls.__version__, tuple(props), tuple(rels),
              issubclass(cls, TimestampedMixin), _context_module, SystemTime, _StoredRefs)
    sc = (fast and isinstance(alias, (str, type(None))), native)
    type.__setattr__(cls, "_codexvm_schema", sc)
    return sc


def _forget_schemas(cls):
    """Drops the cached schema of `cls` and of all its subclasses."""
    stack = [cls]
    while stack:
        c = stack.pop()
        if "_codexvm_schema" in c.__dict__:
            type.__delattr__(c, "_codexvm_schema")
        stack.extend(type.__subclasses__(c))


class _EntityType(type):
    """Metaclass of `Entity`: a change to a class attribute (a hook added, a property replaced,
    `__alias__` changed, ...) invalidates the cached schemas, so the change takes effect."""

    def __setattr__(cls, name, value):
        type.__setattr__(cls, name, value)
        if name != "_codexvm_schema":
            _forget_schemas(cls)

    def __delattr__(cls, name):
        type.__delattr__(cls, name)
        if name != "_codexvm_schema":
            _forget_schemas(cls)

    #: `Cls[key]` calls the class's `__class_getitem__` (natively while that is `Entity`'s).
    __getitem__ = _db.class_subscript_method()


def _migrated_relation_id(cls, prop, value):
    """The `_id` 0.5.0 would store for `value`, one reference set on relation `prop` by a
    migration: an entity gives its `_id`; a str or int is looked up, for each target type in
    turn, as an id and then as an alias value (as `Cls[value]` does). Nothing is loaded (a
    migrating load must not recurse into other migrating loads). A value that finds nothing is
    kept as it is: like any dangling reference, it is dropped when the relation is resolved
    (0.5.0 raised ValueError)."""
    if isinstance(value, Entity):
        return value._id
    if not isinstance(value, (str, int)):
        return value
    key = str(value)
    b = cls.db()._b
    types = prop.entity_types
    for type_name in [types] if isinstance(types, str) else list(types or []):
        klass = cls._class_for(type_name)
        if klass is None:
            continue
        full = klass.get_full_type_name()
        if b.exists(full, key):
            return key
        if getattr(klass, "__alias__", None):
            found = b.alias_get(klass._alias_key(), key)
            if found and b.exists(full, str(found)):
                return found
    return value


def _migrated_relation_ids(cls, data):
    """Rewrites the relation values of migrated `data` as the ids 0.5.0 persists.

    0.5.0 builds a migrated entity by assigning every field through its descriptor, so a
    migration that sets a relation field (typically when renaming one) may give an entity, an
    id of any type or an alias value, and what is persisted is the resolved `_id` (a to-many
    relation as a list without duplicates; a single entity, id or alias on a ManyToMany as a
    one-element list). Values of other shapes are left alone."""
    from .properties import ManyToMany, OneToMany, Relation

    for key, value in list(data.items()):
        if key.startswith("_") or value is None:
            continue
        prop = getattr(cls, key, None)
        if not isinstance(prop, Relation):
            continue
        to_many = isinstance(prop, (OneToMany, ManyToMany))
        if to_many and isinstance(prop, ManyToMany) and isinstance(value, (Entity, str, int)):
            value = [value]
        if to_many and isinstance(value, (list, tuple)):
            ids = []
            for v in value:
                i = _migrated_relation_id(cls, prop, v)
                if i not in ids:
                    ids.append(i)
            data[key] = ids
        elif not to_many and not isinstance(value, (list, tuple)):
            data[key] = _migrated_relation_id(cls, prop, value)


class _StoredRefs:
    """Ids of a relation as loaded from storage, resolved to entities on first use."""

    __slots__ = ("ids",)

    def __init__(self, value):
        self.ids = list(value) if isinstance(value, (list, tuple)) else [value]


class Entity(metaclass=_EntityType):
    """Base class of database entities."""

    _entity_type = None
    _context = _EntityContext()
    _do_not_save = False
    _hydrating = False
    __version__ = 1
    __namespace__ = None

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        _defined_classes[cls.get_full_type_name()] = cls
        _defined_classes.setdefault(cls.__name__, cls)

    def __init__(self, **kwargs):
        if _db.construct(self, kwargs):
            return
        cls = self.__class__
        hydrating = _hydrate_next[0] is cls and kwargs.get("_loaded") is True and kwargs.get("_id") is not None
        _hydrate_next[0] = None
        super().__init__() if hasattr(super(), "__init__") else None
        self._type = cls.get_full_type_name()
        self._id = None if kwargs.get("_id") is None else kwargs["_id"]
        self._loaded = False if kwargs.get("_loaded") is None else kwargs["_loaded"]
        self._counted = False
        self._relations = {}
        self._linked = []
        db = self.db()
        b = db._b
        sp = b.savepoint()
        self._hydrating = hydrating
        previous = None
        try:
            cls._context.add(self)
            db.register_entity_type(cls, self._type)
            if self._id is None:
                self._id = b.next_id(self._type)
                if db._auditing():
                    db._audit("save", f"_system@{self._type}_id", self._id)
            elif not hydrating:
                before = b.counter(f"_system@{self._type}_id") if db._auditing() else None
                b.note_custom_id(self._type, self._id)
                if before is not None and b.counter(f"_system@{self._type}_id") != before:
                    db._audit("save", f"_system@{self._type}_id", self._id)
            previous = db.get_entity(self._type, self._id)
            db.register_entity(self)

            self._do_not_save = True
            if hydrating:
                data = {k: v for k, v in kwargs.items() if not k.startswith("_")}
                restore = getattr(self, "_restore_stored_state", None)
                if restore is not None:
                    restore(data)
                from .properties import Relation
                for k, v in data.items():
                    if isinstance(getattr(cls, k, None), Relation):
                        if v is not None:
                            self._relations[k] = _StoredRefs(v)
                    else:
                        setattr(self, k, v)
            else:
                for k, v in kwargs.items():
                    if not k.startswith("_"):
                        setattr(self, k, v)
            self._do_not_save = False
            self._hydrating = False
            if not hydrating:
                self._save()
        except BaseException:
            b.rollback_to(sp)
            # Undo in memory what the store rollback undid: the identity map entry and the
            # links this entity made on other entities.
            if db.get_entity(self._type, self._id) is self:
                db.unregister_entity(self._type, self._id)
                if previous is not None:
                    db.register_entity(previous)
            cls._context.discard(self)
            for rel, other in self._linked:
                lst = other._relations.get(rel)
                if isinstance(lst, list) and self in lst:
                    lst.remove(self)
            raise
        finally:
            self._linked = None
        b.release(sp)

    @classmethod
    def new(cls, **kwargs):
        return cls(**kwargs)

    @classmethod
    def db(cls):
        return Database.get_instance()

    @classmethod
    def get_full_type_name(cls):
        namespace = getattr(cls, "__namespace__", None)
        if namespace:
            return f"{namespace}::{cls.__name__}"
        return cls.__name__

    def _alias_value(self):
        cls = self.__class__
        field = getattr(cls, "__alias__", None)
        if field and hasattr(self, field):
            return getattr(self, field)
        return None

    def _persist(self, data):
        """Writes the record (and its alias entry) as 0.5.0 lays them out."""
        cls = self.__class__
        db = self.db()
        alias_value = self._alias_value()
        alias_type = cls._alias_key() if alias_value is not None else None
        persisted = db._b.save_entity(self._type, self._id, data, cls.__version__, alias_type, alias_value)
        if db._auditing():
            db._audit("save", f"{self._type}@{self._id}", {**data, "__version__": cls.__version__})
            if alias_type is not None:
                db._audit("save", f"{alias_type}@{alias_value}", self._id)
        self._loaded = True
        return persisted

    def _save(self):
        if self._hydrating:
            return self  # loading sets fields from storage: nothing to write or stamp
        db = self.__class__.db()
        b = db._b
        type_name = self._type
        if self._id is None:
            self._id = b.next_id(type_name)
            db._audit("save", f"_system@{type_name}_id", self._id)
            if not self._counted:
                n = b.increment_count(type_name)
                db._audit("save", f"_system@{type_name}_count", str(n))
                self._counted = True
        elif not self._loaded:
            if b.exists(type_name, str(self._id)):
                raise ValueError(f"Entity {self._type}@{self._id} already exists")
            if not self._counted:
                n = b.increment_count(type_name)
                db._audit("save", f"_system@{type_name}_count", str(n))
                self._counted = True

        if hasattr(self, "_update_timestamps"):
            from .context import get_caller_id

            caller_id = get_caller_id()
            if hasattr(self, "check_ownership") and getattr(self, "_timestamp_created", None):
                if not self.check_ownership(caller_id):
                    raise PermissionError(f"Only the owner can update this entity. Current owner: {self._owner}")
            self._update_timestamps(caller_id)

        data = self.serialize()
        if not self._do_not_save:
            self._persist(data)
        return self

    @classmethod
    def _alias_key(cls):
        return cls.get_full_type_name() + "_alias"

    @classmethod
    def migrate(cls, obj, from_version, to_version):
        return obj

    #: `Cls.load(entity_id=None, level=3)`: native, falling back to `_load`.
    load = classmethod(_db.entity_load)

    @classmethod
    def _load(cls, entity_id=None, level=LEVEL_MAX_DEFAULT):
        """The Python path of `load` (schema migrations, hooks, custom classes)."""
        if level == 0 or not entity_id:
            return None
        type_name = cls.get_full_type_name()
        db = cls.db()
        existing = db.get_entity(type_name, entity_id)
        if existing is not None:
            return existing
        data = db._b.load(type_name, str(entity_id))
        if not data:
            return None
        stored_version = data.get("__version__", 1)
        migrated = stored_version != cls.__version__
        if migrated:
            data = cls.migrate(data, stored_version, cls.__version__)
            data["__version__"] = cls.__version__
            _migrated_relation_ids(cls, data)
        data.pop("_loaded", None)
        data["_id"] = data.get("_id") if data.get("_id") is not None else entity_id
        _hydrate_next[0] = cls
        try:
            entity = cls(**data, _loaded=True)
        finally:
            _hydrate_next[0] = None
        if migrated:
            entity._persist_migration(data)
        return entity

    def _persist_migration(self, data):
        """Persists a migrated record (as 0.5.0's load does), without counting as an update.

        A relation the migration set to entities that do not link back (a field turned into a
        relation, say; a renamed relation already links back) is also linked on their side and
        they are saved, as 0.5.0's assignment through the descriptor does. All or nothing."""
        from .properties import Relation

        cls = self.__class__
        db = self.db()
        b = db._b
        sp = b.savepoint()
        try:
            for key, value in data.items():
                if key.startswith("_") or value is None:
                    continue
                prop = getattr(cls, key, None)
                if not isinstance(prop, Relation) or key not in self._relations:
                    continue
                targets = list(self._relation_list(key))
                if all(self._links_back(t, prop.reverse_name) for t in targets):
                    continue
                self._relations[key] = []
                self._hydrating = True  # this entity's own saves wait for the one below
                try:
                    if prop.many:
                        prop.__set__(self, targets)
                    elif targets:
                        prop.__set__(self, targets[0])
                finally:
                    self._hydrating = False
            self._persist(self.serialize())
        except BaseException:
            b.rollback_to(sp)
            if db.get_entity(self._type, self._id) is self:
                db.unregister_entity(self._type, self._id)
            cls._context.discard(self)
            raise
        b.release(sp)

    @classmethod
    def find(cls, d):
        rows = [e.serialize() for e in cls.instances()]
        return [cls.load(r["_id"]) for r in rows if all(r.get(k) == v for k, v in d.items())]

    @classmethod
    def _class_for(cls, type_name):
        db = cls.db()
        found = db._entity_types.get(type_name) or _defined_classes.get(type_name)
        if found is None and "::" in type_name:
            found = db._entity_types.get(type_name.split("::")[-1])
        return found

    @classmethod
    def instances(cls):
        """Every stored entity of this class and of its subclasses, in key order."""
        db = Database.get_instance()
        full = cls.get_full_type_name()
        db.register_entity_type(cls, full)
        # Each registered or defined subclass once per type name (natively: this loop over every
        # class was most of what `instances()` of an empty table cost).
        types = _db.subclass_types(cls, full, [db._entity_types, _defined_classes])
        fast = _db.instances_fast(types)
        if fast is not False:
            return fast
        result = []
        classes = dict(types)
        for stored_type, entity_id, _key in db._b.scan_types([t for t, _ in types]):
            instance = classes.get(stored_type, cls).load(entity_id)
            if instance:
                result.append(instance)
        return result

    #: `Cls.count()`: the live count of the class's type (native).
    count = classmethod(_db.class_count)

    #: `Cls.max_id()`: the highest id handed out for the class's type (native).
    max_id = classmethod(_db.class_max_id)

    @classmethod
    def load_some(cls, from_id, count=10):
        logger.info(f"Loading entities from {from_id} to {from_id + count}")
        if from_id < 1:
            raise ValueError("from_id must be at least 1")
        if count < 1:
            raise ValueError("count must be at least 1")
        ret = []
        top = cls.max_id()
        while len(ret) < count and from_id <= top:
            logger.info(f"Loading entity {from_id}")
            entity = cls.load(str(from_id))
            if entity:
                ret.append(entity)
            from_id += 1
            if from_id > top:
                top = cls.max_id()
        return ret

    def delete(self):
        if _db.delete_fast(self):
            return
        from .constants import ACTION_DELETE
        from .hooks import call_entity_hook

        allow, _ = call_entity_hook(self, None, self, None, ACTION_DELETE)
        if not allow:
            raise PermissionError("Hook rejected entity deletion")
        db = self.db()
        b = db._b
        sp = b.savepoint()
        try:
            db.delete(self._type, self._id)
            n = b.decrement_count(self.__class__.get_full_type_name())
            db._audit("save", f"_system@{self._type}_count", str(n))
            alias_value = self._alias_value()
            if alias_value is not None:
                # Only our own entry: a later entity may have taken the alias over.
                if str(b.alias_get(self._alias_key(), str(alias_value))) == str(self._id):
                    db.delete(self._alias_key(), alias_value)
        except BaseException:
            b.rollback_to(sp)  # all or nothing: the record, its count and its alias entry
            raise
        b.release(sp)
        db.unregister_entity(self._type, self._id)
        self.__class__._context.discard(self)

    def serialize(self):
        data = super().serialize() if hasattr(super(), "serialize") else {}
        data.update({"_type": self._type, "_id": self._id})
        from .properties import ManyToMany, OneToMany, Property

        for klass in reversed(self.__class__.__mro__):
            for k, v in klass.__dict__.items():
                if not k.startswith("_") and isinstance(v, Property):
                    data[k] = getattr(self, k)
        for k, v in self.__dict__.items():
            if not k.startswith("_"):
                data[k] = v
        for rel_name, rel in self._relations.items():
            ids = rel.ids if isinstance(rel, _StoredRefs) else [e._id for e in rel]
            if ids:
                prop = getattr(self.__class__, rel_name, None)
                if len(ids) == 1 and not isinstance(prop, (OneToMany, ManyToMany)):
                    data[rel_name] = ids[0]
                else:
                    data[rel_name] = list(ids)
        return data

    @classmethod
    def deserialize(cls, data):
        if not isinstance(data, dict):
            raise ValueError("Data must be a dictionary")
        if "_type" not in data:
            raise ValueError("Serialized data must contain '_type' field")
        entity_type = data["_type"]
        if cls.__name__ == "Entity":
            db = cls.db()
            target = db._entity_types.get(entity_type) or db._entity_types.get(db._extract_class_name(entity_type))
            if not target:
                raise ValueError(f"Unknown entity type: {entity_type}")
            return target.deserialize(data)
        full = cls.get_full_type_name()
        if entity_type != full and entity_type != cls.__name__:
            raise ValueError(f"Entity type mismatch: expected {full} or {cls.__name__}, got {entity_type}")
        stored_version = data.get("__version__", 1)
        if stored_version != cls.__version__:
            data = cls.migrate(data, stored_version, cls.__version__)
            data["__version__"] = cls.__version__

        from .properties import Relation

        existing = None
        entity_id = data.get("_id")
        if entity_id:
            existing = cls.load(str(entity_id))
        alias_field = getattr(cls, "__alias__", None)
        if not existing and alias_field and alias_field in data and data[alias_field] is not None:
            actual_id = cls.db()._b.alias_get(cls._alias_key(), str(data[alias_field]))
            if actual_id:
                existing = cls.load(actual_id)

        def relations_of(d):
            return {k: v for k, v in d.items()
                    if not k.startswith("_") and isinstance(getattr(cls, k, None), Relation) and v is not None}

        if existing:
            old_alias = getattr(existing, alias_field) if alias_field and hasattr(existing, alias_field) else None
            existing._do_not_save = True
            try:
                for key, value in data.items():
                    if key.startswith("_") or isinstance(getattr(cls, key, None), Relation):
                        continue
                    setattr(existing, key, value)
                if alias_field and alias_field in data:
                    new_alias = data[alias_field]
                    if old_alias != new_alias and old_alias is not None:
                        cls.db().delete(cls._alias_key(), str(old_alias))
            finally:
                existing._do_not_save = False
            existing._pending_relations = relations_of(data)
            existing._save()
            return existing

        kwargs = {}
        if entity_id:
            kwargs["_id"] = entity_id
        for key, value in data.items():
            if key.startswith("_") and key != "_id":
                continue
            if isinstance(getattr(cls, key, None), Relation):
                continue
            kwargs[key] = value
        entity = cls(**kwargs)
        entity._pending_relations = relations_of(data)
        return entity

    @classmethod
    def resolve_pending_relations(cls):
        db = cls.db()
        for _name, entity_class in list(db._entity_types.items()):
            for entity in entity_class.instances():
                if getattr(entity, "_pending_relations", None):
                    cls._resolve_entity_relations(entity)

    @classmethod
    def _resolve_entity_relations(cls, entity):
        if not hasattr(entity, "_pending_relations"):
            return
        from .properties import ManyToMany, OneToMany, Relation

        for key, value in entity._pending_relations.items():
            prop = getattr(entity.__class__, key, None)
            if not isinstance(prop, Relation):
                continue
            if isinstance(prop.entity_types, str):
                target_type = prop.entity_types
            elif isinstance(prop.entity_types, list) and prop.entity_types:
                target_type = prop.entity_types[0]
            else:
                target_type = entity.__class__.__name__
            target_class = entity.db()._entity_types.get(target_type)
            if isinstance(prop, (OneToMany, ManyToMany)):
                if not isinstance(value, list):
                    continue
                related = []
                if target_class:
                    for related_id in value:
                        found = target_class.load(str(related_id))
                        if found:
                            related.append(found)
                if related:
                    prop.__set__(entity, related)
            else:
                if isinstance(value, list) or not target_class:
                    continue
                found = target_class.load(str(value))
                if found:
                    prop.__set__(entity, found)
        entity._pending_relations = {}

    #: `Cls[key]`: by id, then by alias (native, falling back to `_getitem`).
    __class_getitem__ = classmethod(_db.entity_getitem)

    @classmethod
    def _getitem(cls, key):
        """The Python path of `Cls[key]`."""
        str_key = str(key) if isinstance(key, (int, float)) else key
        entity = cls.load(str_key)
        if entity:
            return entity
        if getattr(cls, "__alias__", None):
            actual = cls.db()._b.alias_get(cls._alias_key(), str(str_key))
            if actual:
                return cls.load(actual)
        return None

    def __eq__(self, other):
        if not isinstance(other, Entity):
            return NotImplemented
        return self._type == other._type and self._id == other._id

    def __hash__(self):
        return hash((self._type, self._id))

    # -- relations ------------------------------------------------------------------------------
    def _relation_list(self, name):
        """The live list of entities of relation `name`, resolving stored ids on first use.

        Stored references are ids (0.5.0 stores no type), so with several target types the
        entity that links back to this one is chosen; ids whose entity is gone are dropped."""
        rel = self._relations.get(name)
        if isinstance(rel, _StoredRefs):
            resolved = []
            prop = getattr(self.__class__, name, None)
            types = getattr(prop, "entity_types", None)
            types = [types] if isinstance(types, str) else list(types or [])
            reverse = getattr(prop, "reverse_name", None)
            for ref in rel.ids:
                candidates = []
                for t in types:
                    klass = self._class_for(t)
                    if klass is not None:
                        found = klass.load(str(ref))
                        if found is not None and found not in candidates:
                            candidates.append(found)
                if len(candidates) > 1 and reverse:
                    linking = [c for c in candidates if self._links_back(c, reverse)]
                    candidates = linking or candidates
                if candidates and candidates[0] not in resolved:
                    resolved.append(candidates[0])
            self._relations[name] = resolved
            return resolved
        if rel is None:
            rel = self._relations[name] = []
        return rel

    def _links_back(self, other, reverse):
        rel = other._relations.get(reverse)
        if isinstance(rel, _StoredRefs):
            return any(str(i) == str(self._id) for i in rel.ids)
        return isinstance(rel, list) and self in rel

    def add_relation(self, from_rel, to_rel, other):
        mine = self._relation_list(from_rel)
        if other not in mine:
            mine.append(other)
        theirs = other._relation_list(to_rel)
        if self not in theirs:
            theirs.append(self)
            linked = self.__dict__.get("_linked")
            if linked is not None:
                linked.append((to_rel, other))
        self._save()
        other._save()

    def get_relations(self, relation_name, entity_type=None):
        if relation_name not in self._relations:
            return []
        entities = self._relation_list(relation_name)
        if entity_type:
            entities = [e for e in entities if e._type == entity_type]
        return entities

    def remove_relation(self, from_rel, to_rel, other):
        if from_rel in self._relations:
            mine = self._relation_list(from_rel)
            if other in mine:
                mine.remove(other)
        if to_rel in other._relations:
            theirs = other._relation_list(to_rel)
            if self in theirs:
                theirs.remove(self)
        self._save()
        other._save()


def _bind():
    from .properties import Property

    _db.bind(_schema, Database, Entity._context, Property._set, Entity._load.__func__, Entity._getitem.__func__,
             Entity.__dict__["__class_getitem__"])


_bind()
