"""kybra_simple_db 0.5.0: the four relation kinds, reverse links, storage of references,
resolution by entity/id/alias, RelationList, stealing, clearing, no cascade on delete.

unittest style.
"""
import unittest

from kybra_simple_db import Database, Entity, ManyToMany, ManyToOne, OneToMany, OneToOne, String
from kybra_simple_db.properties import RelationList


class Person(Entity):
    __alias__ = "name"
    name = String()
    profile = OneToOne("Profile", "person")
    pets = OneToMany("Pet", "owner")
    clubs = ManyToMany("Club", "members")


class Profile(Entity):
    bio = String()
    person = OneToOne("Person", "profile")


class Pet(Entity):
    __alias__ = "name"
    name = String()
    owner = ManyToOne("Person", "pets")


class Club(Entity):
    __alias__ = "title"
    title = String()
    members = ManyToMany("Person", "clubs")


class Human(Entity):
    name = String()
    friends = ManyToMany("Human", "friends")
    spouse = OneToOne("Human")


class Apple(Entity):
    name = String()
    boxes = ManyToMany("Box", "items")


class Pear(Entity):
    name = String()
    boxes = ManyToMany("Box", "items")


class Box(Entity):
    name = String()
    items = ManyToMany(["Apple", "Pear"], "boxes")


class RelationTestCase(unittest.TestCase):
    def setUp(self):
        self.db = Database.get_instance()

    def stored(self, type_name, id):
        return self.db.load(type_name, id)


class OneToOneTests(RelationTestCase):
    def test_link_both_sides_and_storage(self):
        p = Person(name="alice")
        pr = Profile(bio="hi")
        p.profile = pr
        self.assertIs(p.profile, pr)
        self.assertIs(pr.person, p)
        self.assertEqual(self.stored("Person", "1")["profile"], "1")
        self.assertEqual(self.stored("Profile", "1"),
                         {"_type": "Profile", "_id": "1", "bio": "hi", "person": "1", "__version__": 1})

    def test_unset_relation_reads_none_and_is_not_serialized(self):
        p = Person(name="alice")
        self.assertIsNone(p.profile)
        self.assertNotIn("profile", p.serialize())
        self.assertNotIn("profile", self.stored("Person", "1"))

    def test_reassign_unlinks_previous_partner(self):
        p = Person(name="alice")
        pr1, pr2 = Profile(bio="one"), Profile(bio="two")
        p.profile = pr1
        p.profile = pr2
        self.assertIs(p.profile, pr2)
        self.assertIsNone(pr1.person)
        self.assertNotIn("person", self.stored("Profile", "1"))
        self.assertEqual(self.stored("Person", "1")["profile"], "2")

    def test_taking_a_partner_from_another_entity(self):
        a, b = Person(name="a"), Person(name="b")
        pr = Profile(bio="x")
        a.profile = pr
        b.profile = pr
        self.assertIsNone(a.profile)
        self.assertIs(pr.person, b)
        self.assertNotIn("profile", self.stored("Person", "1"))
        self.assertEqual(self.stored("Profile", "1")["person"], "2")

    def test_set_from_the_other_side(self):
        p = Person(name="alice")
        pr = Profile(bio="x")
        pr.person = p
        self.assertIs(p.profile, pr)

    def test_set_by_id_and_by_alias(self):
        alice, bob = Person(name="alice"), Person(name="bob")
        pr1, pr2 = Profile(bio="1"), Profile(bio="2")
        pr1.person = "alice"
        pr2.person = 2
        self.assertIs(alice.profile, pr1)
        self.assertIs(bob.profile, pr2)

    def test_self_reference_with_default_reverse_name(self):
        a, b = Human(name="a"), Human(name="b")
        a.spouse = b
        self.assertIs(b.spouse, a)
        self.assertEqual(Human.spouse.reverse_name, "spouse")
        self.assertEqual(self.stored("Human", "2")["spouse"], "1")

    def test_reassigning_the_same_partner_keeps_the_link(self):
        p = Person(name="alice")
        pr = Profile(bio="b")
        p.profile = pr
        p.profile = pr
        self.assertIs(p.profile, pr)
        self.assertIs(pr.person, p)
        self.assertEqual(self.stored("Person", "1")["profile"], "1")
        self.assertEqual(self.stored("Profile", "1")["person"], "1")


class OneToManyTests(RelationTestCase):
    def test_assign_list_links_both_sides(self):
        p = Person(name="alice")
        a, b = Pet(name="rex"), Pet(name="tom")
        p.pets = [a, b]
        self.assertIsInstance(p.pets, RelationList)
        self.assertEqual(len(p.pets), 2)
        self.assertEqual(sorted(x.name for x in p.pets), ["rex", "tom"])
        self.assertIs(a.owner, p)
        self.assertIs(b.owner, p)
        self.assertEqual(sorted(self.stored("Person", "1")["pets"]), ["1", "2"])
        self.assertEqual(self.stored("Pet", "1")["owner"], "1")

    def test_single_child_is_still_stored_as_list(self):
        p = Person(name="alice")
        p.pets = [Pet(name="rex")]
        self.assertEqual(self.stored("Person", "1")["pets"], ["1"])
        self.assertEqual(self.stored("Pet", "1")["owner"], "1")

    def test_relation_list_add_remove_len_iter(self):
        p = Person(name="alice")
        a, b, c = Pet(name="a"), Pet(name="b"), Pet(name="c")
        p.pets.add(a)
        p.pets.add(c)
        p.pets.add(b)
        self.assertEqual([x.name for x in p.pets], ["a", "c", "b"])
        self.assertEqual(self.stored("Person", "1")["pets"], ["1", "3", "2"])
        self.assertTrue(a in p.pets)
        p.pets.remove(c)
        self.assertEqual([x.name for x in p.pets], ["a", "b"])
        self.assertFalse(c in p.pets)
        self.assertIsNone(c.owner)
        self.assertNotIn("owner", self.stored("Pet", "3"))
        self.assertEqual(self.stored("Person", "1")["pets"], ["1", "2"])

    def test_add_twice_does_not_duplicate(self):
        p = Person(name="alice")
        a = Pet(name="a")
        p.pets.add(a)
        p.pets.add(a)
        self.assertEqual(len(p.pets), 1)

    def test_add_by_id_alias_and_int(self):
        p = Person(name="alice")
        Pet(name="rex"), Pet(name="tom"), Pet(name="max")
        p.pets.add("rex")
        p.pets.add("2")
        p.pets.add(3)
        self.assertEqual([x.name for x in p.pets], ["rex", "tom", "max"])

    def test_assign_by_ids_and_aliases(self):
        p = Person(name="alice")
        Pet(name="rex"), Pet(name="tom")
        p.pets = ["rex", "2"]
        self.assertEqual(sorted(x.name for x in p.pets), ["rex", "tom"])

    def test_relation_list_is_a_minimal_view(self):
        p = Person(name="alice")
        p.pets.add(Pet(name="rex"))
        self.assertFalse(hasattr(p.pets, "append"))
        with self.assertRaises(TypeError):
            p.pets[0]

    def test_reassigning_replaces_the_set(self):
        p = Person(name="alice")
        a, b, c = Pet(name="a"), Pet(name="b"), Pet(name="c")
        p.pets = [a, b]
        p.pets = [b, c]
        self.assertEqual(sorted(x.name for x in p.pets), ["b", "c"])
        self.assertIsNone(a.owner)
        self.assertNotIn("owner", self.stored("Pet", "1"))

    def test_clearing_with_empty_list_saves_both_sides(self):
        p = Person(name="alice")
        a = Pet(name="a")
        p.pets = [a]
        p.pets = []
        self.assertEqual(len(p.pets), 0)
        self.assertIsNone(a.owner)
        self.assertNotIn("pets", self.stored("Person", "1"))
        self.assertNotIn("owner", self.stored("Pet", "1"))

    def test_stealing_a_child_leaves_old_parent_stale_in_storage(self):
        p1, p2 = Person(name="p1"), Person(name="p2")
        a = Pet(name="a")
        p1.pets = [a]
        p2.pets = [a]
        self.assertEqual(list(p1.pets), [])
        self.assertIs(a.owner, p2)
        self.assertEqual(self.stored("Person", "2")["pets"], ["1"])
        self.assertEqual(self.stored("Pet", "1")["owner"], "2")
        # the old parent was changed in memory only
        self.assertEqual(self.stored("Person", "1")["pets"], ["1"])

    def test_stealing_through_add(self):
        p1, p2 = Person(name="p1"), Person(name="p2")
        a = Pet(name="a")
        p1.pets.add(a)
        p2.pets.add(a)
        self.assertEqual(len(p1.pets), 0)
        self.assertEqual([x._id for x in p2.pets], ["1"])
        self.assertIs(a.owner, p2)


class ManyToOneTests(RelationTestCase):
    def test_assign_parent(self):
        p = Person(name="alice")
        a = Pet(name="rex")
        a.owner = p
        self.assertIs(a.owner, p)
        self.assertEqual([x.name for x in p.pets], ["rex"])
        self.assertEqual(self.stored("Pet", "1"),
                         {"_type": "Pet", "_id": "1", "name": "rex", "owner": "1", "__version__": 1})
        self.assertEqual(self.stored("Person", "1")["pets"], ["1"])

    def test_reassign_parent_moves_child_and_saves_old_parent(self):
        p1, p2 = Person(name="p1"), Person(name="p2")
        a = Pet(name="rex")
        a.owner = p1
        a.owner = p2
        self.assertEqual(len(p1.pets), 0)
        self.assertEqual([x.name for x in p2.pets], ["rex"])
        self.assertNotIn("pets", self.stored("Person", "1"))
        self.assertEqual(self.stored("Person", "2")["pets"], ["1"])

    def test_assign_by_id_int_and_alias(self):
        alice = Person(name="alice")
        bob = Person(name="bob")
        a, b, c = Pet(name="a"), Pet(name="b"), Pet(name="c")
        a.owner = "1"
        b.owner = 2
        c.owner = "alice"
        self.assertIs(a.owner, alice)
        self.assertIs(b.owner, bob)
        self.assertIs(c.owner, alice)
        self.assertEqual(sorted(x.name for x in alice.pets), ["a", "c"])

    def test_many_children(self):
        p = Person(name="alice")
        pets = [Pet(name=str(i)) for i in range(4)]
        for x in pets:
            x.owner = p
        self.assertEqual([x.name for x in p.pets], ["0", "1", "2", "3"])
        self.assertEqual(self.stored("Person", "1")["pets"], ["1", "2", "3", "4"])


class ManyToManyTests(RelationTestCase):
    def test_assign_list_links_both_sides(self):
        p = Person(name="alice")
        c1, c2 = Club(title="chess"), Club(title="go")
        p.clubs = [c1, c2]
        self.assertEqual(sorted(c.title for c in p.clubs), ["chess", "go"])
        self.assertEqual([m.name for m in c1.members], ["alice"])
        self.assertEqual(sorted(self.stored("Person", "1")["clubs"]), ["1", "2"])
        self.assertEqual(self.stored("Club", "1")["members"], ["1"])

    def test_single_entity_and_single_alias_are_wrapped(self):
        p = Person(name="alice")
        c1, c2 = Club(title="chess"), Club(title="go")
        p.clubs = c1
        self.assertEqual([c.title for c in p.clubs], ["chess"])
        p.clubs = "go"
        self.assertEqual([c.title for c in p.clubs], ["go"])
        self.assertEqual(len(c1.members), 0)
        p.clubs = 1
        self.assertEqual([c.title for c in p.clubs], ["chess"])

    def test_tuple_is_accepted(self):
        p = Person(name="alice")
        p.clubs = (Club(title="a"), Club(title="b"))
        self.assertEqual(len(p.clubs), 2)

    def test_add_and_remove_from_both_sides(self):
        a, b = Person(name="a"), Person(name="b")
        c = Club(title="chess")
        c.members.add(a)
        b.clubs.add(c)
        self.assertEqual([m.name for m in c.members], ["a", "b"])
        self.assertEqual(self.stored("Club", "1")["members"], ["1", "2"])
        a.clubs.remove(c)
        self.assertEqual([m.name for m in c.members], ["b"])
        self.assertNotIn("clubs", self.stored("Person", "1"))

    def test_clear_with_empty_list(self):
        p = Person(name="alice")
        c = Club(title="chess")
        p.clubs = [c]
        p.clubs = []
        self.assertEqual(len(p.clubs), 0)
        self.assertEqual(len(c.members), 0)
        self.assertNotIn("members", self.stored("Club", "1"))

    def test_self_referencing(self):
        a, b, c = Human(name="a"), Human(name="b"), Human(name="c")
        a.friends = [b, c]
        self.assertEqual([x.name for x in b.friends], ["a"])
        self.assertEqual(sorted(x.name for x in a.friends), ["b", "c"])
        c.friends.add(b)
        self.assertEqual(sorted(x.name for x in b.friends), ["a", "c"])

    def test_multiple_target_types_and_get_relations_filter(self):
        box = Box(name="box")
        ap, pe = Apple(name="apple"), Pear(name="pear")
        box.items.add(ap)
        box.items.add(pe)
        self.assertEqual([x.name for x in box.items], ["apple", "pear"])
        self.assertEqual(box.get_relations("items", "Apple"), [ap])
        self.assertEqual(box.get_relations("items", "Pear"), [pe])
        self.assertEqual(box.get_relations("items"), [ap, pe])
        self.assertEqual(box.get_relations("nothing"), [])
        self.assertEqual([b.name for b in ap.boxes], ["box"])

    def test_string_resolution_tries_declared_types_in_order(self):
        box = Box(name="box")
        ap = Apple(name="apple")
        Pear(name="pear")
        box.items.add("1")
        self.assertEqual(list(box.items), [ap])


class LowLevelRelationTests(RelationTestCase):
    def test_add_relation_with_undeclared_names(self):
        a, b = Human(name="a"), Human(name="b")
        a.add_relation("likes", "liked_by", b)
        self.assertEqual(a.get_relations("likes"), [b])
        self.assertEqual(b.get_relations("liked_by"), [a])
        self.assertEqual(a.serialize()["likes"], "2")
        self.assertEqual(self.stored("Human", "1")["likes"], "2")
        self.assertEqual(self.stored("Human", "2")["liked_by"], "1")
        c = Human(name="c")
        a.add_relation("likes", "liked_by", c)
        self.assertEqual(self.stored("Human", "1")["likes"], ["2", "3"])
        a.remove_relation("likes", "liked_by", b)
        self.assertEqual(self.stored("Human", "1")["likes"], "3")
        self.assertNotIn("liked_by", self.stored("Human", "2"))

    def test_relations_dict_holds_entity_lists(self):
        p = Person(name="alice")
        a = Pet(name="rex")
        a.owner = p
        self.assertEqual(p._relations, {"pets": [a]})
        self.assertEqual(a._relations, {"owner": [p]})

    def test_delete_does_not_cascade(self):
        p = Person(name="alice")
        a = Pet(name="rex")
        p.pets = [a]
        a.delete()
        self.assertIsNone(Pet.load("1"))
        self.assertEqual(list(p.pets), [a])
        self.assertEqual(self.stored("Person", "1")["pets"], ["1"])

    def test_relations_do_not_coerce_or_validate_like_properties(self):
        p = Person(name="alice")
        self.assertNotIsInstance(Person.pets, type(Person.name))
        self.assertIsInstance(Person.pets, OneToMany)
        self.assertEqual(Person.pets.reverse_name, "owner")
        self.assertEqual(Person.pets.entity_types, "Pet")
        self.assertEqual(Box.items.entity_types, ["Apple", "Pear"])
        self.assertEqual(p.serialize(), {"_type": "Person", "_id": "1", "name": "alice"})


class ConstructorAndMixedTests(RelationTestCase):
    def test_relations_given_to_the_constructor(self):
        p = Person(name="alice")
        x = Pet(name="x", owner=p)
        y = Pet(name="y", owner="alice")
        self.assertEqual([q.name for q in p.pets], ["x", "y"])
        self.assertIs(y.owner, p)
        self.assertEqual(self.stored("Person", "1")["pets"], ["1", "2"])
        self.assertEqual(self.stored("Pet", "2")["owner"], "1")
        self.assertEqual(x._id, "1")

    def test_mixed_list_of_entities_ids_and_aliases(self):
        p = Person(name="alice")
        c1 = Club(title="a")
        Club(title="b"), Club(title="c")
        p.clubs = [c1, "2", "c"]
        self.assertEqual(sorted(c.title for c in p.clubs), ["a", "b", "c"])
        self.assertEqual(sorted(self.stored("Person", "1")["clubs"]), ["1", "2", "3"])

    def test_duplicates_in_assigned_list_are_linked_once(self):
        p = Person(name="alice")
        x = Pet(name="x")
        p.pets = [x, x]
        self.assertEqual(len(p.pets), 1)
        self.assertEqual(self.stored("Person", "1")["pets"], ["1"])

    def test_find_by_relation_reference(self):
        p = Person(name="alice")
        Pet(name="x", owner=p)
        Pet(name="y")
        self.assertEqual([e.name for e in Pet.find({"owner": "1"})], ["x"])
