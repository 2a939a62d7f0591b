"""kybra_simple_db 0.5.0: `serialize()` key order and the single-vs-list relation rule;
`deserialize()` upsert (by id, by alias, alias change, create path, errors) and pending relations.

pytest style.
"""
import pytest

from kybra_simple_db import (
    ACTION_MODIFY,
    Boolean,
    Entity,
    Integer,
    ManyToMany,
    ManyToOne,
    OneToMany,
    OneToOne,
    String,
    TimestampedMixin,
)


class Parent(Entity):
    name = String()
    children = OneToMany("Child", "parent")
    favorite_child = OneToOne("Child", "favorite_of")


class Child(Entity):
    name = String()
    parent = ManyToOne("Parent", "children")
    favorite_of = OneToOne("Parent", "favorite_child")


class Base(Entity):
    a = String()
    b = Integer(default=2)


class Derived(Base):
    c = Boolean()
    d = String()


class Member(Entity):
    __alias__ = "email"
    email = String()
    nick = String()
    score = Integer()
    tags = ManyToMany("Tag", "members")

    hook_log = []

    @staticmethod
    def on_event(entity, field_name, old_value, new_value, action):
        Member.hook_log.append((field_name, action))
        return True, new_value


class Tag(Entity):
    label = String()
    members = ManyToMany("Member", "tags")


@pytest.fixture
def family():
    p = Parent(name="Alice")
    c1, c2, c3 = Child(name="c1"), Child(name="c2"), Child(name="c3")
    p.children.add(c1)
    p.children.add(c3)
    p.favorite_child = c1
    return p, c1, c2, c3


@pytest.fixture(autouse=True)
def clear_hook_log():
    Member.hook_log.clear()
    yield
    Member.hook_log.clear()


def test_serialize_exact_text_for_parent(family):
    p = family[0]
    assert str(p.serialize()) == ("{'_type': 'Parent', '_id': '1', 'name': 'Alice', 'children': ['1', '3'], "
                                  "'favorite_child': '1'}")


def test_serialize_exact_text_for_children(family):
    _, c1, c2, c3 = family
    assert str(c1.serialize()) == "{'_type': 'Child', '_id': '1', 'name': 'c1', 'parent': '1', 'favorite_of': '1'}"
    assert str(c2.serialize()) == "{'_type': 'Child', '_id': '2', 'name': 'c2'}"
    assert c3.serialize() == {"_type": "Child", "_id": "3", "name": "c3", "parent": "1"}


def test_to_many_with_one_element_is_a_list(family):
    p, c1, _, c3 = family
    p.children.remove(c3)
    assert p.serialize()["children"] == ["1"]


def test_single_relation_with_two_elements_becomes_list(db):
    a, b, c = Parent(name="a"), Child(name="b"), Child(name="c")
    a.add_relation("favorite_child", "favorite_of", b)
    a.add_relation("favorite_child", "favorite_of", c)
    assert a.serialize()["favorite_child"] == ["1", "2"]
    assert db.load("Parent", "1")["favorite_child"] == ["1", "2"]


def test_properties_follow_mro_then_class_body_order():
    d = Derived(d="dd", a="aa")
    assert list(d.serialize()) == ["_type", "_id", "a", "b", "c", "d"]
    assert d.serialize() == {"_type": "Derived", "_id": "1", "a": "aa", "b": 2, "c": None, "d": "dd"}


def test_plain_attributes_come_after_properties_and_before_relations(family):
    p = family[0]
    p.extra = {"k": [1, 2]}
    assert list(p.serialize()) == ["_type", "_id", "name", "extra", "children", "favorite_child"]
    assert p.serialize()["extra"] == {"k": [1, 2]}


def test_serialize_has_no_version_but_storage_does(db):
    m = Member(email="a@x")
    assert "__version__" not in m.serialize()
    assert db.load("Member", "1")["__version__"] == 1


@pytest.mark.parametrize("data,message", [
    ("not a dict", "Data must be a dictionary"),
    ([("_type", "Member")], "Data must be a dictionary"),
    ({"name": "x"}, "Serialized data must contain '_type' field"),
])
def test_deserialize_input_errors(data, message):
    with pytest.raises(ValueError) as exc:
        Member.deserialize(data)
    assert str(exc.value) == message


def test_deserialize_unknown_type_on_base_entity():
    with pytest.raises(ValueError, match="^Unknown entity type: Nope$"):
        Entity.deserialize({"_type": "Nope"})


def test_deserialize_type_mismatch_on_subclass():
    with pytest.raises(ValueError, match="^Entity type mismatch: expected Member or Member, got Tag$"):
        Member.deserialize({"_type": "Tag", "label": "x"})


def test_deserialize_creates_with_given_id_and_bumps_counter(db):
    m = Member.deserialize({"_type": "Member", "_id": "5", "email": "e@x", "score": 3})
    assert (m._id, m.email, m.score) == ("5", "e@x", 3)
    assert Member.max_id() == 5
    assert Member.count() == 1
    assert Member["e@x"] is m
    assert Member(email="next@x")._id == "6"


@pytest.mark.parametrize("given", ["0", "abc"])
def test_deserialize_create_with_non_bumping_id(given):
    m = Member.deserialize({"_type": "Member", "_id": given, "email": "e@x"})
    assert m._id == given
    assert Member.max_id() == 0
    assert Member.count() == 1


def test_deserialize_create_without_id_allocates_one():
    Member(email="a@x")
    m = Member.deserialize({"_type": "Member", "email": "b@x"})
    assert m._id == "2"


def test_entity_deserialize_dispatches_on_type():
    Member(email="a@x")
    m = Entity.deserialize({"_type": "Member", "_id": "3", "email": "c@x"})
    assert isinstance(m, Member)
    assert m._id == "3"


def test_deserialize_updates_by_id_merging_fields(db):
    m = Member(email="a@x", nick="al", score=1)
    Member.hook_log.clear()
    got = Member.deserialize({"_type": "Member", "_id": "1", "score": 9})
    assert got is m
    assert (m.email, m.nick, m.score) == ("a@x", "al", 9)
    assert db.load("Member", "1")["score"] == 9
    assert Member.count() == 1
    assert Member.hook_log == [("score", ACTION_MODIFY)]


def test_deserialize_updates_by_alias_when_id_is_missing(db):
    m = Member(email="a@x", nick="al")
    got = Member.deserialize({"_type": "Member", "email": "a@x", "nick": "AL"})
    assert got is m
    assert m.nick == "AL"
    assert Member.count() == 1
    assert Member.max_id() == 1


def test_deserialize_updates_by_alias_when_id_is_unknown(db):
    m = Member(email="a@x")
    got = Member.deserialize({"_type": "Member", "_id": "77", "email": "a@x", "nick": "z"})
    assert got is m
    assert m._id == "1"
    assert db.load("Member", "77") is None


def test_deserialize_alias_change_removes_old_alias_key(db):
    m = Member(email="old@x")
    Member.deserialize({"_type": "Member", "_id": "1", "email": "new@x"})
    assert m.email == "new@x"
    assert db._db_storage.get("Member_alias@old@x") is None
    assert db._db_storage.get("Member_alias@new@x") == '"1"'
    assert Member["old@x"] is None
    assert Member["new@x"] is m


def test_deserialize_update_after_cold_load(db):
    Member(email="a@x", score=1)
    db.clear_registry()
    got = Member.deserialize({"_type": "Member", "_id": "1", "score": 2})
    assert got.score == 2
    assert got.email == "a@x"
    assert Member["1"] is got


def test_deserialize_keeps_relations_pending(db):
    Tag(label="t1"), Tag(label="t2")
    m = Member.deserialize({"_type": "Member", "_id": "1", "email": "a@x", "tags": ["1", "2"]})
    assert m._pending_relations == {"tags": ["1", "2"]}
    assert len(m.tags) == 0
    assert "tags" not in db.load("Member", "1")
    Entity.resolve_pending_relations()
    assert sorted(t.label for t in m.tags) == ["t1", "t2"]
    assert m._pending_relations == {}
    assert sorted(db.load("Member", "1")["tags"]) == ["1", "2"]


def test_update_path_also_records_pending_relations():
    Tag(label="t1")
    m = Member(email="a@x")
    Member.deserialize({"_type": "Member", "_id": "1", "tags": ["1"], "nick": "n"})
    assert m._pending_relations == {"tags": ["1"]}
    Entity.resolve_pending_relations()
    assert [t.label for t in m.tags] == ["t1"]


def test_round_trip_through_serialize_and_deserialize(db, family):
    p, c1, c2, c3 = family
    snapshot = [x.serialize() for x in (p, c1, c2, c3)]
    for x in (c3, c2, c1, p):
        x.delete()
    assert db.load("Parent", "1") is None
    for data in snapshot:
        Entity.deserialize(dict(data))
    Entity.resolve_pending_relations()
    p2 = Parent["1"]
    assert p2 is not p
    assert sorted(c.name for c in p2.children) == ["c1", "c3"]
    assert p2.favorite_child.name == "c1"
    assert Child["3"].parent is p2


def test_deserialize_update_rejected_by_hook_changes_nothing(db):
    class Guarded(Entity):
        n = Integer()

        @staticmethod
        def on_event(entity, field_name, old_value, new_value, action):
            return new_value != 13

    Guarded(n=1)
    before = db.raw_dump_json()
    with pytest.raises(ValueError, match="^Hook rejected change to n$"):
        Guarded.deserialize({"_type": "Guarded", "_id": "1", "n": 13})
    assert db.raw_dump_json() == before


def test_deserialize_of_timestamped_data_keeps_given_keys_as_plain_attributes(db):
    class Stamped(Entity, TimestampedMixin):
        title = String()

    with db.as_user("alice"):
        d = Stamped.deserialize({"_type": "Stamped", "title": "x", "timestamp_created": "2020-01-01 00:00:00.000",
                                 "owner": "zed", "creator": "zed"})
    stored = db.load("Stamped", "1")
    assert d._owner == "alice"
    assert d.__dict__["owner"] == "zed"
    assert (stored["owner"], stored["creator"], stored["updater"]) == ("zed", "zed", "alice")
    assert stored["timestamp_created"] == "2020-01-01 00:00:00.000"
    assert list(stored)[:5] == ["timestamp_created", "timestamp_updated", "creator", "updater", "owner"]
