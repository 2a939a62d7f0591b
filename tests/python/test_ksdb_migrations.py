"""kybra_simple_db 0.5.0: schema versions and `migrate` (on load and on deserialize), including
persistence of migrated data by the load itself and downgrades.

unittest style, shaped like the 0.5.0 migration tests: define v1, write, clear the registry,
redefine the class as v2, register it, load.
"""
import json
import unittest

from kybra_simple_db import Database, Entity, Float, Integer, OneToOne, String, SystemTime, TimestampedMixin


class MigrationTestCase(unittest.TestCase):
    def setUp(self):
        self.db = Database.get_instance()
        self.calls = []

    def tearDown(self):
        SystemTime.get_instance().clear_time()

    def stored(self, type_name="Product", id="1"):
        return self.db.load(type_name, id)

    def write_v1(self, **kwargs):
        class Product(Entity):
            name = String()
            price = Float()

        p = Product(**kwargs)
        self.db.clear_registry()
        return p

    def define_v2(self, migrate=None, version=2, **fields):
        calls = self.calls

        class Product(Entity):
            __version__ = version
            name = String()
            price = Float()
            stock = Integer()

            @classmethod
            def migrate(cls, obj, from_version, to_version):
                calls.append((from_version, to_version))
                if migrate:
                    return migrate(obj, from_version, to_version)
                obj.setdefault("stock", 0)
                return obj

        self.db.register_entity_type(Product)
        return Product


class VersionFieldTests(MigrationTestCase):
    def test_default_version_stored_but_not_serialized(self):
        class Product(Entity):
            name = String()

        p = Product(name="x")
        self.assertEqual(Product.__version__, 1)
        self.assertNotIn("__version__", p.serialize())
        self.assertEqual(self.stored()["__version__"], 1)
        self.assertTrue(self.db._db_storage.get("Product@1").endswith(', "__version__": 1}'))

    def test_declared_version_is_stored(self):
        class Product(Entity):
            __version__ = 3
            name = String()

        Product(name="x")
        self.assertEqual(self.stored()["__version__"], 3)

    def test_no_migration_when_versions_match(self):
        self.write_v1(name="x", price=1.0)
        calls = []

        class Product(Entity):
            name = String()
            price = Float()

            @classmethod
            def migrate(cls, obj, f, t):
                calls.append((f, t))
                return obj

        self.db.register_entity_type(Product)
        p = Product.load("1")
        self.assertEqual(p.name, "x")
        self.assertEqual(calls, [])

    def test_default_migrate_returns_object_unchanged(self):
        obj = {"a": 1}
        self.assertIs(Entity.migrate(obj, 1, 2), obj)


class LoadMigrationTests(MigrationTestCase):
    def test_upgrade_on_load_adds_field(self):
        self.write_v1(name="x", price=2.5)
        Product = self.define_v2()
        p = Product.load("1")
        self.assertEqual(self.calls, [(1, 2)])
        self.assertEqual((p.name, p.price, p.stock), ("x", 2.5, 0))

    def test_migrated_record_is_persisted_by_the_load(self):
        self.write_v1(name="x", price=2.5)
        Product = self.define_v2()
        Product.load("1")
        self.assertEqual(self.stored(), {"_type": "Product", "_id": "1", "name": "x", "price": 2.5, "stock": 0,
                                         "__version__": 2})
        # a later cold load sees version 2 and does not migrate again
        self.db.clear_registry()
        Product.load("1")
        self.assertEqual(self.calls, [(1, 2)])

    def test_identity_map_returns_same_object_without_second_migration(self):
        self.write_v1(name="x")
        Product = self.define_v2()
        first = Product.load("1")
        self.assertIs(Product.load("1"), first)
        self.assertIs(Product["1"], first)
        self.assertEqual(self.calls, [(1, 2)])

    def test_field_rename(self):
        class Product(Entity):
            title = String()

        Product(title="old")
        self.db.clear_registry()

        def rename(obj, f, t):
            obj["name"] = obj.pop("title")
            return obj

        Product = self.define_v2(rename)
        p = Product.load("1")
        self.assertEqual(p.name, "old")
        self.assertNotIn("title", self.stored())
        self.assertEqual(self.stored()["name"], "old")

    def test_one_call_from_v1_straight_to_v10(self):
        self.write_v1(name="x")
        Product = self.define_v2(version=10)
        Product.load("1")
        self.assertEqual(self.calls, [(1, 10)])
        self.assertEqual(self.stored()["__version__"], 10)

    def test_downgrade_calls_migrate_and_keeps_unknown_fields(self):
        Product = self.define_v2()
        Product(name="new", price=1.0, stock=4)
        self.db.clear_registry()
        calls = []

        class Product(Entity):
            name = String()
            price = Float()

            @classmethod
            def migrate(cls, obj, f, t):
                calls.append((f, t))
                return obj

        self.db.register_entity_type(Product)
        p = Product.load("1")
        self.assertEqual(calls, [(2, 1)])
        self.assertEqual(p.stock, 4)
        self.assertNotIsInstance(getattr(Product, "stock", None), Integer)
        self.assertEqual(p.serialize()["stock"], 4)
        self.assertEqual(self.stored()["__version__"], 1)
        self.assertEqual(self.stored()["stock"], 4)

    def test_migrate_exception_propagates(self):
        self.write_v1(name="x")
        before = self.db.raw_dump_json()

        def fail(obj, f, t):
            raise ValueError("cannot migrate")

        Product = self.define_v2(fail)
        with self.assertRaisesRegex(ValueError, "^cannot migrate$"):
            Product.load("1")
        self.assertEqual(self.db.raw_dump_json(), before)

    def test_migration_converts_values(self):
        self.write_v1(name="x", price=2.5)

        def cents(obj, f, t):
            obj["stock"] = int(obj["price"] * 100)
            return obj

        Product = self.define_v2(cents)
        self.assertEqual(Product["1"].stock, 250)

    def test_timestamped_fields_preserved_in_storage(self):
        clock = SystemTime.get_instance()
        clock.set_time(1_700_000_000_000)

        class Note(Entity, TimestampedMixin):
            text = String()

        with self.db.as_user("alice"):
            Note(text="t")
        before = self.stored("Note")
        self.db.clear_registry()
        clock.set_time(1_800_000_000_000)

        class Note(Entity, TimestampedMixin):
            __version__ = 2
            text = String()

            @classmethod
            def migrate(cls, obj, f, t):
                obj["text"] = obj["text"].upper()
                return obj

        self.db.register_entity_type(Note)
        with self.db.as_user("bob"):
            n = Note.load("1")
        after = self.stored("Note")
        self.assertEqual(n.text, "T")
        self.assertEqual(after["text"], "T")
        self.assertEqual(after["__version__"], 2)
        for key in ("timestamp_created", "creator", "owner"):
            self.assertEqual(after[key], before[key], key)
        self.assertEqual(after["creator"], "alice")

    def test_relation_field_rename_is_persisted(self):
        class Shop(Entity):
            name = String()
            product = OneToOne("Product", "shop")

        class Product(Entity):
            name = String()
            shop = OneToOne("Shop", "product")

        p = Product(name="x")
        p.shop = Shop(name="s")
        self.assertEqual(self.stored()["shop"], "1")
        self.db.clear_registry()

        class Shop(Entity):
            name = String()
            product = OneToOne("Product", "store")

        class Product(Entity):
            __version__ = 2
            name = String()
            store = OneToOne("Shop", "product")

            @classmethod
            def migrate(cls, obj, f, t):
                if "shop" in obj:
                    obj["store"] = obj.pop("shop")
                return obj

        self.db.register_entity_type(Shop)
        self.db.register_entity_type(Product)
        Product.load("1")
        stored = self.stored()
        self.assertEqual(stored["store"], "1")
        self.assertNotIn("shop", stored)
        self.assertEqual(stored["__version__"], 2)


class DeserializeMigrationTests(MigrationTestCase):
    def test_deserialize_migrates_old_data_on_create(self):
        Product = self.define_v2()
        p = Product.deserialize({"_type": "Product", "_id": "5", "name": "x", "price": 1.5, "__version__": 1})
        self.assertEqual(self.calls, [(1, 2)])
        self.assertEqual(p.stock, 0)
        self.assertEqual(self.stored("Product", "5")["__version__"], 2)

    def test_deserialize_without_version_means_version_1(self):
        Product = self.define_v2()
        Product.deserialize({"_type": "Product", "name": "x"})
        self.assertEqual(self.calls, [(1, 2)])

    def test_deserialize_current_version_does_not_migrate(self):
        Product = self.define_v2()
        Product.deserialize({"_type": "Product", "name": "x", "__version__": 2})
        self.assertEqual(self.calls, [])

    def test_deserialize_migrates_on_update(self):
        Product = self.define_v2()
        p = Product(name="x", price=1.0, stock=3)
        self.calls.clear()

        def bump(obj, f, t):
            obj["stock"] = 99
            return obj

        Product = self.define_v2(bump)
        q = Product.deserialize({"_type": "Product", "_id": "1", "name": "y", "__version__": 1})
        self.assertIs(q, p)
        self.assertEqual(self.calls, [(1, 2)])
        self.assertEqual((q.name, q.stock, q.price), ("y", 99, 1.0))
        self.assertEqual(json.loads(self.db._db_storage.get("Product@1"))["stock"], 99)
