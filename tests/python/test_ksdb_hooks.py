"""kybra_simple_db 0.5.0: `on_event` hooks (create/modify/delete, veto, value rewrite).

pytest style with an autouse fixture, like the 0.5.0 hook tests.
"""
import pytest

from kybra_simple_db import (
    ACTION_CREATE,
    ACTION_DELETE,
    ACTION_MODIFY,
    Database,
    Entity,
    Integer,
    ManyToOne,
    OneToMany,
    String,
    TimestampedMixin,
)
from kybra_simple_db.context import get_caller_id

events = []
#: what the hook of `Controlled` returns next (a callable taking the event)
policy = {"fn": None}


@pytest.fixture(autouse=True)
def reset_hook_state():
    events.clear()
    policy["fn"] = None
    yield
    events.clear()
    policy["fn"] = None


class Watched(Entity):
    name = String()
    age = Integer()
    group = ManyToOne("Team", "members")

    @staticmethod
    def on_event(entity, field_name, old_value, new_value, action):
        events.append((entity._id, field_name, old_value, new_value, action))
        return True, new_value


class Team(Entity):
    title = String()
    members = OneToMany("Watched", "group")


class Controlled(Entity):
    name = String()
    age = Integer(max_value=150)

    @staticmethod
    def on_event(entity, field_name, old_value, new_value, action):
        events.append((field_name, new_value, action))
        return policy["fn"](field_name, old_value, new_value, action) if policy["fn"] else True


class Article(Entity):
    title = String()
    slug = String()

    @staticmethod
    def on_event(entity, field_name, old_value, new_value, action):
        if field_name == "title" and action == ACTION_CREATE:
            previous = entity._do_not_save
            entity._do_not_save = True
            entity.slug = new_value.lower().replace(" ", "-")
            entity._do_not_save = previous
        return True, new_value


class OwnedDoc(Entity, TimestampedMixin):
    text = String()

    @staticmethod
    def on_event(entity, field_name, old_value, new_value, action):
        if action in (ACTION_MODIFY, ACTION_DELETE) and get_caller_id() != entity._owner:
            return False, None
        return True, new_value


def test_create_fires_per_kwarg_with_default_as_old_value():
    w = Watched(name="ann", age=3)
    assert events == [("1", "name", None, "ann", ACTION_CREATE), ("1", "age", None, 3, ACTION_CREATE)]
    assert w._loaded


def test_modify_fires_with_old_value():
    w = Watched(name="ann")
    events.clear()
    w.name = "bob"
    assert events == [("1", "name", "ann", "bob", ACTION_MODIFY)]


def test_hook_gets_the_raw_value_before_coercion(db):
    w = Watched(name="ann")
    events.clear()
    w.age = "42"
    assert events == [("1", "age", None, "42", ACTION_MODIFY)]
    assert w.age == 42
    assert db.load("Watched", "1")["age"] == 42


def test_hook_does_not_fire_for_relations_plain_attributes_or_save():
    w = Watched(name="ann")
    t = Team(title="t")
    events.clear()
    w.group = t
    t.members.add(Watched(name="zed"))
    w.nickname = "a"
    w._save()
    assert [e for e in events if e[1] != "name"] == []
    assert events == [("2", "name", None, "zed", ACTION_CREATE)]


def test_veto_with_tuple_raises_and_keeps_value(db):
    c = Controlled(name="a")
    policy["fn"] = lambda f, old, new, action: (False, None)
    with pytest.raises(ValueError, match="^Hook rejected change to name$"):
        c.name = "b"
    assert c.name == "a"
    assert db.load("Controlled", "1")["name"] == "a"


def test_veto_with_bare_false():
    c = Controlled(name="a")
    policy["fn"] = lambda f, old, new, action: False
    with pytest.raises(ValueError, match="Hook rejected change to age"):
        c.age = 4


def test_veto_at_creation():
    policy["fn"] = lambda f, old, new, action: f != "age"
    with pytest.raises(ValueError, match="^Hook rejected change to age$"):
        Controlled(name="a", age=1)


def test_rewrite_value(db):
    policy["fn"] = lambda f, old, new, action: (True, new.upper()) if f == "name" else True
    c = Controlled(name="quiet")
    assert c.name == "QUIET"
    c.name = "again"
    assert db.load("Controlled", "1")["name"] == "AGAIN"


def test_rewritten_value_is_then_coerced_and_validated():
    c = Controlled(name="a")
    policy["fn"] = lambda f, old, new, action: (True, "7")
    c.age = 100
    assert c.age == 7
    policy["fn"] = lambda f, old, new, action: (True, 200)
    with pytest.raises(ValueError, match="^Invalid value for age: 200$"):
        c.age = 1
    policy["fn"] = lambda f, old, new, action: (True, "x")
    with pytest.raises(TypeError, match="^age must be of type int$"):
        c.age = 1
    assert c.age == 7


@pytest.mark.parametrize("result", [True, None, "yes", 1, (True,), (True, 1, 2), [False, 0]])
def test_other_return_values_allow_unchanged(result):
    policy["fn"] = lambda f, old, new, action: result
    c = Controlled(name="n", age=5)
    c.age = 6
    assert (c.name, c.age) == ("n", 6)


def test_delete_hook_arguments(db):
    w = Watched(name="ann")
    events.clear()
    w.delete()
    assert events == [("1", None, w, None, ACTION_DELETE)]
    assert db.load("Watched", "1") is None


def test_delete_veto_raises_permission_error_and_keeps_entity(db):
    c = Controlled(name="a")
    policy["fn"] = lambda f, old, new, action: action != ACTION_DELETE
    with pytest.raises(PermissionError, match="^Hook rejected entity deletion$"):
        c.delete()
    assert db.load("Controlled", "1")["name"] == "a"
    assert Controlled.count() == 1
    assert Controlled["1"] is c


def test_hook_can_fill_another_field_with_do_not_save(db):
    a = Article(title="Hello World")
    assert a.slug == "hello-world"
    assert db.load("Article", "1") == {"_type": "Article", "_id": "1", "title": "Hello World",
                                       "slug": "hello-world", "__version__": 1}
    a.title = "Other"
    assert a.slug == "hello-world"


def test_hook_fires_as_modify_during_cold_load(db):
    Watched(name="ann", age=3)
    db.clear_registry()
    events.clear()
    w = Watched.load("1")
    assert ("1", "name", None, "ann", ACTION_MODIFY) in events
    assert ("1", "age", None, 3, ACTION_MODIFY) in events
    assert w.name == "ann"


def test_access_control_pattern_with_owner(db):
    with db.as_user("alice"):
        d = OwnedDoc(text="mine")
        d.text = "still mine"
    with db.as_user("mallory"):
        with pytest.raises(ValueError, match="Hook rejected change to text"):
            d.text = "hacked"
        with pytest.raises(PermissionError, match="Hook rejected entity deletion"):
            d.delete()
    assert db.load("OwnedDoc", "1")["text"] == "still mine"
    with db.as_user("alice"):
        d.delete()
    assert db.load("OwnedDoc", "1") is None


def test_class_without_hook_is_unaffected():
    t = Team(title="x")
    t.title = "y"
    assert events == []
    assert Database.get_instance().load("Team", "1")["title"] == "y"


def test_hook_attached_after_first_use_is_called(db):
    class Late(Entity):
        name = String()

    x = Late(name="a")

    def hook(entity, field_name, old_value, new_value, action):
        events.append((field_name, new_value, action))
        return new_value != "veto"

    Late.on_event = staticmethod(hook)
    x.name = "b"
    with pytest.raises(ValueError, match="^Hook rejected change to name$"):
        x.name = "veto"
    Late(name="c")
    assert events == [("name", "b", ACTION_MODIFY), ("name", "veto", ACTION_MODIFY), ("name", "c", ACTION_CREATE)]
    assert db.load("Late", "1")["name"] == "b"
