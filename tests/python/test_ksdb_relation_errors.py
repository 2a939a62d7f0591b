"""kybra_simple_db 0.5.0: relation errors (cardinality, resolution, type and reverse checks).

pytest style.
"""
import pytest

from kybra_simple_db import Entity, ManyToMany, ManyToOne, OneToMany, OneToOne, String


class Owner(Entity):
    __alias__ = "name"
    name = String()
    card = OneToOne("Card", "holder")
    things = OneToMany("Thing", "owner")
    groups = ManyToMany("Group", "owners")


class Card(Entity):
    number = String()
    holder = OneToOne("Owner", "card")


class Thing(Entity):
    name = String()
    owner = ManyToOne("Owner", "things")


class Group(Entity):
    title = String()
    owners = ManyToMany("Owner", "groups")


class Impostor(Entity):
    """Not a Card, but has the reverse OneToOne that Owner.card expects."""
    holder = OneToOne("Owner", "card")


class BadReverse(Entity):
    name = String()
    to_group = ManyToOne("Group", "missing")          # Group has no 'missing'
    to_group_m2m = ManyToOne("Group", "owners")       # Group.owners is ManyToMany
    kids = OneToMany("Group", "owners")               # must be ManyToOne on Group
    m2m = ManyToMany("Thing", "owner")                # Thing.owner is ManyToOne
    o2o = OneToOne("Thing", "owner")                  # Thing.owner is not OneToOne


class Multi(Entity):
    ref = ManyToOne(["Owner", "Group"], "nothing")


class BaseHolder(Entity):
    name = String()
    items = OneToMany("Piece", "holder")


class SubHolder(BaseHolder):
    pass


class Piece(Entity):
    holder = ManyToOne(["SubHolder"], "items")


@pytest.fixture
def owner():
    return Owner(name="olga")


def test_one_to_one_rejects_list(owner):
    with pytest.raises(ValueError, match=r"^card cannot be set to multiple values \(one-to-one relationship\)$"):
        owner.card = [Card()]


def test_many_to_one_rejects_list(owner):
    t = Thing()
    with pytest.raises(ValueError, match=r"^owner cannot be set to multiple values \(many-to-one relationship\)$"):
        t.owner = (owner,)


def test_one_to_many_requires_list(owner):
    with pytest.raises(TypeError, match="^things must be set to a list of entities$"):
        owner.things = Thing()


def test_many_to_many_none_is_rejected(owner):
    with pytest.raises(TypeError, match="^groups requires a list or tuple of entities$"):
        owner.groups = None


@pytest.mark.parametrize("value", [1.5, {"a": 1}, object()])
def test_many_to_many_rejects_other_types(owner, value):
    with pytest.raises(TypeError, match="^groups must be set to an entity or list of entities$"):
        owner.groups = value


@pytest.mark.parametrize("value", ["ghost", "99", 42])
def test_unresolvable_reference(owner, value):
    t = Thing()
    with pytest.raises(ValueError, match=f"^No entity of types Owner found with ID or name '{value}'$"):
        t.owner = value


def test_unresolvable_reference_with_list_of_types_prints_the_list():
    m = Multi()
    Owner(name="o")
    with pytest.raises(ValueError) as exc:
        m.ref = "nobody"
    assert str(exc.value) == "No entity of types ['Owner', 'Group'] found with ID or name 'nobody'"


def test_unknown_target_type_is_not_found():
    class Seeker(Entity):
        ghost = OneToOne("NeverRegistered", "seeker")

    s = Seeker()
    with pytest.raises(ValueError, match="No entity of types NeverRegistered found with ID or name '1'"):
        s.ghost = "1"


@pytest.mark.parametrize("value", [1.5, {"k": 1}])
def test_reference_of_wrong_python_type(owner, value):
    t = Thing()
    with pytest.raises(TypeError, match="^owner must be set to an Entity instance, string ID, or string name$"):
        t.owner = value


def test_relation_list_add_rejects_wrong_python_type(owner):
    with pytest.raises(TypeError, match="^things must be set to an Entity instance, string ID, or string name$"):
        owner.things.add(2.5)


def test_many_to_one_wrong_entity_type(owner):
    t = Thing()
    g = Group(title="g")
    with pytest.raises(TypeError) as exc:
        t.owner = g
    assert str(exc.value) == ("owner must be set an Entity instance of any of the following types: Owner, "
                              "but got type 'Group'")


def test_relation_list_add_wrong_entity_type(owner):
    with pytest.raises(TypeError, match="following types: Thing, but got type 'Group'"):
        owner.things.add(Group(title="g"))


def test_many_to_many_wrong_entity_type(owner):
    with pytest.raises(TypeError, match="^groups must be set an Entity instance of any of the following types: "
                                        "Group, but got type 'Thing'$"):
        owner.groups = [Thing()]


def test_one_to_one_does_not_validate_the_type(owner):
    imp = Impostor()
    owner.card = imp
    assert owner.card is imp
    assert imp.holder is owner


def test_one_to_one_reverse_must_be_one_to_one():
    b = BadReverse(name="b")
    with pytest.raises(ValueError, match="^Reverse property 'owner' must be OneToOne$"):
        b.o2o = Thing()


def test_many_to_one_reverse_missing():
    b = BadReverse(name="b")
    with pytest.raises(ValueError, match="^Reverse property 'missing' not found in Group entity$"):
        b.to_group = Group(title="g")


def test_many_to_one_reverse_of_wrong_kind():
    b = BadReverse(name="b")
    with pytest.raises(ValueError, match="^Reverse property 'owners' must be OneToMany and it is 'ManyToMany'$"):
        b.to_group_m2m = Group(title="g")


def test_one_to_many_reverse_must_be_many_to_one():
    b = BadReverse(name="b")
    with pytest.raises(ValueError, match="^Reverse property 'owners' must be ManyToOne$"):
        b.kids = [Group(title="g")]


def test_many_to_many_reverse_must_be_many_to_many():
    b = BadReverse(name="b")
    with pytest.raises(ValueError, match="^Reverse property 'owner' must be ManyToMany$"):
        b.m2m = [Thing()]


def test_inherited_reverse_relation_is_not_found():
    sub = SubHolder(name="s")
    p = Piece()
    with pytest.raises(ValueError, match="^Reverse property 'items' not found in SubHolder entity$"):
        p.holder = sub


def test_failed_relation_assignment_keeps_previous_link(db, owner):
    t = Thing()
    t.owner = owner
    with pytest.raises(ValueError):
        t.owner = "ghost"
    assert t.owner is owner
    assert db.load("Thing", "1")["owner"] == "1"


def test_target_type_defined_but_not_registered_resolves(db):
    """Deviation (6): relation targets resolve to classes defined in this process, registered or
    not (0.5.0 raised "No entity of types Target found" after an upgrade until an instance of
    Target had been built)."""
    class Target(Entity):
        __alias__ = "name"
        name = String()
        back = OneToOne("Pointer", "target")

    class Pointer(Entity):
        target = OneToOne("Target", "back")

    Target(name="t")
    # a new Database on the same storage (what a canister upgrade does): no type is registered yet
    storage = db._db_storage
    type(db)._instance = None
    type(db).init(db_storage=storage)
    p = Pointer()
    p.target = "t"
    assert p.target.name == "t"
    with pytest.raises(ValueError, match="^No entity of types Target found with ID or name 'nobody'$"):
        p.target = "nobody"
