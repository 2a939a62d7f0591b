"""Without `fresh_store`, tests share one store and database, as they would share one CPython
process under pytest: what one test saves, the next one reads."""

from kybra_simple_db import Database, Entity, String


class Memo(Entity):
    __alias__ = "key"
    key = String()
    text = String()


SEEN = []


def test_a_saves():
    SEEN.append(Database.get_instance())
    Memo(key="k1", text="kept")
    assert Memo.count() >= 1


def test_b_reads_what_the_previous_test_saved():
    memo = Memo["k1"]
    assert memo is not None and memo.text == "kept"


def test_c_the_database_is_the_same_object():
    # (tests/pytest_layout/shop/tests/test_e_entities.py checks that a session which starts
    # without any fresh_store gets 0.5.0's audited database.)
    assert Database.get_instance() is SEEN[0]
