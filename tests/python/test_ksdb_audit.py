"""kybra_simple_db 0.5.0's audit log, entry for entry: what `Database.save/update/delete` and the
entity operations write to `_db_audit`, its `_min_id`/`_max_id` counters, `get_audit()` and
`clear()`, and which storages `Database` accepts.

pytest style, plain code only (no fixtures): the file also runs unchanged under CPython with the
real package (`cd tests/python && python -m pytest test_ksdb_audit.py`). Each test makes its
own audited database; the expected logs are those 0.5.0 writes. Cold loads are left out: 0.5.0
re-saves (and audits) an entity on every cold load, which codexvm deliberately does not
(docs/kybra_simple_db_deviations.md #3).
"""
import json
import time

import pytest

from kybra_simple_db import (
    Database,
    Entity,
    Integer,
    ManyToMany,
    ManyToOne,
    MemoryStorage,
    OneToMany,
    OneToOne,
    String,
    SystemTime,
    TimestampedMixin,
)


def audited():
    """A fresh database as 0.5.0's `get_instance()` makes it when there is none: audited, on
    MemoryStorage."""
    Database._instance = None
    return Database.get_instance()


def audited_on_current_storage():
    """An audited database on the storage of the database in place (codexvm's default store in
    the codexvm runner), emptied first."""
    storage = Database.get_instance()._db_storage
    for key in list(storage.keys()):
        storage.remove(key)
    Database._instance = None
    return Database.init(audit_enabled=True, db_storage=storage)


class FrozenClock:
    """Replaces `time.time()` (which the audit log reads; it ignores SystemTime) with a clock
    that advances a quarter second per call, so timestamps are exact."""

    def __init__(self, start=1_700_000_000.0):
        self.now = start - 0.25

    def __enter__(self):
        self.saved = time.time

        def tick():
            self.now += 0.25
            return self.now

        time.time = tick
        return self

    def __exit__(self, *exc):
        time.time = self.saved


def log(db):
    """The audit log as `[op, key, data]` lists in id order, after checking that every entry is
    `[op, int ms timestamp, key, data]` with a current, non-decreasing timestamp."""
    now = int(time.time() * 1000)
    out, last = [], 0
    for id in range(int(db._db_audit.get("_min_id")), int(db._db_audit.get("_max_id"))):
        raw = db._db_audit.get(str(id))
        if raw is None:
            continue
        op, ts, key, data = json.loads(raw)
        assert type(ts) is int, raw
        assert now - 600_000 <= ts <= now + 1000, raw
        assert ts >= last, raw
        last = ts
        out.append([op, key, data])
    return out


def masked(audit):
    """`get_audit()`'s result with the timestamps checked and replaced by 0."""
    for entry in audit.values():
        assert len(entry) == 4 and type(entry[1]) is int
    return {k: [v[0], 0, v[2], v[3]] for k, v in audit.items()}


class LenStorage(MemoryStorage):
    """A storage that is falsy while empty (0.5.0 tests storages with `if storage:`)."""

    def __len__(self):
        return len(self._data)


# -- the database and its audit store ---------------------------------------------------------

def test_get_instance_without_instance_creates_an_audited_memory_database():
    db = audited()
    assert Database.get_instance() is db
    assert db._audit_enabled is True
    assert type(db._db_audit) is MemoryStorage and type(db._db_storage) is MemoryStorage
    assert list(db._db_audit.items()) == [("_min_id", "0"), ("_max_id", "0")]
    assert db.get_audit() == {}
    with pytest.raises(RuntimeError, match="^Database instance already exists$"):
        Database.init(audit_enabled=True)


def test_init_audits_only_when_asked():
    Database._instance = None
    db = Database.init()
    assert db._audit_enabled is False and db._db_audit is None
    db.save("P", "1", {"a": 1})
    assert db.get_audit() == {}
    Database._instance = None
    given = MemoryStorage()
    db = Database.init(audit_enabled=False, db_audit=given)
    assert db._db_audit is None
    assert list(given.items()) == []
    # a Database made directly is not the instance, and audits only if asked
    Database._instance = None
    assert Database()._db_audit is None and Database._instance is None
    assert list(Database(True)._db_audit.items()) == [("_min_id", "0"), ("_max_id", "0")]
    assert Database._audit_enabled is False


def test_given_audit_store_is_used_and_its_counters_reset():
    given = MemoryStorage()
    given.insert("0", '["save", 1, "old@1", {}]')
    given.insert("_max_id", "5")
    given.insert("3", '["save", 3, "old@3", {}]')
    Database._instance = None
    db = Database.init(audit_enabled=True, db_audit=given)
    assert db._db_audit is given
    # counters written again (in place, or appended if missing); old entries stay
    assert list(given.items()) == [("0", '["save", 1, "old@1", {}]'), ("_max_id", "0"),
                                   ("3", '["save", 3, "old@3", {}]'), ("_min_id", "0")]
    assert db.get_audit() == {}
    assert db.get_audit(0, 5) == {"0": ["save", 1, "old@1", {}], "3": ["save", 3, "old@3", {}]}
    db.save("A", "1", {"x": 1})
    assert given.get("_max_id") == "1"
    assert json.loads(given.get("0"))[2:] == ["A@1", {"x": 1}]  # overwritten
    assert given.get("3") == '["save", 3, "old@3", {}]'


def test_empty_memory_storage_is_truthy_and_used():
    audit, main = MemoryStorage(), MemoryStorage()
    Database._instance = None
    db = Database.init(audit_enabled=True, db_storage=main, db_audit=audit)
    assert db._db_audit is audit and db._db_storage is main
    assert bool(MemoryStorage()) is True


def test_falsy_empty_storages_are_replaced_by_memory_storages():
    # 0.5.0 takes a given storage only if it is truthy: an empty storage that defines __len__
    # is replaced by a new MemoryStorage (and left untouched), a non-empty one is used.
    audit, main = LenStorage(), LenStorage()
    Database._instance = None
    db = Database.init(audit_enabled=True, db_storage=main, db_audit=audit)
    assert db._db_audit is not audit and type(db._db_audit) is MemoryStorage
    assert db._db_storage is not main and type(db._db_storage) is MemoryStorage
    assert len(audit) == 0 and len(main) == 0
    db.save("A", "1", {})
    assert len(main) == 0 and db.load("A", "1") == {}
    audit.insert("x", "y")
    main.insert("k", '"v"')
    Database._instance = None
    db = Database.init(audit_enabled=True, db_storage=main, db_audit=audit)
    assert db._db_audit is audit and db._db_storage is main
    assert list(audit.items()) == [("x", "y"), ("_min_id", "0"), ("_max_id", "0")]
    assert db.get_all() == {"k": "v"}


# -- the raw Database API -----------------------------------------------------------------------

def test_raw_api_log_bytes_with_a_frozen_clock():
    db = audited()
    with FrozenClock():
        db.save("Person", "1", {"name": "Al\u00e9", "tags": ["a"], "score": 1.5})
        db.save("Person", 2, {"name": "Bob"})
        db.update("Person", "1", "score", 2.0)
        db.update("Person", "9", "score", 2.0)  # missing: nothing at all
        db.delete("Person", "2")
    assert list(db._db_audit.items()) == [
        ("_min_id", "0"),
        ("_max_id", "5"),
        ("0", '["save", 1700000000000, "Person@1", {"name": "Al\\u00e9", "tags": ["a"], "score": 1.5}]'),
        ("1", '["save", 1700000000250, "Person@2", {"name": "Bob"}]'),
        ("2", '["save", 1700000000500, "Person@1", {"name": "Al\\u00e9", "tags": ["a"], "score": 2.0}]'),
        ("3", '["update", 1700000000750, "Person@1", {"name": "Al\\u00e9", "tags": ["a"], "score": 2.0}]'),
        ("4", '["delete", 1700000001000, "Person@2", "{\\"name\\": \\"Bob\\"}"]'),
    ]
    assert db.get_audit()["4"] == ["delete", 1700000001000, "Person@2", '{"name": "Bob"}']


def test_delete_of_a_missing_key_raises_before_auditing():
    db = audited()
    with pytest.raises(KeyError):
        db.delete("Person", "1")
    assert db.get_audit() == {} and db._db_audit.get("_max_id") == "0"


def test_audit_timestamps_are_wall_clock_ms_and_ignore_system_time():
    db = audited()
    clock = SystemTime.get_instance()
    before = int(time.time() * 1000)
    clock.set_time(5)
    try:
        db.save("P", "1", {})
    finally:
        clock.clear_time()
    after = int(time.time() * 1000)
    ts = db.get_audit()["0"][1]
    assert type(ts) is int and before <= ts <= after


def test_get_audit_ranges():
    db = audited()
    for i in range(6):
        db.save("P", str(i), {"i": i})
    every = {str(i): ["save", 0, f"P@{i}", {"i": i}] for i in range(6)}
    assert masked(db.get_audit()) == every
    assert list(db.get_audit()) == ["0", "1", "2", "3", "4", "5"]
    assert masked(db.get_audit(2, 4)) == {k: every[k] for k in ("2", "3")}
    assert masked(db.get_audit(None, 2)) == {k: every[k] for k in ("0", "1")}
    assert masked(db.get_audit(4)) == {k: every[k] for k in ("4", "5")}
    assert masked(db.get_audit(0, 0)) == every  # 0 means "the default", as in 0.5.0
    assert db.get_audit(7) == {} and db.get_audit(3, 2) == {}
    assert masked(db.get_audit(3, 99)) == {k: every[k] for k in ("3", "4", "5")}
    # missing (or empty) entries are skipped; _min_id moves the default start
    db._db_audit.remove("1")
    db._db_audit.insert("2", "")
    assert list(db.get_audit()) == ["0", "3", "4", "5"]
    db._db_audit.insert("_min_id", "4")
    assert list(db.get_audit()) == ["4", "5"]
    assert list(db.get_audit(0)) == ["4", "5"]


def test_new_entries_follow_max_id():
    db = audited()
    db._db_audit.insert("_max_id", "7")
    db.save("P", "1", {})
    assert db._db_audit.get("_max_id") == "8" and db._db_audit.get("0") is None
    # _min_id is still 0: ids 0..6 are absent and skipped
    assert masked(db.get_audit()) == masked(db.get_audit(7)) == {"7": ["save", 0, "P@1", {}]}


def test_audit_can_be_switched_off_and_on():
    db = audited()
    db.save("P", "1", {})
    db._audit_enabled = False
    db.save("P", "2", {"a": 0})
    db.delete("P", "1")
    assert db._db_audit.get("_max_id") == "1"
    db._audit_enabled = True
    db.update("P", "2", "a", 1)
    assert log(db) == [["save", "P@1", {}], ["save", "P@2", {"a": 1}], ["update", "P@2", {"a": 1}]]
    assert list(db.get_audit()) == ["0", "1", "2"]


def test_update_of_an_empty_record_does_nothing():
    # `update` loads the record and goes on only if it is truthy: `{}` is not.
    db = audited()
    db.save("P", "1", {})
    db.update("P", "1", "a", 1)
    assert db.load("P", "1") == {}
    assert log(db) == [["save", "P@1", {}]]


def test_clear_empties_both_stores_and_resets_the_counters():
    db = audited()
    db.save("P", "1", {})
    db.save("P", "2", {})
    db._db_audit.insert("extra", "x")
    db.clear()
    assert db.get_all() == {}
    assert list(db._db_audit.items()) == [("_min_id", "0"), ("_max_id", "0")]
    assert db.get_audit() == {}
    db.save("P", "3", {})
    assert list(db.get_audit()) == ["0"]
    Database._instance = None
    plain = Database.init()
    plain.save("P", "1", {})
    plain.clear()
    assert plain._db_audit is None and plain.get_all() == {}


# -- what entities write ----------------------------------------------------------------------

def test_entity_lifecycle_log():
    db = audited()

    class P(Entity):
        __alias__ = "name"
        name = String()
        age = Integer()

    p = P(name="a", age=1)
    p.age = 2
    q = P(name="b", _id="7")
    P()
    q.delete()
    row = lambda id, name, age: {"_type": "P", "_id": id, "name": name, "age": age, "__version__": 1}
    assert log(db) == [
        ["save", "_system@P_id", "1"],
        ["save", "_system@P_count", "1"],
        ["save", "P@1", row("1", "a", 1)],
        ["save", "P_alias@a", "1"],
        ["save", "P@1", row("1", "a", 2)],
        ["save", "P_alias@a", "1"],
        ["save", "_system@P_id", "7"],
        ["save", "_system@P_count", "2"],
        ["save", "P@7", row("7", "b", None)],
        ["save", "P_alias@b", "7"],
        ["save", "_system@P_id", "8"],
        ["save", "_system@P_count", "3"],
        ["save", "P@8", row("8", None, None)],
        ["delete", "P@7", json.dumps(row("7", "b", None))],
        ["save", "_system@P_count", "2"],
        ["delete", "P_alias@b", '"7"'],
    ]
    assert db._db_audit.get("_max_id") == "16"
    assert list(db.get_audit()) == [str(i) for i in range(16)]


def test_entity_log_bytes_with_a_frozen_clock():
    db = audited()

    class State(Entity):
        __namespace__ = "task_x"
        __alias__ = "key"
        key = String()
        value = String()

    with FrozenClock():
        s = State(key="a", value="1")
        s.value = "2"
    rec = '{"_type": "task_x::State", "_id": "1", "key": "a", "value": "%s", "__version__": 1}'
    assert list(db._db_audit.items()) == [
        ("_min_id", "0"),
        ("_max_id", "6"),
        ("0", '["save", 1700000000000, "_system@task_x::State_id", "1"]'),
        ("1", '["save", 1700000000250, "_system@task_x::State_count", "1"]'),
        ("2", '["save", 1700000000500, "task_x::State@1", ' + rec % "1" + "]"),
        ("3", '["save", 1700000000750, "task_x::State_alias@a", "1"]'),
        ("4", '["save", 1700000001000, "task_x::State@1", ' + rec % "2" + "]"),
        ("5", '["save", 1700000001250, "task_x::State_alias@a", "1"]'),
    ]


def test_custom_ids_and_the_id_counter_entries():
    db = audited()

    class T(Entity):
        name = String()

    T(name="x", _id="3")     # above the (missing) max: counter written
    T(name="x", _id="2")     # below: not written
    T(name="x", _id="abc")   # not numeric: not written
    T(name="x", _id="03")    # equal as an int: not written
    T(name="x")              # next id 4
    T(name="x", _id="10")
    assert [(e[0], e[1], e[2]) for e in log(db) if e[1].startswith("_system")] == [
        ("save", "_system@T_id", "3"),
        ("save", "_system@T_count", "1"),
        ("save", "_system@T_count", "2"),
        ("save", "_system@T_count", "3"),
        ("save", "_system@T_count", "4"),
        ("save", "_system@T_id", "4"),
        ("save", "_system@T_count", "5"),
        ("save", "_system@T_id", "10"),
        ("save", "_system@T_count", "6"),
    ]
    assert [e[1] for e in log(db) if not e[1].startswith("_system")] == \
        ["T@3", "T@2", "T@abc", "T@03", "T@4", "T@10"]


def test_entity_without_properties_and_plain_attributes():
    db = audited()

    class Bag(Entity):
        pass

    b = Bag(color="red")
    b.size = 3  # a plain attribute: no write
    b._save()
    assert log(db) == [
        ["save", "_system@Bag_id", "1"],
        ["save", "_system@Bag_count", "1"],
        ["save", "Bag@1", {"_type": "Bag", "_id": "1", "color": "red", "__version__": 1}],
        ["save", "Bag@1", {"_type": "Bag", "_id": "1", "color": "red", "size": 3, "__version__": 1}],
    ]


def test_relations_log_both_ends():
    db = audited()

    class Shelf(Entity):
        __alias__ = "label"
        label = String()
        books = OneToMany("Book", "shelf")

    class Book(Entity):
        title = String()
        shelf = ManyToOne("Shelf", "books")

    s = Shelf(label="A")
    b = Book(title="Dune", shelf=s)
    start = len(log(db))
    c = Book(title="Emma")
    s.books.add(c)
    s.books.remove(b)
    shelf = lambda books: {"_type": "Shelf", "_id": "1", "label": "A", **({"books": books} if books else {}),
                           "__version__": 1}
    book = lambda id, title, shelf: {"_type": "Book", "_id": id, "title": title,
                                     **({"shelf": shelf} if shelf else {}), "__version__": 1}
    assert log(db)[4:start] == [
        ["save", "_system@Book_id", "1"],
        ["save", "_system@Book_count", "1"],
        ["save", "Shelf@1", shelf(["1"])],
        ["save", "Shelf_alias@A", "1"],
        ["save", "Book@1", book("1", "Dune", "1")],
    ]
    assert log(db)[start:] == [
        ["save", "_system@Book_id", "2"],
        ["save", "_system@Book_count", "2"],
        ["save", "Book@2", book("2", "Emma", None)],
        ["save", "Shelf@1", shelf(["1", "2"])],
        ["save", "Shelf_alias@A", "1"],
        ["save", "Book@2", book("2", "Emma", "1")],
        ["save", "Shelf@1", shelf(["2"])],
        ["save", "Shelf_alias@A", "1"],
        ["save", "Book@1", book("1", "Dune", None)],
    ]


def test_one_to_one_and_many_to_many_log():
    db = audited()

    class Person(Entity):
        name = String()
        profile = OneToOne("Profile", "person")

    class Profile(Entity):
        bio = String()
        person = OneToOne("Person", "profile")

    class Student(Entity):
        name = String()
        courses = ManyToMany("Course", "students")

    class Course(Entity):
        title = String()
        students = ManyToMany("Student", "courses")

    p = Person(name="p")
    p.profile = Profile(bio="b")
    s = Student(name="s")
    s.courses = [Course(title="m")]
    keys = [(e[0], e[1]) for e in log(db)]
    assert keys == [
        ("save", "_system@Person_id"), ("save", "_system@Person_count"), ("save", "Person@1"),
        ("save", "_system@Profile_id"), ("save", "_system@Profile_count"), ("save", "Profile@1"),
        ("save", "Person@1"), ("save", "Profile@1"),
        ("save", "_system@Student_id"), ("save", "_system@Student_count"), ("save", "Student@1"),
        ("save", "_system@Course_id"), ("save", "_system@Course_count"), ("save", "Course@1"),
        ("save", "Student@1"), ("save", "Course@1"),
    ]
    entries = log(db)
    assert entries[6][2] == {"_type": "Person", "_id": "1", "name": "p", "profile": "1", "__version__": 1}
    assert entries[15][2] == {"_type": "Course", "_id": "1", "title": "m", "students": ["1"], "__version__": 1}


def test_timestamped_entity_log():
    db = audited()
    clock = SystemTime.get_instance()
    clock.set_time(1_700_000_000_000)

    class Note(Entity, TimestampedMixin):
        text = String()

    try:
        with db.as_user("alice"):
            n = Note(text="t")
            clock.advance_time(1000)
            n.text = "u"
    finally:
        clock.clear_time()
    saved = [e[2] for e in log(db) if e[1] == "Note@1"]
    assert len(saved) == 2
    first, second = saved
    assert list(first) == ["timestamp_created", "timestamp_updated", "creator", "updater", "owner",
                           "_type", "_id", "text", "__version__"]
    assert first["creator"] == first["owner"] == first["updater"] == "alice"
    assert first["timestamp_created"] == first["timestamp_updated"] == second["timestamp_created"]
    assert second["timestamp_updated"] != second["timestamp_created"]
    assert second["text"] == "u"


def test_deserialize_log_renaming_the_alias():
    db = audited()

    class Tag(Entity):
        __alias__ = "name"
        name = String()
        weight = Integer()

    Tag(name="a", weight=1)
    start = len(log(db))
    Tag.deserialize({"_type": "Tag", "_id": "1", "name": "b", "weight": 2})
    Tag.deserialize({"_type": "Tag", "_id": "5", "name": "c"})
    rec = lambda id, name, weight: {"_type": "Tag", "_id": id, "name": name, "weight": weight, "__version__": 1}
    assert log(db)[start:] == [
        ["delete", "Tag_alias@a", '"1"'],
        ["save", "Tag@1", rec("1", "b", 2)],
        ["save", "Tag_alias@b", "1"],
        ["save", "_system@Tag_id", "5"],
        ["save", "_system@Tag_count", "2"],
        ["save", "Tag@5", rec("5", "c", None)],
        ["save", "Tag_alias@c", "5"],
    ]


def test_warm_loads_write_no_audit_entries():
    db = audited()

    class K(Entity):
        __alias__ = "name"
        name = String()

    k = K(name="a")
    n = len(log(db))
    assert K.load("1") is k and K["a"] is k and K[1] is k
    assert K.count() == 1 and K.max_id() == 1
    assert len(log(db)) == n


def test_audit_on_the_storage_in_place():
    # In codexvm's runner the storage in place is the default store (served natively).
    db = audited_on_current_storage()

    class Item(Entity):
        __alias__ = "sku"
        sku = String()
        qty = Integer()

    i = Item(sku="x1", qty=1)
    i.qty = 2
    Item(sku="x2").delete()
    db.update("Item", "1", "qty", 5)
    rec = lambda id, sku, qty: {"_type": "Item", "_id": id, "sku": sku, "qty": qty, "__version__": 1}
    assert log(db) == [
        ["save", "_system@Item_id", "1"],
        ["save", "_system@Item_count", "1"],
        ["save", "Item@1", rec("1", "x1", 1)],
        ["save", "Item_alias@x1", "1"],
        ["save", "Item@1", rec("1", "x1", 2)],
        ["save", "Item_alias@x1", "1"],
        ["save", "_system@Item_id", "2"],
        ["save", "_system@Item_count", "2"],
        ["save", "Item@2", rec("2", "x2", None)],
        ["save", "Item_alias@x2", "2"],
        ["delete", "Item@2", json.dumps(rec("2", "x2", None))],
        ["save", "_system@Item_count", "1"],
        ["delete", "Item_alias@x2", '"2"'],
        ["save", "Item@1", rec("1", "x1", 5)],
        ["update", "Item@1", rec("1", "x1", 5)],
    ]
    assert db._db_storage.get("Item@1") == json.dumps(rec("1", "x1", 5))
