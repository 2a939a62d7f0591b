"""kybra_simple_db 0.5.0: namespaces, full type names, type registration and `_entity_types`.

pytest style.
"""
import json

import pytest

from kybra_simple_db import Database, Entity, ManyToMany, ManyToOne, OneToMany, String


class AppUser(Entity):
    __namespace__ = "app"
    name = String()


class NamespacedPerson(Entity):
    __namespace__ = "people"
    __alias__ = "name"
    name = String()


class BlogUser(Entity):
    __namespace__ = "app"
    __alias__ = "handle"
    handle = String()
    posts = OneToMany("blog::Post", "author")


class Post(Entity):
    __namespace__ = "blog"
    title = String()
    author = ManyToOne("app::BlogUser", "posts")


class Student(Entity):
    name = String()
    courses = ManyToMany("school::Course", "students")


class Course(Entity):
    __namespace__ = "school"
    title = String()
    students = ManyToMany("Student", "courses")


class Product(Entity):
    __namespace__ = "store"
    name = String()


def make_account(namespace):
    class Account(Entity):
        __namespace__ = namespace
        owner = String()
    return Account


def test_full_type_name_and_type(db):
    u = AppUser(name="a")
    assert AppUser.get_full_type_name() == "app::AppUser"
    assert u._type == "app::AppUser"
    assert Student.get_full_type_name() == "Student"


def test_storage_keys_use_full_type_name(db):
    AppUser(name="a")
    assert json.loads(db.raw_dump_json()) == {
        "_system@app::AppUser_id": '"1"',
        "_system@app::AppUser_count": '"1"',
        "app::AppUser@1": '{"_type": "app::AppUser", "_id": "1", "name": "a", "__version__": 1}',
    }


def test_alias_key_includes_namespace(db):
    p = NamespacedPerson(name="bob")
    assert NamespacedPerson._alias_key() == "people::NamespacedPerson_alias"
    assert db._db_storage.get("people::NamespacedPerson_alias@bob") == '"1"'
    assert NamespacedPerson["bob"] is p
    assert NamespacedPerson["1"] is p


def test_same_class_name_in_two_namespaces_has_separate_counters(db):
    A = make_account("bank_a")
    B = make_account("bank_b")
    A(owner="x"), A(owner="y")
    b = B(owner="z")
    assert b._id == "1"
    assert (A.count(), B.count(), A.max_id(), B.max_id()) == (2, 1, 2, 1)
    assert A["1"].owner == "x"
    assert B["1"].owner == "z"
    assert A["1"]._type == "bank_a::Account"


def test_registration_by_full_and_bare_name(db):
    assert "store::Product" not in db._entity_types
    Product(name="p")
    assert db._entity_types["store::Product"] is Product
    assert db._entity_types["Product"] is Product


def test_bare_name_slot_keeps_first_registration(db):
    A = make_account("bank_a")
    B = make_account("bank_b")
    A(owner="x")
    B(owner="y")
    assert db._entity_types["bank_a::Account"] is A
    assert db._entity_types["bank_b::Account"] is B
    assert db._entity_types["Account"] is A


def test_non_namespaced_class_takes_its_bare_name(db):
    A = make_account("bank_a")
    Plain = make_account(None)
    A(owner="x")
    Plain(owner="y")
    assert db._entity_types["Account"] is Plain


def test_instances_registers_the_class(db):
    assert "store::Product" not in db._entity_types
    assert Product.instances() == []
    assert db._entity_types["store::Product"] is Product


def test_register_entity_type_explicitly(db):
    db.register_entity_type(Student)
    assert db._entity_types["Student"] is Student
    db.register_entity_type(Course, "school::Course")
    assert db._entity_types["school::Course"] is Course
    assert db._entity_types["Course"] is Course
    db.register_entity_type(Product)
    assert db._entity_types["Product"] is Product
    assert "store::Product" not in db._entity_types


def test_is_subclass_and_extract_class_name(db):
    Product(name="p")
    assert db._extract_class_name("store::Product") == "Product"
    assert db._extract_class_name("Product") == "Product"
    assert db.is_subclass("store::Product", Entity)
    assert db.is_subclass("other::Product", Product)
    assert not db.is_subclass("Unknown", Entity)


def test_relations_to_namespaced_targets(db):
    u = BlogUser(handle="ann")
    p1, p2 = Post(title="one"), Post(title="two")
    p1.author = u
    p2.author = "ann"
    assert [p.title for p in u.posts] == ["one", "two"]
    assert db.load("blog::Post", "2")["author"] == "1"
    assert db.load("app::BlogUser", "1")["posts"] == ["1", "2"]


def test_relations_across_namespaces_many_to_many(db):
    s = Student(name="sam")
    c = Course(title="math")
    s.courses = [c]
    assert [x.name for x in c.students] == ["sam"]
    assert db.load("school::Course", "1")["students"] == ["1"]
    assert db.load("Student", "1")["courses"] == ["1"]


def test_deserialize_round_trip_namespaced(db):
    p = Product(name="widget")
    data = p.serialize()
    assert data == {"_type": "store::Product", "_id": "1", "name": "widget"}
    data = dict(data, _id="7", name="gadget")
    q = Entity.deserialize(data)
    assert isinstance(q, Product)
    assert (q._id, q.name, q._type) == ("7", "gadget", "store::Product")
    assert db.load("store::Product", "7")["name"] == "gadget"


def test_deserialize_accepts_bare_class_name(db):
    Product(name="widget")
    q = Product.deserialize({"_type": "Product", "_id": "1", "name": "renamed"})
    assert q.name == "renamed"
    r = Entity.deserialize({"_type": "Product", "_id": "2", "name": "new"})
    assert isinstance(r, Product) and r._type == "store::Product"


def test_deserialize_namespace_mismatch(db):
    with pytest.raises(ValueError) as exc:
        Product.deserialize({"_type": "other::Product", "name": "x"})
    assert str(exc.value) == "Entity type mismatch: expected store::Product or Product, got other::Product"


def test_dump_json_groups_by_full_type(db):
    Product(name="p")
    NamespacedPerson(name="n")
    dumped = json.loads(db.dump_json())
    assert sorted(dumped) == ["people::NamespacedPerson", "people::NamespacedPerson_alias", "store::Product"]
    assert dumped["people::NamespacedPerson_alias"] == {"n": "1"}


def test_namespaced_instances(db):
    A = make_account("bank_a")
    B = make_account("bank_b")
    a1, a2 = A(owner="x"), A(owner="y")
    B(owner="z")
    assert A.instances() == [a1, a2]
    assert [x.owner for x in B.instances()] == ["z"]


def test_reinit_on_the_same_storage_like_an_upgrade(db):
    NamespacedPerson(name="Alice")
    before = db.raw_dump_json()
    storage = db._db_storage
    Database._instance = None
    db2 = Database.init(db_storage=storage)
    assert db2.raw_dump_json() == before
    assert len(NamespacedPerson.instances()) == 1
    bob = NamespacedPerson(name="Bob")
    assert bob._id == "2"
    assert NamespacedPerson["1"].name == "Alice"
    assert NamespacedPerson["2"].name == "Bob"
    assert NamespacedPerson["Alice"]._id == "1"
