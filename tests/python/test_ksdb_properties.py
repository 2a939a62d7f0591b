"""kybra_simple_db 0.5.0: typed properties, coercion, validation, defaults and exact messages.

pytest style (parametrized).
"""
import pytest

from kybra_simple_db import Boolean, Entity, Float, Integer, String
from kybra_simple_db.properties import Property


class Plain(Entity):
    s = String()
    i = Integer()
    fl = Float()
    b = Boolean()


class Bounded(Entity):
    s = String(min_length=2, max_length=5)
    i = Integer(min_value=0, max_value=10)
    fl = Float(min_value=0.0, max_value=1.5)


class Defaults(Entity):
    title = String(default="untitled")
    n = Integer(default=7)
    ratio = Float(default=0.5)
    on = Boolean(default=False)


class Scored(Entity):
    score = Property("score", int, default=5, validator=lambda v: v % 5 == 0)


@pytest.fixture
def plain():
    return Plain()


@pytest.fixture
def bounded():
    return Bounded()


@pytest.mark.parametrize("field,value,expected", [
    ("s", "text", "text"),
    ("s", "", ""),
    ("i", 25, 25),
    ("i", "25", 25),
    ("i", "-3", -3),
    ("i", True, True),
    ("fl", 2.5, 2.5),
    ("fl", "1.8", 1.8),
    ("fl", "3", 3.0),
    ("b", True, True),
    ("b", False, False),
    ("b", "true", True),
    ("b", "TRUE", True),
    ("b", "1", True),
    ("b", "yes", True),
    ("b", "On", True),
    ("b", "no", False),
    ("b", "false", False),
    ("b", "0", False),
    ("b", "whatever", False),
    ("b", "", False),
])
def test_accepted_values_and_coercion(db, plain, field, value, expected):
    setattr(plain, field, value)
    got = getattr(plain, field)
    assert got == expected
    assert type(got) is type(expected)
    assert db.load("Plain", "1")[field] == expected


@pytest.mark.parametrize("field,value,typename", [
    ("s", 5, "str"),
    ("s", 1.5, "str"),
    ("s", ["a"], "str"),
    ("i", 3.5, "int"),
    ("i", "3.5", "int"),
    ("i", "abc", "int"),
    ("i", [1], "int"),
    ("fl", 3, "float"),
    ("fl", "abc", "float"),
    ("fl", True, "float"),
    ("b", 1, "bool"),
    ("b", 0, "bool"),
    ("b", 1.0, "bool"),
])
def test_type_errors_have_exact_message(db, plain, field, value, typename):
    plain.s = "keep"
    before = db.raw_dump_json()
    with pytest.raises(TypeError) as exc:
        setattr(plain, field, value)
    assert str(exc.value) == f"{field} must be of type {typename}"
    assert db.raw_dump_json() == before
    assert plain.s == "keep"


@pytest.mark.parametrize("field,value", [
    ("s", "ab"), ("s", "abcde"), ("i", 0), ("i", 10), ("i", "10"), ("fl", 0.0), ("fl", 1.5),
])
def test_bounds_are_inclusive(bounded, field, value):
    setattr(bounded, field, value)


@pytest.mark.parametrize("field,value,shown", [
    ("s", "a", "a"),
    ("s", "abcdef", "abcdef"),
    ("i", -1, "-1"),
    ("i", 11, "11"),
    ("i", "11", "11"),
    ("fl", 1.6, "1.6"),
    ("fl", -0.5, "-0.5"),
])
def test_validation_errors_have_exact_message(db, bounded, field, value, shown):
    with pytest.raises(ValueError) as exc:
        setattr(bounded, field, value)
    assert str(exc.value) == f"Invalid value for {field}: {shown}"
    assert db.load("Bounded", "1")[field] is None


def test_none_is_always_accepted_without_validation(db, bounded):
    bounded.s = "abc"
    bounded.s = None
    assert bounded.s is None
    assert db.load("Bounded", "1")["s"] is None


def test_validation_error_at_construction():
    with pytest.raises(ValueError, match="Invalid value for i: 99"):
        Bounded(i=99)


def test_type_error_at_construction():
    with pytest.raises(TypeError, match="s must be of type str"):
        Plain(s=5)


def test_integer_accepts_bool_and_stores_json_true(db, plain):
    plain.i = True
    assert '"i": true' in db._db_storage.get("Plain@1")


def test_float_json_formatting(db, plain):
    plain.fl = 1.0
    assert '"fl": 1.0' in db._db_storage.get("Plain@1")
    plain.fl = 1e20
    assert '"fl": 1e+20' in db._db_storage.get("Plain@1")


def test_defaults_are_read_and_stored_but_not_in_dict(db):
    d = Defaults()
    assert (d.title, d.n, d.ratio, d.on) == ("untitled", 7, 0.5, False)
    assert not any(k.startswith("_prop_") for k in d.__dict__)
    assert db.load("Defaults", "1") == {
        "_type": "Defaults", "_id": "1", "title": "untitled", "n": 7, "ratio": 0.5, "on": False, "__version__": 1,
    }


def test_setting_none_overrides_default():
    d = Defaults()
    d.title = None
    assert d.title is None
    assert d.__dict__["_prop_title"] is None


def test_class_access_returns_descriptor():
    assert isinstance(Plain.s, String)
    assert isinstance(Plain.s, Property)
    assert Plain.s.name == "s"
    assert Plain.i.type is int
    assert Plain.fl.type is float
    assert Plain.b.type is bool
    assert Defaults.title.default == "untitled"


def test_raw_property_with_custom_validator(db):
    s = Scored()
    assert s.score == 5
    s.score = "10"
    assert s.score == 10
    with pytest.raises(ValueError, match="^Invalid value for score: 7$"):
        s.score = 7
    assert db.load("Scored", "1")["score"] == 10


def test_property_added_to_class_after_first_use(db):
    class Late(Entity):
        name = String()

    Late(name="a")
    prop = Integer(max_value=5)
    prop.__set_name__(Late, "n")
    Late.n = prop
    v = Late(name="b", n=3)
    assert db.load("Late", "2")["n"] == 3
    with pytest.raises(ValueError, match="^Invalid value for n: 9$"):
        v.n = 9
    v.n = 4
    assert db.load("Late", "2")["n"] == 4


class Twin(Entity):
    # One property object under two names: `__set_name__` runs twice and the last name wins,
    # so both attributes read and write the same stored field.
    a = b = String()


def test_one_property_object_under_two_names_is_one_field(db):
    t = Twin(a="x")
    t.b = "y"
    assert (t.a, t.b) == ("y", "y")
    db.clear_registry()
    loaded = Twin["1"]
    assert (loaded.a, loaded.b) == ("y", "y")
    assert loaded.serialize()["b"] == "y"
