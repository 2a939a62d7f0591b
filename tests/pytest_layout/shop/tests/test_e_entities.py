"""kybra_simple_db 0.5.0 as its own tests use it: one database for the session, audited."""

from kybra_simple_db import Database, Entity, String, Integer


class Product(Entity):
    __alias__ = "sku"
    sku = String()
    stock = Integer(default=0)


def setup_module():
    Database.get_instance().clear()


def test_default_database_is_audited():
    db = Database.get_instance()
    assert db._db_audit is not None
    Product(sku="p1", stock=3)
    audit = db.get_audit()
    ops = [entry[0] for entry in audit.values()]
    assert "save" in ops


def test_store_persists_across_tests():
    p = Product["p1"]
    assert p is not None and p.stock == 3
    p.stock = 5
    assert Product["p1"].stock == 5


def test_delete_is_audited():
    db = Database.get_instance()
    before = len(db.get_audit())
    Product["p1"].delete()
    assert Product["p1"] is None
    after = db.get_audit()
    assert len(after) > before
    assert [e[0] for e in after.values()][-1] == "delete"
