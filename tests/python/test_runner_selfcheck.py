"""The test runner itself: fixtures, parametrize, raises, classes, skips, fresh stores."""
import pytest
import unittest

from kybra_simple_db import Entity, String


class Note(Entity):
    __alias__ = "title"
    title = String()


@pytest.fixture
def note():
    n = Note(title="first")
    yield n
    assert Note.count() == 1


def test_fixture_and_fresh_store(note, db):
    assert note._id == "1"
    assert Note["first"] is note
    assert db.load("Note", "1")["title"] == "first"


def test_store_is_fresh_again():
    assert Note.count() == 0
    assert Note(title="again")._id == "1"


@pytest.mark.parametrize("a,b,total", [(1, 2, 3), (2, 2, 4), (-1, 1, 0)])
def test_parametrize(a, b, total):
    assert a + b == total


def test_raises_with_match():
    with pytest.raises(ValueError, match="must be at least 1"):
        Note.load_some(0)
    exc = pytest.raises(TypeError, Note, title=5)
    assert "title must be of type str" in str(exc.value)


def test_capsys(capsys):
    print("hello")
    assert capsys.readouterr().out == "hello\n"


@pytest.mark.skip(reason="shows skipping")
def test_skipped():
    raise AssertionError("not run")


class TestPlainClass:
    def setup_method(self, method):
        self.note = Note(title="class")

    def test_setup_ran(self):
        assert self.note.title == "class"


class UnittestStyle(unittest.TestCase):
    def setUp(self):
        self.n = Note(title="u")

    def test_asserts(self):
        self.assertEqual(self.n.title, "u")
        self.assertIsNone(Note["missing"])
        with self.assertRaises(ValueError):
            Note.load_some(1, 0)
