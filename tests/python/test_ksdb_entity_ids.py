"""kybra_simple_db 0.5.0: entity construction, ids and the id counter, count/max_id, load,
load_some, find, instances, delete, identity map and `__dict__`.

unittest style.
"""
import json
import unittest

import pytest

from kybra_simple_db import Boolean, Database, Entity, Integer, String


class Item(Entity):
    name = String()
    qty = Integer()


class Flagged(Entity):
    name = String()
    active = Boolean(default=True)
    level = Integer(default=3)


class Animal(Entity):
    name = String()


class Dog(Animal):
    breed = String()


class Other(Entity):
    name = String()


class Zebra(Entity):
    name = String()


class Ant(Zebra):
    pass


class Mole(Zebra):
    pass


def raw(db, key):
    return db._db_storage.get(key)


class IdTests(unittest.TestCase):
    def setUp(self):
        self.db = Database.get_instance()

    def test_ids_are_sequential_decimal_strings(self):
        a, b, c = Item(name="a"), Item(name="b"), Item(name="c")
        self.assertEqual([a._id, b._id, c._id], ["1", "2", "3"])
        self.assertIsInstance(a._id, str)
        self.assertEqual(a._type, "Item")

    def test_counters_are_stored_as_json_strings(self):
        Item(name="a")
        Item(name="b")
        self.assertEqual(raw(self.db, "_system@Item_id"), '"2"')
        self.assertEqual(raw(self.db, "_system@Item_count"), '"2"')
        self.assertEqual(self.db.load("_system", "Item_id"), "2")

    def test_count_and_max_id(self):
        self.assertEqual(Item.count(), 0)
        self.assertEqual(Item.max_id(), 0)
        Item(name="a")
        Item(name="b")
        self.assertEqual(Item.count(), 2)
        self.assertEqual(Item.max_id(), 2)
        self.assertIsInstance(Item.count(), int)
        self.assertIsInstance(Item.max_id(), int)

    def test_counters_are_per_type(self):
        Item(name="a")
        Item(name="b")
        o = Other(name="x")
        self.assertEqual(o._id, "1")
        self.assertEqual(Other.count(), 1)
        self.assertEqual(Item.count(), 2)

    def test_ids_are_never_reused_after_delete(self):
        Item(name="a")
        b = Item(name="b")
        b.delete()
        self.assertEqual(Item.count(), 1)
        self.assertEqual(Item.max_id(), 2)
        self.assertEqual(Item(name="c")._id, "3")

    def test_entity_without_kwargs_is_stored(self):
        i = Item()
        self.assertEqual(i._id, "1")
        self.assertEqual(Item.count(), 1)
        self.assertEqual(self.db.load("Item", "1"),
                         {"_type": "Item", "_id": "1", "name": None, "qty": None, "__version__": 1})

    def test_custom_string_id_does_not_touch_counter(self):
        i = Item(name="x", _id="abc")
        self.assertEqual(i._id, "abc")
        self.assertEqual(Item.max_id(), 0)
        self.assertEqual(Item.count(), 1)
        self.assertIs(Item["abc"], i)
        self.assertEqual(Item(name="y")._id, "1")

    def test_higher_numeric_custom_id_bumps_counter(self):
        Item(name="x", _id="10")
        self.assertEqual(Item.max_id(), 10)
        self.assertEqual(raw(self.db, "_system@Item_id"), '"10"')
        self.assertEqual(Item(name="next")._id, "11")

    def test_lower_numeric_custom_id_leaves_counter(self):
        Item(name="x", _id="7")
        Item(name="y", _id="3")
        self.assertEqual(Item.max_id(), 7)
        self.assertEqual(Item.count(), 2)

    def test_duplicate_custom_id_raises(self):
        Item(name="a")
        with self.assertRaises(ValueError) as cm:
            Item(name="b", _id="1")
        self.assertEqual(str(cm.exception), "Entity Item@1 already exists")
        self.assertEqual(self.db.load("Item", "1")["name"], "a")

    def test_new_is_the_constructor(self):
        i = Item.new(name="n", qty=2)
        self.assertEqual(i._id, "1")
        self.assertEqual(self.db.load("Item", "1")["qty"], 2)

    def test_loaded_and_counted_flags_after_construction(self):
        i = Item(name="a")
        self.assertTrue(i._loaded)
        self.assertTrue(i._counted)
        self.assertEqual(i._relations, {})
        # added to the class-wide context before the id was known (so compare by identity)
        self.assertTrue(any(e is i for e in Entity._context))


class LoadTests(unittest.TestCase):
    def setUp(self):
        self.db = Database.get_instance()
        self.items = [Item(name=n, qty=i) for i, n in enumerate(["a", "b", "c", "d", "e"])]

    def test_load_returns_identity_map_object(self):
        self.assertIs(Item.load("1"), self.items[0])
        self.assertIs(Item["2"], self.items[1])
        self.assertIs(Item[3], self.items[2])

    def test_load_misses_return_none(self):
        self.assertIsNone(Item.load("99"))
        self.assertIsNone(Item.load(None))
        self.assertIsNone(Item.load(""))
        self.assertIsNone(Item.load())
        self.assertIsNone(Item.load("1", level=0))
        self.assertIsNone(Item["99"])

    def test_cold_load_builds_a_new_object_then_caches_it(self):
        self.db.clear_registry()
        loaded = Item.load("2")
        self.assertIsNot(loaded, self.items[1])
        self.assertEqual(loaded, self.items[1])
        self.assertEqual((loaded.name, loaded.qty, loaded._id, loaded._type), ("b", 1, "2", "Item"))
        self.assertTrue(loaded._loaded)
        self.assertIs(Item.load("2"), loaded)

    def test_load_some_pages(self):
        self.assertEqual([e._id for e in Item.load_some(1, 2)], ["1", "2"])
        self.assertEqual([e._id for e in Item.load_some(4)], ["4", "5"])
        self.assertEqual([e.name for e in Item.load_some(2, 3)], ["b", "c", "d"])
        self.assertEqual(Item.load_some(6), [])

    def test_load_some_skips_deleted_ids(self):
        self.items[1].delete()
        self.items[2].delete()
        self.assertEqual([e._id for e in Item.load_some(1, 3)], ["1", "4", "5"])

    def test_load_some_argument_errors(self):
        with self.assertRaisesRegex(ValueError, "^from_id must be at least 1$"):
            Item.load_some(0)
        with self.assertRaisesRegex(ValueError, "^count must be at least 1$"):
            Item.load_some(1, 0)

    def test_find_matches_serialized_fields(self):
        Item(name="a", qty=9)
        self.assertEqual([e._id for e in Item.find({"name": "a"})], ["1", "6"])
        self.assertEqual([e._id for e in Item.find({"name": "a", "qty": 9})], ["6"])
        self.assertEqual(Item.find({"name": "zzz"}), [])
        self.assertEqual(len(Item.find({})), 6)
        self.assertIs(Item.find({"name": "c"})[0], self.items[2])

    def test_instances_returns_all_live_entities(self):
        self.items[0].delete()
        found = Item.instances()
        self.assertEqual(sorted(e._id for e in found), ["2", "3", "4", "5"])
        self.assertIs([e for e in found if e._id == "3"][0], self.items[2])


class InstancesInheritanceTests(unittest.TestCase):
    def test_base_instances_include_registered_subclasses(self):
        a = Animal(name="generic")
        d = Dog(name="rex", breed="lab")
        found = Animal.instances()
        self.assertEqual(len(found), 2)
        self.assertIn(a, found)
        self.assertIn(d, found)
        self.assertIsInstance([e for e in found if e._type == "Dog"][0], Dog)

    def test_subclass_instances_exclude_base(self):
        Animal(name="generic")
        d = Dog(name="rex")
        self.assertEqual(Dog.instances(), [d])

    def test_mixed_types_come_back_in_storage_key_order(self):
        Zebra(name="z1"), Ant(name="a1"), Mole(name="m1"), Zebra(name="z2"), Ant(name="a2")
        self.assertEqual([(e._type, e._id) for e in Zebra.instances()],
                         [("Ant", "1"), ("Ant", "2"), ("Mole", "1"), ("Zebra", "1"), ("Zebra", "2")])

    def test_subclass_has_its_own_counter_and_fields(self):
        Animal(name="a")
        d = Dog(name="rex", breed="lab")
        self.assertEqual(d._id, "1")
        self.assertEqual(d._type, "Dog")
        self.assertEqual(Database.get_instance().load("Dog", "1"),
                         {"_type": "Dog", "_id": "1", "name": "rex", "breed": "lab", "__version__": 1})


class DeleteTests(unittest.TestCase):
    def setUp(self):
        self.db = Database.get_instance()

    def test_delete_removes_record_and_decrements_count(self):
        a = Item(name="a")
        Item(name="b")
        a.delete()
        self.assertIsNone(self.db.load("Item", "1"))
        self.assertIsNone(Item.load("1"))
        self.assertIsNone(Item["1"])
        self.assertEqual(Item.count(), 1)
        self.assertEqual(raw(self.db, "_system@Item_count"), '"1"')

    def test_delete_with_zero_count_raises_and_deletes_nothing(self):
        """0.5.0 raises this after removing the record (leaving the alias entry behind);
        codexvm's delete is all-or-nothing: the record, count and alias entry all stay."""
        a = Item(name="a")
        self.db.save("_system", "Item_count", "0")
        with self.assertRaises(ValueError) as cm:
            a.delete()
        self.assertEqual(str(cm.exception), "Entity count for Item is already zero; cannot decrement further.")
        self.assertIsNotNone(self.db.load("Item", "1"))


class InstanceDictTests(unittest.TestCase):
    def setUp(self):
        self.db = Database.get_instance()

    def test_property_values_live_under_prop_keys(self):
        i = Item(name="a", qty=2)
        self.assertIn("_prop_name", i.__dict__)
        self.assertEqual(i.__dict__["_prop_name"], "a")
        self.assertEqual(i.__dict__["_prop_qty"], 2)
        self.assertNotIn("name", i.__dict__)

    def test_defaults_are_not_written_to_dict_but_are_stored(self):
        f = Flagged(name="x")
        self.assertNotIn("_prop_active", f.__dict__)
        self.assertIs(f.active, True)
        self.assertEqual(f.level, 3)
        self.assertEqual(f.serialize()["active"], True)
        self.assertIn('"active": true', raw(self.db, "Flagged@1"))

    def test_plain_kwargs_become_persisted_attributes(self):
        i = Item(name="a", colour="red")
        self.assertEqual(i.colour, "red")
        self.assertEqual(i.__dict__["colour"], "red")
        self.assertEqual(self.db.load("Item", "1")["colour"], "red")

    def test_plain_attribute_assignment_is_saved_with_next_property_save(self):
        i = Item(name="a")
        i.note = "later"
        self.assertNotIn("note", self.db.load("Item", "1"))
        i.qty = 5
        self.assertEqual(self.db.load("Item", "1")["note"], "later")

    def test_underscore_kwargs_are_ignored(self):
        i = Item(name="a", _secret="s")
        self.assertFalse(hasattr(i, "_secret"))
        self.assertNotIn("_secret", self.db.load("Item", "1"))

    def test_property_assignment_persists_at_once(self):
        i = Item(name="a")
        i.name = "b"
        self.assertEqual(self.db.load("Item", "1")["name"], "b")
        i.qty = 3
        self.assertEqual(raw(self.db, "Item@1"),
                         '{"_type": "Item", "_id": "1", "name": "b", "qty": 3, "__version__": 1}')

    def test_equality_and_hash_by_type_and_id(self):
        i = Item(name="a")
        self.db.clear_registry()
        j = Item.load("1")
        self.assertIsNot(i, j)
        self.assertEqual(i, j)
        self.assertEqual(hash(i), hash(("Item", "1")))
        self.assertEqual(len({i, j}), 1)
        self.assertNotEqual(i, Other(name="a"))
        self.assertFalse(i == "1")
        self.assertEqual(i.__eq__("1"), NotImplemented)


class MiscEntityTests(unittest.TestCase):
    def test_assignment_after_delete_stores_the_record_again_without_counting(self):
        db = Database.get_instance()
        i = Item(name="a")
        i.delete()
        i.name = "back"
        self.assertEqual(db.load("Item", "1")["name"], "back")
        self.assertEqual(Item.count(), 0)
        self.assertEqual(Item.max_id(), 1)

    def test_do_not_save_flag_defers_persistence(self):
        db = Database.get_instance()
        i = Item(name="a")
        i._do_not_save = True
        i.name = "memory only"
        self.assertEqual(db.load("Item", "1")["name"], "a")
        self.assertEqual(i.name, "memory only")
        i._do_not_save = False
        i._save()
        self.assertEqual(db.load("Item", "1")["name"], "memory only")

    def test_counters_written_as_json_numbers_are_read(self):
        db = Database.get_instance()
        db.save("_system", "Item_count", 5)
        db.save("_system", "Item_id", 9)
        self.assertEqual((Item.count(), Item.max_id()), (5, 9))
        self.assertEqual(Item(name="n")._id, "10")
        self.assertEqual(raw(db, "_system@Item_id"), '"10"')
        self.assertEqual(raw(db, "_system@Item_count"), '"6"')

    def test_context_keeps_entities_alive_for_the_identity_map(self):
        import gc

        i = Item(name="a")
        ident = id(i)
        del i
        gc.collect()
        self.assertEqual(id(Item["1"]), ident)


def test_int_custom_id_is_kept_as_int():
    db = Database.get_instance()
    i = Item(name="x", _id=5)
    assert i._id == 5
    assert Item.max_id() == 5
    assert json.loads(raw(db, "Item@5"))["_id"] == 5
    assert raw(db, "_system@Item_id") == "5"


def test_explicit_loaded_construction_is_stored_without_counting():
    db = Database.get_instance()
    i = Item(name="imported", _id="7", _loaded=True)
    assert db.load("Item", "7") == {"_type": "Item", "_id": "7", "name": "imported", "qty": None, "__version__": 1}
    assert Item.count() == 0
    assert Item.max_id() == 7
    assert Item["7"] is i


def test_class_attributes_changed_after_first_use_take_effect():
    db = Database.get_instance()

    class Late(Entity):
        name = String()

    Late(name="a")
    Late.__alias__ = "name"
    Late.__version__ = 2
    b = Late(name="b")
    assert Late["b"] is b
    assert db.load("Late", "2")["__version__"] == 2
    Late.__namespace__ = "ns"
    c = Late(name="c")
    assert c._type == "ns::Late"
    assert db.load("ns::Late", "1")["name"] == "c"
