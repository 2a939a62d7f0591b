"""kybra_simple_db 0.5.0 stores every value as Python's `json.dumps(x)` with default settings
(", " and ": " separators, ensure_ascii, float repr, NaN/Infinity allowed, dict order kept).
The expected texts below were produced by CPython's json module.

pytest style (parametrized).
"""
import json
import math

import pytest

from kybra_simple_db import Entity, String

CASES = [
    ("é✓", '"\\u00e9\\u2713"'),
    ("😀", '"\\ud83d\\ude00"'),
    ("\n\t\"\\/", '"\\n\\t\\"\\\\/"'),
    ("\x00\x1f\x7f", '"\\u0000\\u001f\\u007f"'),
    ("\u2028", '"\\u2028"'),
    ("", '""'),
    (0.1, "0.1"),
    (1e-7, "1e-07"),
    (1e16, "1e+16"),
    (1e22, "1e+22"),
    (123456789.123, "123456789.123"),
    (-0.0, "-0.0"),
    (100.0, "100.0"),
    (1234567890123456789.0, "1.2345678901234568e+18"),
    (1.5e300, "1.5e+300"),
    (5e-324, "5e-324"),
    (float("inf"), "Infinity"),
    (float("-inf"), "-Infinity"),
    (2 ** 63, "9223372036854775808"),
    (2 ** 70, "1180591620717411303424"),
    (-5, "-5"),
    (True, "true"),
    (None, "null"),
    ([1, [2, {"a": None}]], '[1, [2, {"a": null}]]'),
    ({"b": 1, "a": 2}, '{"b": 1, "a": 2}'),
    ({}, "{}"),
    ([], "[]"),
    ((1, "x"), '[1, "x"]'),
    ({1: "a"}, '{"1": "a"}'),
]


class Holder(Entity):
    label = String()


@pytest.mark.parametrize("value,text", CASES)
def test_raw_save_uses_python_json_text(db, value, text):
    db.save("V", "1", {"v": value})
    assert db._db_storage.get("V@1") == '{"v": ' + text + "}"
    assert db.load("V", "1") == json.loads('{"v": ' + text + "}")


@pytest.mark.parametrize("value,text", CASES)
def test_entity_plain_attribute_is_stored_with_python_json_text(db, value, text):
    Holder(label="h", v=value)
    assert db._db_storage.get("Holder@1") == \
        '{"_type": "Holder", "_id": "1", "label": "h", "v": ' + text + ', "__version__": 1}'


def test_nan_round_trip(db):
    db.save("V", "1", {"v": float("nan")})
    assert db._db_storage.get("V@1") == '{"v": NaN}'
    assert math.isnan(db.load("V", "1")["v"])


def test_non_ascii_alias_key(db):
    class Named(Entity):
        __alias__ = "name"
        name = String()

    n = Named(name="zoë")
    assert db._db_storage.get("Named_alias@zoë") == '"1"'
    assert Named["zoë"] is n


class Note(Entity):
    title = String()


def test_a_stored_record_with_repeated_keys_loads_as_json_loads_reads_it(db):
    # A record written by hand (or by another tool): the last value of a repeated key wins, as
    # in json.loads, at the top level and inside a nested object.
    nested = ", ".join(f'"k{i}": {i}' for i in range(700)) + ', "k7": "last"'
    db._db_storage.insert(
        "Note@1",
        '{"_type": "Note", "_id": "1", "title": "first", "extra": {' + nested + '}, "title": "second", "__version__": 1}',
    )
    note = Note["1"]
    assert note.title == "second"
    assert len(note.extra) == 700 and note.extra["k7"] == "last" and note.extra["k699"] == 699
    assert list(note.serialize()) == ["_type", "_id", "title", "extra"]


def test_a_short_record_with_a_repeated_key_loads_as_json_loads_reads_it(db):
    db._db_storage.insert("Note@2", '{"_type": "Note", "_id": "2", "title": "a", "title": "b", "__version__": 1}')
    assert Note["2"].title == "b"
