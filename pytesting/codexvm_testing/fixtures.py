"""Built-in fixtures of `codexvm test`."""

import io
import sys

import pytest


@pytest.fixture
def fresh_store():
    """An empty store and a fresh native host (clock, scripted calls, timers) for this test, and
    a database view as an execution starts with (the default store, an empty identity map).
    Without it, tests share the session's store as they would share one process under pytest."""
    import _codexvm
    import _testsession

    _testsession.fresh_store()
    _codexvm.begin_execution()


@pytest.fixture
def db():
    """The database (`Database.get_instance()`)."""
    from kybra_simple_db import Database
    return Database.get_instance()


_NOTSET = object()


class MonkeyPatch:
    """pytest's `monkeypatch`: `setattr`, `delattr`, `setitem`, `delitem`, `setenv`, `delenv`,
    `syspath_prepend`; everything is undone when the test ends (`undo()`)."""

    def __init__(self):
        self._undo = []

    @staticmethod
    def _resolve(target):
        import importlib

        module_name, _, attr = target.rpartition(".")
        if not module_name:
            raise ValueError(f"must be absolute import path string, not {target!r}")
        parts = module_name.split(".")
        obj = importlib.import_module(parts[0])
        for i, part in enumerate(parts[1:], 1):
            try:
                obj = getattr(obj, part)
            except AttributeError:
                obj = importlib.import_module(".".join(parts[: i + 1]))
        return obj, attr

    def setattr(self, target, name, value=_NOTSET, raising=True):
        if value is _NOTSET:
            if not isinstance(target, str):
                raise TypeError("use setattr(target, name, value) or setattr(target, value) with target being a dotted import string")
            value = name
            target, name = self._resolve(target)
        old = getattr(target, name, _NOTSET)
        if raising and old is _NOTSET:
            raise AttributeError(f"{target!r} has no attribute {name!r}")
        if isinstance(target, type):
            old = target.__dict__.get(name, _NOTSET)
        self._undo.append(lambda: setattr(target, name, old) if old is not _NOTSET else delattr(target, name))
        setattr(target, name, value)

    def delattr(self, target, name=_NOTSET, raising=True):
        if name is _NOTSET:
            target, name = self._resolve(target)
        if not hasattr(target, name):
            if raising:
                raise AttributeError(name)
            return
        old = getattr(target, name)
        if isinstance(target, type):
            old = target.__dict__.get(name, old)
        self._undo.append(lambda: setattr(target, name, old))
        delattr(target, name)

    def setitem(self, dic, name, value):
        old = dic.get(name, _NOTSET) if hasattr(dic, "get") else _NOTSET
        self._undo.append(lambda: dic.__setitem__(name, old) if old is not _NOTSET else dic.pop(name, None))
        dic[name] = value

    def delitem(self, dic, name, raising=True):
        if name not in dic:
            if raising:
                raise KeyError(name)
            return
        old = dic[name]
        self._undo.append(lambda: dic.__setitem__(name, old))
        del dic[name]

    def setenv(self, name, value, prepend=None):
        import os

        value = str(value)
        if prepend and name in os.environ:
            value = value + prepend + os.environ[name]
        self.setitem(os.environ, name, value)

    def delenv(self, name, raising=True):
        import os

        self.delitem(os.environ, name, raising)

    def syspath_prepend(self, path):
        old = list(sys.path)
        self._undo.append(lambda: sys.path.__setitem__(slice(None), old))
        sys.path.insert(0, str(path))

    def undo(self):
        while self._undo:
            self._undo.pop()()


@pytest.fixture
def monkeypatch():
    """Patches attributes, items and environment variables for one test."""
    mp = MonkeyPatch()
    try:
        yield mp
    finally:
        mp.undo()


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


class Clock:
    """`ic.time()` under the test's control. The clock stops at the current time when the
    fixture starts; `now()` (ns), `set(ns)`, `advance(seconds=0, ns=0)`."""

    def __init__(self):
        import _testhost

        self._host = _testhost
        _testhost.set_time(_testhost.now())

    def now(self):
        return self._host.now()

    def set(self, ns):
        self._host.set_time(int(ns))

    def advance(self, seconds=0, ns=0):
        self._host.advance(int(seconds * 1_000_000_000) + int(ns))


@pytest.fixture
def clock():
    """`ic.time()` under the test's control: `clock.now()`, `clock.set(ns)`, `clock.advance(seconds)`."""
    c = Clock()
    try:
        yield c
    finally:
        c._host.system_clock()


class IcCalls:
    """Other canisters, scripted: `reply(canister, method, candid_bytes)`, `reject(canister,
    method, message, code=4)`; `calls` lists the calls made (`canister`, `method`, `args`,
    `cycles`), `clear()` forgets them. Unscripted calls are rejected with a message saying so
    (the management canister's `raw_rand` answers by itself)."""

    def __init__(self):
        import _testhost

        self._host = _testhost

    @staticmethod
    def _text(canister):
        return canister.to_str() if hasattr(canister, "to_str") else str(canister)

    def reply(self, canister, method, candid_bytes):
        self._host.reply(self._text(canister), method, bytes(candid_bytes))

    def reject(self, canister, method, message, code=4):
        self._host.reject(self._text(canister), method, int(code), str(message))

    @property
    def calls(self):
        return self._host.calls()

    def clear(self):
        self._host.clear_calls()


@pytest.fixture
def ic_calls():
    """Script other canisters' replies and inspect the calls codexes made."""
    return IcCalls()


class Logs:
    """What codexes logged: `all()` and `of(logger)` (kybra_simple_logging's entries, as dicts),
    `of_task(name)` (the logs of a task's executions, oldest first), `clear()`."""

    def all(self):
        import kybra_simple_logging

        return kybra_simple_logging.get_logs()

    def of(self, logger):
        import kybra_simple_logging

        return kybra_simple_logging.get_logs(logger_name=logger)

    def of_task(self, name):
        from ggg import Task

        task = Task[name]
        if task is None:
            raise KeyError(f"no task named {name!r}")
        runs = sorted(task.executions, key=lambda e: int(e._id))
        return [e.logs for e in runs]

    def clear(self):
        import kybra_simple_logging

        kybra_simple_logging.clear_logs()


@pytest.fixture
def logs():
    """Captured logs, per logger and per task; cleared when the test starts."""
    l = Logs()
    l.clear()
    return l


class Timers:
    """Codex timers (`ic.set_timer`, `ic.set_timer_interval`): `pending` lists them (`id`,
    `due`, `interval` in ns), `fire(id)` runs one now, `fire_due()` runs every timer due at
    `ic.time()` (with the `clock` fixture, advance the clock first). A firing returns
    `{ran, error, logs}`; a callback that raises has its writes undone."""

    def __init__(self):
        import _testhost

        self._host = _testhost

    @property
    def pending(self):
        return self._host.timers()

    def fire(self, timer_id):
        return self._host.fire_timer(int(timer_id))

    def fire_due(self, limit=10_000):
        from kybra import ic

        fired = []
        while len(fired) < limit:
            due = [t for t in self._host.timers() if t["due"] <= ic.time()]
            if not due:
                return fired
            fired.append(self._host.fire_timer(due[0]["id"]))
        raise RuntimeError(f"more than {limit} timer firings due at once")


@pytest.fixture
def timers():
    """Pending codex timers; fire them one by one or all that are due."""
    t = Timers()
    t._host.clear_timers()
    try:
        yield t
    finally:
        t._host.clear_timers()


class CanisterFixture:
    """The built canister module in the test host, freshly installed for the test:
    `run(source)` runs a codex as the controller (realms' result shape, plus `instructions`),
    `advance(seconds)` moves its clock so its timers fire (returns the messages that failed),
    `upgrade()`, `call(method, candid_text="()", query=False)` (the reply as Candid text),
    `debug_log()`."""

    def __init__(self):
        import _testcanister

        self._c = _testcanister
        _testcanister.install()

    def run(self, source):
        import json

        r = self._c.run(source)
        if r["success"]:
            return {"success": True, "result": json.loads(r["result"]) if r["result"] else None,
                    "logs": r["logs"], "instructions": r["instructions"]}
        return {"success": False, "error": r["error"], "logs": r["logs"], "instructions": r["instructions"]}

    def advance(self, seconds):
        return self._c.advance(float(seconds))

    def upgrade(self):
        self._c.upgrade()

    def call(self, method, candid_text="()", query=False):
        from kybra import ic

        return ic.candid_decode(self._c.call(method, ic.candid_encode(candid_text), query))

    def debug_log(self):
        return self._c.debug_log()


@pytest.fixture
def canister():
    """The built canister (target/canister/codexvm.wasm, or $CODEXVM_WASM) in the test host;
    the test is skipped, saying why, when the module has not been built."""
    import _testcanister

    path, present = _testcanister.module_path()
    if not present:
        pytest.skip(f"no canister module at {path} (build it with scripts/build-canister)")
    c = CanisterFixture()
    try:
        yield c
    finally:
        _testcanister.uninstall()


