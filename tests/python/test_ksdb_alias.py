"""kybra_simple_db 0.5.0: aliases, the alias index and `Cls[key]` (id first, then alias).

pytest style.
"""
import json

import pytest

from kybra_simple_db import Entity, Integer, String


class Person(Entity):
    __alias__ = "name"
    name = String()
    age = Integer()


class Code(Entity):
    __alias__ = "code"
    code = Integer()


class NoAlias(Entity):
    name = String()


@pytest.fixture
def alice():
    return Person(name="alice", age=30)


def test_alias_key_name():
    assert Person._alias_key() == "Person_alias"
    assert NoAlias._alias_key() == "NoAlias_alias"


def test_alias_index_is_stored_as_json_string_id(db, alice):
    assert db._db_storage.get("Person_alias@alice") == '"1"'
    assert db.load("Person_alias", "alice") == "1"


def test_lookup_by_alias_and_by_id(alice):
    assert Person["alice"] is alice
    assert Person["1"] is alice
    assert Person[1] is alice


def test_id_match_wins_over_alias_match():
    first = Person(name="2")
    second = Person(name="bob")
    assert second._id == "2"
    assert Person["2"] is second
    assert Person["bob"] is second
    assert Person["1"] is first


@pytest.mark.parametrize("key", ["missing", None, 1.0, 99, ""])
def test_lookup_miss_returns_none(alice, key):
    assert Person[key] is None


def test_float_key_is_stringified_and_can_hit_an_alias():
    p = Person(name="1.0")
    assert Person[1.0] is p


def test_class_without_alias_only_looks_up_ids():
    n = NoAlias(name="x")
    assert NoAlias["x"] is None
    assert NoAlias["1"] is n


def test_int_alias_value_key_uses_str(db):
    c = Code(code=7)
    assert db._db_storage.get("Code_alias@7") == '"1"'
    assert Code[7] is c
    assert Code["7"] is c


def test_none_alias_value_writes_no_alias_key(db):
    Person(age=5)
    assert [k for k in json.loads(db.raw_dump_json()) if k.startswith("Person_alias")] == []


def test_duplicate_alias_value_last_writer_wins(db):
    Person(name="same")
    second = Person(name="same")
    assert db.load("Person_alias", "same") == "2"
    assert Person["same"] is second


def test_rename_keeps_stale_alias_key(db, alice):
    alice.name = "alicia"
    assert Person["alicia"] is alice
    assert db.load("Person_alias", "alicia") == "1"
    # the old index entry is left behind and still resolves
    assert db.load("Person_alias", "alice") == "1"
    assert Person["alice"] is alice


def test_every_property_save_rewrites_the_alias_key(db, alice):
    db._db_storage.remove("Person_alias@alice")
    assert Person["alice"] is None
    alice.age = 31
    assert db._db_storage.get("Person_alias@alice") == '"1"'


def test_delete_removes_alias_key(db, alice):
    alice.delete()
    assert db._db_storage.get("Person_alias@alice") is None
    assert Person["alice"] is None


def test_alias_lookup_after_cold_load(db, alice):
    db.clear_registry()
    p = Person["alice"]
    assert p is not alice
    assert (p._id, p.name, p.age) == ("1", "alice", 30)
    assert Person["alice"] is p


def test_dump_json_lists_alias_index_as_pseudo_type(db, alice):
    dumped = json.loads(db.dump_json())
    assert dumped == {
        "Person": {"1": {"_type": "Person", "_id": "1", "name": "alice", "age": 30, "__version__": 1}},
        "Person_alias": {"alice": "1"},
    }


def test_tuple_key_is_not_supported_in_050(alice):
    # `Cls["field", value]` arrived in 0.5.1
    assert Person["name", "alice"] is None
