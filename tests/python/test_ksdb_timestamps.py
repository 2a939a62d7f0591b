"""kybra_simple_db 0.5.0: TimestampedMixin, the caller context, `Database.as_user`, ownership,
and SystemTime.

Mixed: a unittest class for the mixin, pytest functions for the clock and the context.
"""
import time
import unittest

import pytest

from kybra_simple_db import Database, Entity, ManyToOne, OneToMany, String, SystemTime, TimestampedMixin
from kybra_simple_db.context import get_caller_id, set_caller_id

T0 = 1742316676123          # 2025-03-18 16:51:16.123 UTC
T0_TEXT = "2025-03-18 16:51:16.123"


class Doc(Entity, TimestampedMixin):
    title = String()


class TimestampedTests(unittest.TestCase):
    def setUp(self):
        self.db = Database.get_instance()
        self.clock = SystemTime.get_instance()
        self.clock.set_time(T0)

    def tearDown(self):
        self.clock.clear_time()
        set_caller_id("system")

    def test_stored_json_exact(self):
        with self.db.as_user("alice"):
            Doc(title="t1")
        self.assertEqual(
            self.db._db_storage.get("Doc@1"),
            '{"timestamp_created": "2025-03-18 16:51:16.123", "timestamp_updated": "2025-03-18 16:51:16.123", '
            '"creator": "alice", "updater": "alice", "owner": "alice", "_type": "Doc", "_id": "1", '
            '"title": "t1", "__version__": 1}')

    def test_in_memory_fields(self):
        with self.db.as_user("alice"):
            d = Doc(title="t1")
        self.assertEqual(d._timestamp_created, T0)
        self.assertEqual(d._timestamp_updated, T0)
        self.assertEqual((d._creator, d._updater, d._owner), ("alice", "alice", "alice"))

    def test_serialize_puts_mixin_keys_first(self):
        d = Doc(title="t1")
        self.assertEqual(list(d.serialize()), ["timestamp_created", "timestamp_updated", "creator", "updater",
                                               "owner", "_type", "_id", "title"])

    def test_default_caller_is_system(self):
        d = Doc(title="t")
        self.assertEqual(d._owner, "system")
        self.assertEqual(self.db.load("Doc", "1")["creator"], "system")

    def test_update_moves_updated_time_only(self):
        with self.db.as_user("alice"):
            d = Doc(title="t1")
            self.clock.advance_time(5000)
            d.title = "t2"
        stored = self.db.load("Doc", "1")
        self.assertEqual(stored["timestamp_created"], T0_TEXT)
        self.assertEqual(stored["timestamp_updated"], "2025-03-18 16:51:21.123")
        self.assertEqual(d._timestamp_created, T0)
        self.assertEqual(d._timestamp_updated, T0 + 5000)

    def test_non_owner_save_raises_permission_error(self):
        with self.db.as_user("alice"):
            d = Doc(title="t1")
        with self.db.as_user("bob"):
            with self.assertRaises(PermissionError) as cm:
                d.title = "bob was here"
        self.assertEqual(str(cm.exception), "Only the owner can update this entity. Current owner: alice")
        self.assertEqual(self.db.load("Doc", "1")["title"], "t1")

    def test_ownership_is_checked_by_save_itself(self):
        d = Doc(title="t1")
        set_caller_id("eve")
        with self.assertRaisesRegex(PermissionError, "Current owner: system"):
            d._save()

    def test_set_owner_does_not_save_and_transfers_rights(self):
        with self.db.as_user("alice"):
            d = Doc(title="t1")
            d.set_owner("bob")
            self.assertEqual(self.db.load("Doc", "1")["owner"], "alice")
            with self.assertRaises(PermissionError):
                d.title = "alice again"
        with self.db.as_user("bob"):
            d.title = "bob's now"
        stored = self.db.load("Doc", "1")
        self.assertEqual((stored["creator"], stored["updater"], stored["owner"]), ("alice", "bob", "bob"))
        self.assertEqual(stored["title"], "bob's now")

    def test_check_ownership(self):
        with self.db.as_user("alice"):
            d = Doc(title="t1")
        self.assertTrue(d.check_ownership("alice"))
        self.assertFalse(d.check_ownership("bob"))
        self.assertFalse(d.check_ownership(None))

    def test_relation_save_also_checks_ownership(self):
        class Folder(Entity, TimestampedMixin):
            name = String()
            files = OneToMany("File", "folder")

        class File(Entity, TimestampedMixin):
            name = String()
            folder = ManyToOne("Folder", "files")

        with self.db.as_user("alice"):
            folder = Folder(name="f")
        with self.db.as_user("bob"):
            f = File(name="x")
            with self.assertRaises(PermissionError):
                f.folder = folder

    def test_mixin_defaults(self):
        m = TimestampedMixin()
        self.assertEqual((m._timestamp_created, m._timestamp_updated), (0, 0))
        self.assertEqual((m._creator, m._updater, m._owner), (None, None, None))
        self.assertEqual(m.serialize(), {"timestamp_created": "None", "timestamp_updated": "None",
                                         "creator": None, "updater": None, "owner": None})


def test_set_time_and_format():
    clock = SystemTime.get_instance()
    clock.set_time(T0)
    assert clock.get_time() == T0
    assert SystemTime.format_timestamp(T0) == T0_TEXT
    assert clock.print() == T0_TEXT


@pytest.mark.parametrize("ms,text", [
    (1, "1970-01-01 00:00:00.001"),
    (86_400_000, "1970-01-02 00:00:00.000"),
    (1_700_000_000_999, "2023-11-14 22:13:20.999"),
    (0, "None"),
    (None, "None"),
])
def test_format_timestamp(ms, text):
    assert SystemTime.format_timestamp(ms) == text


def test_advance_time_prints_and_moves(capsys):
    clock = SystemTime.get_instance()
    clock.set_time(1000)
    clock.advance_time(500)
    assert clock.get_time() == 1500
    assert capsys.readouterr().out == "Advancing time by 500 ms (current: 1000) = 1500\n"


def test_advance_time_without_fixed_time_starts_from_now():
    clock = SystemTime.get_instance()
    clock.clear_time()
    before = int(time.time() * 1000)
    clock.advance_time(60_000)
    assert before + 60_000 <= clock.get_time() <= int(time.time() * 1000) + 60_000


def test_clear_time_returns_to_real_clock():
    clock = SystemTime.get_instance()
    clock.set_time(5)
    clock.clear_time()
    assert abs(clock.get_time() - time.time() * 1000) < 5000


def test_caller_context_default_and_set():
    assert get_caller_id() == "system"
    set_caller_id("carol")
    try:
        assert get_caller_id() == "carol"
        d = Doc(title="x")
        assert d._owner == "carol"
    finally:
        set_caller_id("system")


def test_as_user_restores_previous_caller(db):
    set_caller_id("outer")
    try:
        with db.as_user("inner") as ctx:
            assert get_caller_id() == "inner"
            assert ctx.user_id == "inner"
            with db.as_user("innermost"):
                assert get_caller_id() == "innermost"
            assert get_caller_id() == "inner"
        assert get_caller_id() == "outer"
    finally:
        set_caller_id("system")


def test_as_user_restores_on_exception_and_propagates(db):
    with pytest.raises(KeyError):
        with db.as_user("temp"):
            raise KeyError("boom")
    assert get_caller_id() == "system"
