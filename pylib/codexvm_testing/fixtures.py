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




class TaskContext:
    """A task to run codexes in: `.name`, `.TaskEntity` (its namespace's base class),
    `.run(source)` (realms' result shape), `.grant(other_task, write=False)`."""

    def __init__(self, name):
        from core.execution import create_task_entity_class

        self.name = name
        self.namespace = f"task_{name}"
        self.TaskEntity = create_task_entity_class(name)

    def run(self, source, filename="<codex>"):
        import _runtime

        return _runtime.run_codex(source, self.name, filename)

    def grant(self, other, write=False):
        import _runtime

        _runtime.grant(self.name, f"task_{other}", write)

    def revoke(self, other):
        import _runtime

        _runtime.revoke(self.name, f"task_{other}")


@pytest.fixture
def task():
    """A task context named "test_task" (its codexes get `TaskEntity` for `task_test_task`)."""
    return TaskContext("test_task")


@pytest.fixture
def run_codex():
    """`run_codex(source_or_path, task=None)`: runs a codex (as a task when named) the way the
    runtime does and returns `{success, result, logs}` / `{success: False, error, logs}`."""
    import _runtime

    def run(source, task=None):
        filename = "<codex>"
        if isinstance(source, str) and source.endswith(".py") and "\n" not in source:
            raise ValueError("pass the codex source; tests have no file system (read it in the test's setup)")
        return _runtime.run_codex(source, task, filename)

    return run


FIXTURES = {name: fn._codexvm_fixture for name, fn in list(globals().items()) if hasattr(fn, "_codexvm_fixture")}
