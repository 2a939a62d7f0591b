"""The same behaviour whichever way the database is set up: the default store, a MemoryStorage,
the default store with auditing on, or a class with an `on_event` hook (these take different
code paths in codexvm, and must agree with 0.5.0 and with each other).

pytest style: every scenario is parametrized over the four setups.
"""
import json

import pytest

from kybra_simple_db import (
    Database,
    Entity,
    Integer,
    ManyToOne,
    MemoryStorage,
    OneToMany,
    String,
    TimestampedMixin,
)

MODES = ["default", "memory", "audited", "hooked"]
deviation = pytest.mark.deviation


def setup(mode, db):
    """Returns (db, Shelf, Book, Note) for `mode`."""
    if mode == "memory":
        Database._instance = None
        db = Database.init(db_storage=MemoryStorage())
    elif mode == "audited":
        storage = db._db_storage
        Database._instance = None
        db = Database.init(audit_enabled=True, db_storage=storage)

    class Shelf(Entity):
        __alias__ = "label"
        label = String(max_length=10)
        books = OneToMany("Book", "shelf")

    class Book(Entity):
        __alias__ = "title"
        title = String(min_length=1)
        pages = Integer(min_value=1, max_value=2000)
        shelf = ManyToOne("Shelf", "books")

    class Note(Entity, TimestampedMixin):
        text = String()

    if mode == "hooked":
        for cls in (Shelf, Book, Note):
            cls.on_event = staticmethod(lambda entity, field_name, old_value, new_value, action: True)
    return db, Shelf, Book, Note


@pytest.mark.parametrize("mode", MODES)
def test_create_set_and_storage_layout(db, mode):
    db, Shelf, Book, Note = setup(mode, db)
    b = Book(title="Dune", pages="412")
    Book(title="Emma")
    assert (b._id, b.pages, Book.count(), Book.max_id()) == ("1", 412, 2, 2)
    b.pages = 413
    assert db._db_storage.get("Book@1") == \
        '{"_type": "Book", "_id": "1", "title": "Dune", "pages": 413, "__version__": 1}'
    assert db._db_storage.get("Book_alias@Dune") == '"1"'
    assert db._db_storage.get("_system@Book_id") == '"2"'
    assert Book["Dune"] is b and Book[1] is b


@pytest.mark.parametrize("mode", MODES)
def test_errors_and_messages(db, mode):
    db, Shelf, Book, Note = setup(mode, db)
    b = Book(title="Dune", pages=10)
    before = db.raw_dump_json()
    with pytest.raises(TypeError, match="^pages must be of type int$"):
        b.pages = 1.5
    with pytest.raises(ValueError, match="^Invalid value for pages: 2001$"):
        b.pages = "2001"
    with pytest.raises(ValueError, match="^Invalid value for title: $"):
        b.title = ""
    with pytest.raises(ValueError, match="^Entity Book@1 already exists$"):
        Book(title="Other", _id="1")
    assert db.raw_dump_json() == before
    assert (b.title, b.pages) == ("Dune", 10)


@pytest.mark.parametrize("mode", MODES)
def test_relations_and_delete(db, mode):
    db, Shelf, Book, Note = setup(mode, db)
    s = Shelf(label="top")
    b1, b2 = Book(title="a"), Book(title="b", shelf="top")
    s.books.add(b1)
    assert [x.title for x in s.books] == ["b", "a"]
    assert db.load("Shelf", "1")["books"] == ["2", "1"]
    assert db.load("Book", "1")["shelf"] == "1"
    b2.delete()
    assert Book.count() == 1
    assert db.load("Book", "2") is None
    assert db._db_storage.get("Book_alias@b") is None
    assert db.load("Shelf", "1")["books"] == ["2", "1"]  # no cascade


@pytest.mark.parametrize("mode", MODES)
def test_ownership(db, mode):
    db, Shelf, Book, Note = setup(mode, db)
    with db.as_user("alice"):
        n = Note(text="mine")
    with db.as_user("bob"):
        with pytest.raises(PermissionError, match="^Only the owner can update this entity. Current owner: alice$"):
            n.text = "bob's"
    assert db.load("Note", "1")["text"] == "mine"
    assert db.load("Note", "1")["owner"] == "alice"


@deviation
@pytest.mark.parametrize("mode", MODES)
def test_deviations_hold(db, mode):
    db, Shelf, Book, Note = setup(mode, db)
    s = Shelf(label="top")
    Book(title="a", shelf=s)
    before = db.raw_dump_json()
    with pytest.raises(ValueError):
        Book(title="bad", pages=0)
    assert db.raw_dump_json() == before
    assert Book.count() == 1 and Book.max_id() == 1
    with db.as_user("alice"):
        n = Note(text="mine")
    with db.as_user("bob"):
        with pytest.raises(PermissionError):
            n.text = "bob's"
    assert n.text == "mine"
    before = db.raw_dump_json()
    db.clear_registry()
    s2 = Shelf["top"]
    assert s2 is not s
    assert [x.title for x in s2.books] == ["a"]
    assert Book["a"].shelf is s2
    with db.as_user("carol"):
        n2 = Note.load("1")
    assert n2._owner == "alice"
    assert db.raw_dump_json() == before
    Book["a"].shelf = None
    assert "books" not in db.load("Shelf", "1")


@pytest.mark.parametrize("mode", MODES)
def test_instances_and_load_some(db, mode):
    db, Shelf, Book, Note = setup(mode, db)
    for t in ["x", "y", "z"]:
        Book(title=t)
    Book["y"].delete()
    assert [b.title for b in Book.instances()] == ["x", "z"]
    assert [b.title for b in Book.load_some(1, 5)] == ["x", "z"]
    assert [b["title"] for b in json.loads(db.dump_json())["Book"].values()] == ["x", "z"]
