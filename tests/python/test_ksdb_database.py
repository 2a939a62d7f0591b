"""kybra_simple_db 0.5.0: the raw Database API, JSON formatting, dumps, identity map, clear(),
and the audit log.

unittest style (the audit tests reset `Database._instance` like the 0.5.0 audit tests).
"""
import json
import time
import unittest

from kybra_simple_db import Database, Entity, Float, MemoryStorage, String, SystemTime


class State(Entity):
    __namespace__ = "task_x"
    __alias__ = "key"
    key = String()
    value = String()


class Text(Entity):
    body = String()
    ratio = Float()


class RawApiTests(unittest.TestCase):
    def setUp(self):
        self.db = Database.get_instance()

    def test_save_and_load(self):
        self.db.save("Person", "1", {"name": "Alice", "age": 30})
        self.assertEqual(self.db.load("Person", "1"), {"name": "Alice", "age": 30})
        self.assertEqual(self.db._db_storage.get("Person@1"), '{"name": "Alice", "age": 30}')
        self.assertIsNone(self.db.load("Person", "2"))

    def test_save_any_json_value(self):
        self.db.save("_system", "X_id", "5")
        self.assertEqual(self.db._db_storage.get("_system@X_id"), '"5"')
        self.db.save("L", "1", [1, "a", None, True])
        self.assertEqual(self.db._db_storage.get("L@1"), '[1, "a", null, true]')

    def test_update_sets_one_field(self):
        self.db.save("Person", "1", {"name": "Alice", "age": 30})
        self.db.update("Person", "1", "age", 31)
        self.db.update("Person", "1", "city", "Paris")
        self.assertEqual(self.db.load("Person", "1"), {"name": "Alice", "age": 31, "city": "Paris"})

    def test_update_of_missing_record_does_nothing(self):
        self.db.update("Person", "9", "age", 1)
        self.assertIsNone(self.db.load("Person", "9"))
        self.assertEqual(self.db.raw_dump_json(), "{}")

    def test_delete(self):
        self.db.save("Person", "1", {"name": "Alice"})
        self.db.delete("Person", "1")
        self.assertIsNone(self.db.load("Person", "1"))

    def test_get_all(self):
        self.db.save("A", "1", {"x": 1})
        self.db.save("_system", "A_id", "1")
        self.assertEqual(self.db.get_all(), {"A@1": {"x": 1}, "_system@A_id": "1"})

    def test_dump_json(self):
        self.db.save("Person", "1", {"name": "Alice"})
        self.db.save("Person", "2", {"name": "Bob"})
        self.db.save("_system", "Person_id", "2")
        self.db.save("Weird", "a@b", {"lost": True})
        dumped = json.loads(self.db.dump_json())
        self.assertEqual(dumped, {"Person": {"1": {"name": "Alice"}, "2": {"name": "Bob"}}})

    def test_dump_json_pretty(self):
        self.db.save("Person", "1", {"name": "Alice"})
        self.assertEqual(self.db.dump_json(pretty=True),
                         json.dumps({"Person": {"1": {"name": "Alice"}}}, indent=2))
        self.assertEqual(self.db.dump_json(), '{"Person": {"1": {"name": "Alice"}}}')

    def test_raw_dump_json(self):
        self.db.save("Person", "1", {"name": "Alice"})
        raw = self.db.raw_dump_json()
        self.assertEqual(json.loads(raw), {"Person@1": '{"name": "Alice"}'})
        self.assertEqual(self.db.raw_dump_json(pretty=True),
                         json.dumps({"Person@1": '{"name": "Alice"}'}, indent=2))

    def test_worked_example_storage_layout(self):
        s = State(key="a", value="1")
        self.assertEqual(json.loads(self.db.raw_dump_json()), {
            "_system@task_x::State_id": '"1"',
            "_system@task_x::State_count": '"1"',
            "task_x::State@1": '{"_type": "task_x::State", "_id": "1", "key": "a", "value": "1", "__version__": 1}',
            "task_x::State_alias@a": '"1"',
        })
        s.value = "2"
        self.assertEqual(self.db.load("task_x::State", "1")["value"], "2")
        self.assertEqual(json.loads(self.db.dump_json()), {
            "task_x::State": {"1": {"_type": "task_x::State", "_id": "1", "key": "a", "value": "2",
                                    "__version__": 1}},
            "task_x::State_alias": {"a": "1"},
        })
        State(key="b").delete()
        self.assertEqual(self.db._db_storage.get("_system@task_x::State_id"), '"2"')
        self.assertEqual(self.db._db_storage.get("_system@task_x::State_count"), '"1"')

    def test_json_encoding_of_entity_values(self):
        t = Text(body="é✓ \"q\"", ratio=float("nan"))
        raw = self.db._db_storage.get("Text@1")
        self.assertEqual(raw, '{"_type": "Text", "_id": "1", "body": "\\u00e9\\u2713 \\"q\\"", "ratio": NaN, '
                              '"__version__": 1}')
        t.ratio = float("inf")
        self.assertIn('"ratio": Infinity', self.db._db_storage.get("Text@1"))
        self.assertEqual(self.db.load("Text", "1")["body"], "é✓ \"q\"")

    def test_identity_map_api(self):
        t = Text(body="x")
        self.assertIs(self.db.get_entity("Text", "1"), t)
        self.db.unregister_entity("Text", "1")
        self.assertIsNone(self.db.get_entity("Text", "1"))
        self.db.register_entity(t)
        self.assertIs(self.db.get_entity("Text", "1"), t)
        self.db.clear_registry()
        self.assertIsNone(self.db.get_entity("Text", "1"))
        self.assertIsNot(Text.load("1"), t)

    def test_clear_removes_everything_but_type_registry(self):
        t = Text(body="x")
        self.db.clear()
        self.assertEqual(self.db.raw_dump_json(), "{}")
        self.assertIsNone(self.db.get_entity("Text", "1"))
        self.assertIs(self.db._entity_types["Text"], Text)
        self.assertEqual(Text.count(), 0)
        self.assertEqual(Text(body="y")._id, "1")
        self.assertIsNot(Text["1"], t)

    def test_no_audit_by_default_here(self):
        self.assertEqual(self.db.get_audit(), {})


class MemoryStorageDatabaseTests(unittest.TestCase):
    def setUp(self):
        Database._instance = None
        self.storage = MemoryStorage()
        self.db = Database.init(db_storage=self.storage)

    def tearDown(self):
        Database._instance = None

    def test_entities_use_the_given_storage(self):
        State(key="a", value="1")
        self.assertEqual(list(self.storage.keys()), [
            "_system@task_x::State_id", "_system@task_x::State_count", "task_x::State@1", "task_x::State_alias@a",
        ])
        self.assertIsNone(self.db._db_audit)
        self.assertFalse(self.db._audit_enabled)

    def test_instances_in_insertion_order_of_memory_storage(self):
        for k in ["b", "a", "c"]:
            State(key=k)
        self.assertEqual([s.key for s in State.instances()], ["b", "a", "c"])

    def test_deleting_twice_raises_key_error(self):
        s = State(key="a")
        s.delete()
        with self.assertRaises(KeyError) as cm:
            s.delete()
        self.assertIn("Key 'task_x::State@1' not found in storage", str(cm.exception))

    def test_delete_leaves_an_alias_taken_over_by_another_entity(self):
        """0.5.0 removes the alias entry even when it points to another entity (that entity
        then cannot be found by alias, and deleting it raises KeyError on a MemoryStorage);
        codexvm removes only the entity's own alias entry."""
        State(key="same")
        second = State(key="same")
        State["1"].delete()
        self.assertIs(State["same"], second)
        second.delete()
        self.assertIsNone(self.db.load("task_x::State", "2"))
        self.assertIsNone(self.db._b.get("task_x::State_alias@same"))

    def test_reinit_on_same_storage_sees_the_data(self):
        State(key="a", value="1")
        Database._instance = None
        db2 = Database.init(db_storage=self.storage)
        self.assertIsNot(db2, self.db)
        self.assertEqual(db2._entity_types, {})
        self.assertEqual(State.count(), 1)
        self.assertEqual(State["a"].value, "1")


class AuditTests(unittest.TestCase):
    def setUp(self):
        Database._instance = None
        self.db = Database.init(audit_enabled=True)

    def tearDown(self):
        Database._instance = None

    def test_audit_store_is_initialised(self):
        self.assertTrue(self.db._audit_enabled)
        self.assertEqual(self.db._db_audit.get("_min_id"), "0")
        self.assertEqual(self.db._db_audit.get("_max_id"), "0")
        self.assertEqual(self.db.get_audit(), {})

    def test_save_creates_record_0(self):
        before = int(time.time() * 1000)
        self.db.save("Person", "1", {"name": "Alice"})
        entry = self.db.get_audit(0, 5)["0"]
        self.assertEqual(len(entry), 4)
        self.assertEqual(entry[0], "save")
        self.assertIsInstance(entry[1], int)
        self.assertTrue(before - 1000 <= entry[1] <= int(time.time() * 1000) + 1000)
        self.assertEqual(entry[2:], ["Person@1", {"name": "Alice"}])
        self.assertEqual(self.db._db_audit.get("_max_id"), "1")

    def test_delete_records_raw_string(self):
        self.db.save("Person", "1", {"name": "Alice"})
        self.db.delete("Person", "1")
        entry = self.db.get_audit()["1"]
        self.assertEqual(entry[0], "delete")
        self.assertEqual(entry[2], "Person@1")
        self.assertEqual(entry[3], '{"name": "Alice"}')

    def test_update_records_save_then_update(self):
        self.db.save("Person", "1", {"name": "Alice"})
        self.db.update("Person", "1", "name", "Bob")
        audit = self.db.get_audit()
        self.assertEqual(sorted(audit), ["0", "1", "2"])
        self.assertEqual(audit["1"][0], "save")
        self.assertEqual(audit["2"][0], "update")
        self.assertEqual(audit["2"][3], {"name": "Bob"})

    def test_get_audit_range_is_half_open(self):
        for i in range(4):
            self.db.save("P", str(i), {})
        self.assertEqual(sorted(self.db.get_audit(1, 3)), ["1", "2"])
        self.assertEqual(sorted(self.db.get_audit()), ["0", "1", "2", "3"])

    def test_entity_creation_audit_sequence(self):
        s = State(key="a", value="1")
        audit = self.db.get_audit()
        self.assertEqual([(e[0], e[2]) for e in audit.values()], [
            ("save", "_system@task_x::State_id"),
            ("save", "_system@task_x::State_count"),
            ("save", "task_x::State@1"),
            ("save", "task_x::State_alias@a"),
        ])
        self.assertEqual(audit["0"][3], "1")
        self.assertEqual(audit["2"][3], {"_type": "task_x::State", "_id": "1", "key": "a", "value": "1",
                                         "__version__": 1})
        self.assertEqual(audit["3"][3], "1")
        self.assertEqual(self.db._db_audit.get("_max_id"), "4")
        s.value = "2"
        audit = self.db.get_audit()
        self.assertEqual([(e[0], e[2]) for e in list(audit.values())[4:]],
                         [("save", "task_x::State@1"), ("save", "task_x::State_alias@a")])

    def test_entity_delete_audit(self):
        s = State(key="a")
        s.delete()
        tail = list(self.db.get_audit().values())[4:]
        self.assertEqual([(e[0], e[2]) for e in tail], [
            ("delete", "task_x::State@1"),
            ("save", "_system@task_x::State_count"),
            ("delete", "task_x::State_alias@a"),
        ])
        self.assertEqual(json.loads(tail[0][3])["key"], "a")
        self.assertEqual(tail[2][3], '"1"')

    def test_clear_resets_audit(self):
        self.db.save("P", "1", {})
        self.db.clear()
        self.assertEqual(self.db.get_audit(), {})
        self.assertEqual(self.db._db_audit.get("_max_id"), "0")

    def test_get_instance_creates_an_audited_memory_database(self):
        Database._instance = None
        db = Database.get_instance()
        self.assertIs(Database.get_instance(), db)
        self.assertTrue(db._audit_enabled)
        self.assertIsInstance(db._db_audit, MemoryStorage)
        self.assertIsInstance(db._db_storage, MemoryStorage)

    def test_audit_timestamps_ignore_system_time(self):
        clock = SystemTime.get_instance()
        clock.set_time(5)
        try:
            self.db.save("P", "1", {})
        finally:
            clock.clear_time()
        self.assertGreater(self.db.get_audit()["0"][1], 1_600_000_000_000)

    def test_audit_disabled(self):
        Database._instance = None
        db = Database.init(audit_enabled=False)
        self.assertIsNone(db._db_audit)
        db.save("P", "1", {})
        self.assertEqual(db.get_audit(), {})

    def test_given_audit_store_counter_is_reset_on_construction(self):
        audit = MemoryStorage()
        audit.insert("_max_id", "7")
        audit.insert("3", '["save", 1, "k", "v"]')
        Database._instance = None
        db = Database.init(audit_enabled=True, db_storage=MemoryStorage(), db_audit=audit)
        self.assertIs(db._db_audit, audit)
        self.assertEqual(audit.get("_max_id"), "0")
        db.save("P", "1", {})
        self.assertEqual(json.loads(audit.get("0"))[2], "P@1")
        self.assertEqual(audit.get("3"), '["save", 1, "k", "v"]')
