"""kybra_simple_db 0.5.0: the public surface (exports, submodules, constants, singletons, storage).

pytest style.
"""
import dataclasses

import pytest

import kybra_simple_db
from kybra_simple_db import *  # noqa: F401,F403  (the suite of 0.5.0 uses this form)
from kybra_simple_db import (
    ACTION_CREATE,
    ACTION_DELETE,
    ACTION_MODIFY,
    Database,
    Entity,
    MemoryStorage,
    Storage,
    String,
    SystemTime,
)

EXPECTED_ALL = [
    "Database", "Entity", "Storage", "MemoryStorage", "TimestampedMixin",
    "String", "Integer", "Float", "Boolean",
    "OneToOne", "OneToMany", "ManyToOne", "ManyToMany",
    "SystemTime", "ACTION_CREATE", "ACTION_MODIFY", "ACTION_DELETE",
]


def test_version_is_050():
    assert kybra_simple_db.__version__ == "0.5.0"


def test_all_lists_exactly_the_public_names():
    assert sorted(kybra_simple_db.__all__) == sorted(EXPECTED_ALL)


def test_star_import_provides_every_name():
    ns = {}
    exec("from kybra_simple_db import *", ns)
    for name in EXPECTED_ALL:
        assert name in ns, name


def test_action_constants_and_level():
    from kybra_simple_db import constants

    assert (ACTION_CREATE, ACTION_MODIFY, ACTION_DELETE) == ("create", "modify", "delete")
    assert constants.ACTION_CREATE == "create"
    assert constants.LEVEL_MAX_DEFAULT == 3


@pytest.mark.parametrize("module", [
    "context", "mixins", "properties", "constants", "hooks", "storage", "system_time", "entity", "db_engine",
])
def test_submodules_are_importable(module):
    mod = __import__("kybra_simple_db." + module, fromlist=["x"])
    assert mod.__name__ == "kybra_simple_db." + module


def test_submodule_exports():
    from kybra_simple_db import context, mixins, properties

    for name in ("Property", "Relation", "RelationList", "String", "Integer", "Float", "Boolean",
                 "OneToOne", "OneToMany", "ManyToOne", "ManyToMany"):
        assert hasattr(properties, name), name
    assert properties.String is kybra_simple_db.String
    assert mixins.TimestampedMixin is kybra_simple_db.TimestampedMixin
    assert callable(context.get_caller_id) and callable(context.set_caller_id)


def test_property_is_a_dataclass_with_four_fields():
    from kybra_simple_db.properties import Property

    assert dataclasses.is_dataclass(Property)
    assert [f.name for f in dataclasses.fields(Property)] == ["name", "type", "default", "validator"]


def test_entity_class_level_attributes():
    assert Entity.__version__ == 1
    assert Entity.__namespace__ is None
    assert Entity._entity_type is None
    assert Entity._do_not_save is False
    assert isinstance(Entity._context, set)
    assert not hasattr(Entity, "__alias__")


@pytest.mark.parametrize("name", ["get", "exists", "to_dict", "save"])
def test_entity_has_no_such_method(name):
    assert not hasattr(Entity, name)


def test_entity_has_no_custom_repr():
    assert Entity.__repr__ is object.__repr__


def test_declaring_a_class_registers_nothing(db):
    class Quiet(Entity):
        name = String()

    assert "Quiet" not in db._entity_types
    assert db.raw_dump_json() == "{}"


def test_db_classmethod_is_the_singleton(db):
    class Thing(Entity):
        pass

    assert Thing.db() is Database.get_instance() is db
    assert Entity.db() is db


def test_database_init_twice_raises(db):
    with pytest.raises(RuntimeError, match="^Database instance already exists$"):
        Database.init()


def test_system_time_constructor_is_guarded():
    SystemTime.get_instance()
    with pytest.raises(RuntimeError, match=r"Use SystemTime.get_instance\(\) instead"):
        SystemTime()
    assert SystemTime.get_instance() is SystemTime.get_instance()


def test_storage_is_abstract():
    with pytest.raises(TypeError):
        Storage()
    assert issubclass(MemoryStorage, Storage)


def test_memory_storage_basic_operations():
    s = MemoryStorage()
    s.insert("b", "2")
    s.insert("a", "1")
    assert s.get("a") == "1"
    assert s.get("zzz") is None
    assert "a" in s and "zzz" not in s
    assert list(s.keys()) == ["b", "a"]  # insertion order
    assert list(s.items()) == [("b", "2"), ("a", "1")]
    s.remove("b")
    assert list(s.keys()) == ["a"]


def test_memory_storage_remove_missing_key_raises():
    s = MemoryStorage()
    with pytest.raises(KeyError, match="Key 'nope' not found in storage"):
        s.remove("nope")
