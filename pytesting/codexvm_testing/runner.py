"""Running one test as pytest does: set-up (skip marks, the scopes it enters, its fixtures),
the call, and teardown of whatever the next test does not share; each phase's outcome."""

import pytest

from . import explain
from .fixturedefs import _RANK, FixtureLookupError, Request, ScopeMismatch, call_fixture


class Node:
    """A scope a test runs in (session, package, module or class) as `request.node` shows it."""

    def __init__(self, key, item):
        self.key = key
        kind = key[0]
        self.path = item.path if kind in ("module", "class") else key[1] if kind == "package" else None
        self.module = item.module if kind in ("module", "class") else None
        self.cls = item.cls if kind == "class" else None
        self.obj = self.cls or self.module
        self.name = self.cls.__name__ if self.cls else (self.path.rsplit("/", 1)[-1] if self.path else "")
        self.nodeid = ""

    def __repr__(self):
        return f"<{self.key[0].capitalize()} {self.name}>"


class SetupState:
    """The scopes entered so far (outermost first), each with the finalizers to run on leaving it."""

    def __init__(self):
        self.stack = []  # [(key, finalizers)]

    @staticmethod
    def chain(item):
        keys = [("session",)]
        keys.extend(("package", d) for d in item.package_dirs)
        keys.append(("module", item.path))
        if item.cls is not None:
            keys.append(("class", item.path, item.cls))
        keys.append(("function", item.nodeid))
        return keys

    @staticmethod
    def key_for(item, scope):
        if scope == "function" or (scope == "class" and item.cls is None):
            return ("function", item.nodeid)
        if scope == "class":
            return ("class", item.path, item.cls)
        if scope == "module":
            return ("module", item.path)
        if scope == "package":
            return ("package", item.package_dirs[-1]) if item.package_dirs else ("session",)
        return ("session",)

    def enter(self, item):
        keys = self.chain(item)
        for i, key in enumerate(keys):
            if i < len(self.stack):
                if self.stack[i][0] != key:
                    raise RuntimeError(f"scope {self.stack[i][0]} was not left before {item.nodeid}")
            else:
                self.stack.append((key, []))

    def add_finalizer(self, item, scope, fn):
        key = self.key_for(item, scope)
        for k, fins in self.stack:
            if k == key:
                fins.append(fn)
                return
        raise RuntimeError(f"no active {scope} scope for {item.nodeid}")

    def node_for(self, item, scope):
        key = self.key_for(item, scope)
        return item if key[0] == "function" else Node(key, item)

    def leave_until(self, nextitem):
        """Leaves (innermost first) every scope the next test is not in; raises the first error."""
        needed = self.chain(nextitem) if nextitem is not None else []
        errors = []
        while self.stack:
            depth = len(self.stack)
            if [k for k, _ in self.stack] == needed[:depth]:
                break
            _key, fins = self.stack.pop()
            while fins:
                fn = fins.pop()
                try:
                    fn()
                except BaseException as e:
                    errors.append(e)
        if errors:
            raise errors[0]


class Phase:
    """The outcome of one phase: `passed`, `failed`, `skipped`, or an xfail's result."""

    def __init__(self, when, outcome, longrepr="", exc=None):
        self.when, self.outcome, self.longrepr, self.exc = when, outcome, longrepr, exc

    def __repr__(self):
        return f"<Phase {self.when} {self.outcome}>"


def describe(exc, tb_source=None):
    """The text a failing phase reports: pytest's message for outcome exceptions, the assertion
    with its operands for a failed assert, else the traceback."""
    if isinstance(exc, pytest.Failed) and not exc.pytrace:
        return exc.msg
    if isinstance(exc, FixtureLookupError) or isinstance(exc, ScopeMismatch):
        return f"{type(exc).__name__}: {exc}" if isinstance(exc, ScopeMismatch) else str(exc)
    text = explain.user_traceback(exc)
    if isinstance(exc, AssertionError):
        detail = explain.assertion(exc)
        if detail:
            return f"{detail}\n\n{text}"
    return text


def run_phase(when, fn):
    try:
        fn()
    except pytest.XFailed as e:
        return Phase(when, "xfailed", e.msg, e)
    except pytest.Skipped as e:
        return Phase(when, "skipped", e.msg, e)
    except KeyboardInterrupt:
        raise
    except BaseException as e:
        ut = _unittest_skip(e)
        if ut is not None:
            return Phase(when, "skipped", ut, e)
        return Phase(when, "failed", describe(e), e)
    return Phase(when, "passed")


def _unittest_skip(exc):
    import unittest

    if isinstance(exc, unittest.SkipTest):
        return str(exc.args[0]) if exc.args else ""
    return None


def _evaluate_condition(item, condition, config):
    if isinstance(condition, str):
        import sys
        import platform
        import os

        globs = {"os": os, "sys": sys, "platform": platform, "config": config}
        globs.update(item.module.__dict__)
        return bool(eval(compile(condition, f"<{item.nodeid} condition>", "eval"), globs))
    return bool(condition)


def skip_reason(item, config):
    """The reason the item's skip/skipif marks skip it, or None."""
    for m in item.iter_markers("skip"):
        return m.kwargs.get("reason", m.args[0] if m.args else "unconditional skip")
    for m in item.iter_markers("skipif"):
        conditions = m.args or ((m.kwargs["condition"],) if "condition" in m.kwargs else ())
        if not conditions:
            return m.kwargs.get("reason", "")
        for c in conditions:
            if _evaluate_condition(item, c, config):
                return m.kwargs.get("reason", f"condition: {c}" if isinstance(c, str) else "")
    return None


def xfail_mark(item, config):
    """(reason, raises, strict, run) of the first xfail mark that applies, or None."""
    for m in item.iter_markers("xfail"):
        strict = m.kwargs.get("strict", config.ini.get("xfail_strict", False))
        if isinstance(strict, str):
            strict = strict.strip().lower() in ("1", "true", "yes", "on")
        run = m.kwargs.get("run", True)
        raises = m.kwargs.get("raises")
        conditions = m.args or ((m.kwargs["condition"],) if "condition" in m.kwargs else ())
        if not conditions:
            return m.kwargs.get("reason", ""), raises, strict, run
        for c in conditions:
            if _evaluate_condition(item, c, config):
                return m.kwargs.get("reason", f"condition: {c}" if isinstance(c, str) else ""), raises, strict, run
    return None


def apply_xfail(phase, xf):
    """Turns a phase's outcome into xfailed/xpassed under an xfail mark, as pytest's skipping does."""
    if xf is None or phase.outcome in ("skipped", "xfailed"):
        return phase
    reason, raises, strict, _run = xf
    if phase.outcome == "failed":
        if raises is None or isinstance(phase.exc, raises):
            return Phase(phase.when, "xfailed", reason, phase.exc)
        return phase
    if phase.when == "call":
        if strict:
            return Phase(phase.when, "failed", f"[XPASS(strict)] {reason}")
        return Phase(phase.when, "xpassed", reason)
    return phase


def call_unittest(item, session):
    """Runs a unittest method as unittest's TestCase.run does under pytest: setUp, the method,
    tearDown, cleanups; returns extra phases for its subtests."""
    case = item.instance
    method = getattr(case, item.function.__name__)
    if getattr(type(case), "__unittest_skip__", False) or getattr(method, "__unittest_skip__", False):
        why = getattr(method, "__unittest_skip_why__", None) or getattr(type(case), "__unittest_skip_why__", "")
        raise pytest.skip.Exception(why)
    expecting = getattr(method, "__unittest_expecting_failure__", False) or \
        getattr(case, "__unittest_expecting_failure__", False)
    error = None
    try:
        case.setUp()
    except BaseException as e:
        error = e
    if error is None:
        try:
            method()
        except BaseException as e:
            if expecting and not _unittest_skip(e) and not isinstance(e, pytest.Skipped):
                error = pytest.XFailed("")
                error.__cause__ = e
            else:
                error = e
        else:
            if expecting:
                error = pytest.Failed("Unexpected success", pytrace=False)
        try:
            case.tearDown()
        except BaseException as e:
            error = error or e
    try:
        case.doCleanups()
    except BaseException as e:
        error = error or e
    if error is not None:
        raise error


def subtest_phases(item):
    """A failed subtest becomes a failure of its own; passed ones are counted."""
    case = item.instance
    out, passed = [], 0
    for description, exc_info in getattr(case, "_subtest_results", []):
        if exc_info is None:
            passed += 1
        else:
            exc = exc_info[1]
            out.append((description, Phase("call", "failed", describe(exc), exc)))
    return out, passed


def fixture_value(session, name, item, parent=None):
    """The value of fixture `name` for `item` (as requested by fixture `parent`'s request)."""
    if name == "request":
        return parent if parent is not None else Request(item, session)
    spec = item.callspec
    if spec is not None and name in spec.params:
        return spec.params[name]
    defs = session.fixtures.visible(name, item)
    if parent is not None and parent._fixturedef is not None and parent._fixturedef.name == name:
        defs = defs[: defs.index(parent._fixturedef)] if parent._fixturedef in defs else []
    if not defs:
        available = sorted({n for n in session.fixtures.defs
                            if not n.startswith("_") and session.fixtures.visible(n, item)} | {"request"})
        raise FixtureLookupError(
            f"fixture '{name}' not found\n"
            f"  available fixtures: {', '.join(available)}")
    fdef = defs[-1]
    if parent is not None and parent._fixturedef is not None and _RANK[fdef.scope] > _RANK[parent.scope]:
        raise ScopeMismatch(
            f"You tried to access the {fdef.scope} scoped fixture {name} with a {parent.scope} scoped request "
            f"object. Requesting fixture stack:\n{parent.fixturename}")
    has_param = spec is not None and name in spec.fixture_params
    key = spec.indices.get(name, 0) if has_param else 0
    if fdef.cached is not None:
        ckey, value, exc = fdef.cached
        if ckey == key:
            if parent is not None and parent._fixturedef is not None:
                fdef.add_finalizer(parent._fixturedef.finish)
            if exc is not None:
                raise exc[0].with_traceback(exc[1])
            return value
        fdef.finish()
    request = Request(item, session, fdef, spec.fixture_params.get(name) if has_param else None, has_param)
    kwargs = {a: fixture_value(session, a, item, request) for a in fdef.argnames}
    session.setup_state.add_finalizer(item, fdef.scope, fdef.finish)
    try:
        value, teardown = call_fixture(fdef, request, kwargs, item.instance)
    except BaseException as e:
        fdef.cached = (key, None, (e, e.__traceback__))
        raise
    if teardown is not None:
        fdef.add_finalizer(teardown)
    fdef.cached = (key, value, None)
    if parent is not None and parent._fixturedef is not None:
        fdef.add_finalizer(parent._fixturedef.finish)
    return value


def setup_item(session, item):
    reason = skip_reason(item, session.config)
    if reason is not None:
        raise pytest.skip.Exception(reason)
    xf = xfail_mark(item, session.config)
    if xf is not None and not xf[3]:
        raise pytest.xfail.Exception("[NOTRUN] " + xf[0])
    session.setup_state.enter(item)
    if item.cls is not None:
        item.instance = item.cls(item.function.__name__) if item.unittest else item.cls()
    item.funcargs = {}
    for name in item.fixturenames:
        item.funcargs[name] = fixture_value(session, name, item)


def call_item(session, item):
    if item.unittest:
        call_unittest(item, session)
        return
    func = item.function
    static = item.cls is not None and isinstance(item.cls.__dict__.get(func.__name__), staticmethod)
    target = func if item.cls is None or static else func.__get__(item.instance, item.cls)
    from .fixturedefs import argnames

    args = {a: item.funcargs[a] if a in item.funcargs else fixture_value(session, a, item)
            for a in argnames(func, item.cls is not None and not static)}
    target(**args)
