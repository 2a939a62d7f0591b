"""Built-in fixtures of `codexvm test`."""

import io
import sys

import pytest


@pytest.fixture
def db():
    """A fresh database on the test's own empty store."""
    from kybra_simple_db import Database
    return Database.get_instance()


class _CapSys:
    def __init__(self):
        self._out, self._err = io.StringIO(), io.StringIO()

    def readouterr(self):
        out, err = self._out.getvalue(), self._err.getvalue()
        self._out.seek(0)
        self._out.truncate()
        self._err.seek(0)
        self._err.truncate()
        return _Captured(out, err)


class _Captured(tuple):
    def __new__(cls, out, err):
        return super().__new__(cls, (out, err))

    @property
    def out(self):
        return self[0]

    @property
    def err(self):
        return self[1]


@pytest.fixture
def capsys():
    """Captures what the test prints: `capsys.readouterr().out`."""
    cap = _CapSys()
    old = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = cap._out, cap._err
    try:
        yield cap
    finally:
        sys.stdout, sys.stderr = old


FIXTURES = {name: fn._codexvm_fixture for name, fn in list(globals().items()) if hasattr(fn, "_codexvm_fixture")}
