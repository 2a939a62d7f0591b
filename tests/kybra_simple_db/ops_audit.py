"""The audit log (`_db_audit`), entry for entry: an audited database on the store in place
(compared key by key), and one made by `get_instance()` on MemoryStorage. Timestamps are
masked (`<ms>`) after checking they are integers in ms; everything else is printed raw."""
from kybra_simple_db import *

storage = Database.get_instance()._db_storage
Database._instance = None
db = Database.init(audit_enabled=True, db_storage=storage)


def show(audit):
    for key, raw in audit.items():
        if key.startswith("_"):
            print(key, raw)
            continue
        op, ts, rest = raw.split(", ", 2)
        assert ts.isdigit() and int(ts) > 1_600_000_000_000, raw
        print(key, op + ", <ms>, " + rest)


def masked(entries):
    return {k: [v[0], "<ms>"] + v[2:] for k, v in entries.items()}


class Shelf(Entity):
    __namespace__ = "lib"
    __alias__ = "label"
    label = String()
    books = OneToMany("lib::Book", "shelf")


class Book(Entity):
    __namespace__ = "lib"
    __alias__ = "title"
    title = String()
    pages = Integer()
    shelf = ManyToOne("lib::Shelf", "books")


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


class Note(Entity, TimestampedMixin):
    text = String()


s = Shelf(label="A")
b = Book(title="Dune", pages="412", shelf=s)
b.pages = 413
e = Book(title="Emma")
s.books.add(e)
s.books.remove(b)
Book(title="Ulysses", _id="9")
Book(title="Odyssey", _id="4")
Book(title="Iliad").delete()
p = Person(name="p")
p.profile = Profile(bio="b")
st = Student(name="st")
st.courses = [Course(title="m")]
st.courses.add(Course(title="x"))
SystemTime.get_instance().set_time(1742316676123)
with db.as_user("alice"):
    n = Note(text="t")
    SystemTime.get_instance().advance_time(1500)
    n.text = "u"
SystemTime.get_instance().clear_time()
Book.deserialize({"_type": "lib::Book", "_id": "2", "title": "Emma II", "pages": 3})
Book.deserialize({"_type": "lib::Book", "_id": "20", "title": "Beowulf"})
db.save("Raw", "1", {"text": "caf\u00e9", "n": [1, 2.5, None, True]})
db.update("Raw", "1", "n", 0)
db.update("Raw", "2", "n", 0)
db.save("Raw", "3", {})
db.update("Raw", "3", "n", 0)
db.delete("Raw", "3")
print(Book.count(), Book.max_id(), Book["Emma II"]._id, [x.title for x in s.books])
show(db._db_audit)
print(masked(db.get_audit(3, 7)))
print(masked(db.get_audit(None, 2)), masked(db.get_audit(int(db._db_audit.get("_max_id")) - 2)))
db._audit_enabled = False
db.save("Raw", "4", {"quiet": 1})
db._audit_enabled = True
print(db._db_audit.get("_max_id"), db._db_audit.get(db._db_audit.get("_max_id")))

# get_instance() with no instance: an audited database on MemoryStorage
Database._instance = None
mem = Database.get_instance()
print(type(mem._db_storage).__name__, type(mem._db_audit).__name__, mem._audit_enabled, list(mem._db_audit.items()))
Book(title="Memo", pages=1)
mem.delete("lib::Book_alias", "Memo")
print(list(mem._db_storage.items()))
show(mem._db_audit)
mem.clear()
print(list(mem._db_storage.items()), list(mem._db_audit.items()), mem.get_audit())

# the database in place again
Database._instance = db
print(Book.count(), Book["Memo"])
