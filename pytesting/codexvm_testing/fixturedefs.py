"""Fixtures as pytest resolves them: definitions visible to a test (built-ins, conftest.py files
from the outside in, the module, the class; the nearest one wins and may request the one it
overrides), the closure a test needs (autouse, `usefixtures`, arguments; higher scopes first),
values cached per scope with their errors, and teardown in reverse order when a scope ends."""

import inspect
import types

import pytest

from . import fs

SCOPES = pytest.SCOPES  # session ... function, widest first
_RANK = {s: i for i, s in enumerate(SCOPES)}


class FixtureLookupError(LookupError):
    """A test or fixture requests a fixture no visible definition provides."""


class ScopeMismatch(Exception):
    """A fixture requests one of a narrower scope."""


def argnames(func, is_method=False):
    """The names of `func`'s arguments a test or fixture receives as fixtures: positional or
    keyword arguments without a default (not `self`/`cls` of a method)."""
    try:
        sig = inspect.signature(func)
    except (TypeError, ValueError):
        return ()
    names = [p.name for p in sig.parameters.values()
             if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) and p.default is p.empty]
    if is_method and names and not isinstance(func, staticmethod):
        names = names[1:]
    return tuple(names)


class Location:
    """Where fixtures are defined: built-in, a conftest.py (its directory), a module or a class."""

    def __init__(self, kind, path=None, cls=None, depth=0):
        self.kind, self.path, self.cls, self.depth = kind, path, cls, depth

    def visible_to(self, item):
        if self.kind == "builtin":
            return True
        if self.kind == "conftest":
            return fs.is_relative_to(item.path, self.path)
        if self.kind == "module":
            return item.path == self.path
        return item.cls is self.cls

    def rank(self):
        return {"builtin": 0, "conftest": 1, "module": 2, "class": 3}[self.kind] * 10000 + self.depth


class FixtureDef:
    """One fixture definition and, while its scope lasts, its cached value or error."""

    def __init__(self, name, func, scope, params, ids, autouse, location, is_method=False):
        self.name, self.func, self.scope = name, func, scope
        self.params, self.ids, self.autouse = params, ids, autouse
        self.location = location
        self.is_method = is_method
        self.argnames = argnames(func, is_method)
        self.cached = None  # (cache key, value, exception)
        self.finalizers = []

    def __repr__(self):
        return f"<FixtureDef {self.name!r} scope={self.scope!r}>"

    def add_finalizer(self, fn):
        self.finalizers.append(fn)

    def finish(self):
        """Runs the teardown of the cached value (last registered first), then forgets it."""
        errors = []
        while self.finalizers:
            fn = self.finalizers.pop()
            try:
                fn()
            except BaseException as e:
                errors.append(e)
        self.cached = None
        if errors:
            raise errors[0]


def from_definition(defn, location, is_method=False, name=None):
    """A FixtureDef for a function decorated with `@pytest.fixture`."""
    return FixtureDef(name or defn.name, defn.func, defn.scope, defn.params, defn.ids, defn.autouse,
                      location, is_method)


class FixtureManager:
    """Every fixture definition of the session, by name, in the order they were registered."""

    def __init__(self):
        self.defs = {}
        self.autouse = []  # FixtureDefs with autouse, in registration order

    def add(self, fdef):
        self.defs.setdefault(fdef.name, []).append(fdef)
        if fdef.autouse:
            self.autouse.append(fdef)

    def parse(self, holder, location, is_class=False):
        """Registers the fixtures defined in a module (or class, or conftest) by attribute name,
        sorted (as pytest reads them with dir())."""
        for attr in dir(holder):
            try:
                obj = getattr(holder, attr)
            except Exception:
                continue
            func = getattr(obj, "__func__", obj)
            defn = getattr(func, "_pytestfixturefunction", None)
            if defn is None or not isinstance(defn, pytest.FixtureFunctionDefinition):
                continue
            self.add(from_definition(defn, location, is_method=is_class))

    def visible(self, name, item):
        """The definitions of `name` the item sees, least specific first."""
        found = [d for d in self.defs.get(name, ()) if d.location.visible_to(item)]
        found.sort(key=lambda d: d.location.rank())
        return found

    def autouse_names(self, item):
        names = []
        visible = [d for d in self.autouse if d.location.visible_to(item)]
        visible.sort(key=lambda d: d.location.rank())
        for d in visible:
            if d.name not in names:
                names.append(d.name)
        return names

    def closure(self, item, initial, direct):
        """The fixture names a test needs, dependencies included, widest scope first; `direct`
        are argument names parametrized directly (they are values, not fixtures)."""
        names = []
        for n in initial:
            if n not in names:
                names.append(n)
        i = 0
        while i < len(names):
            n = names[i]
            i += 1
            if n in direct:
                continue
            defs = self.visible(n, item)
            if defs:
                for a in defs[-1].argnames:
                    if a not in names:
                        names.append(a)

        def scope_of(n):
            if n in direct:
                return _RANK["function"]
            defs = self.visible(n, item)
            return _RANK[defs[-1].scope] if defs else _RANK["function"]

        names.sort(key=scope_of)
        return names


class Request:
    """`request`: what a test or fixture knows about the test it runs for."""

    def __init__(self, item, session, fixturedef=None, param=None, has_param=False, parent=None):
        self._item = item
        self._session = session
        self._fixturedef = fixturedef
        self._parent = parent
        self.fixturename = fixturedef.name if fixturedef else None
        self.scope = fixturedef.scope if fixturedef else "function"
        if has_param:
            self.param = param
        if fixturedef is not None and item.callspec is not None and fixturedef.name in item.callspec.indices:
            self.param_index = item.callspec.indices[fixturedef.name]
        else:
            self.param_index = 0

    @property
    def node(self):
        return self._session.setup_state.node_for(self._item, self.scope)

    @property
    def function(self):
        if self.scope not in ("function",):
            raise AttributeError(f"function not available in {self.scope}-scoped context")
        return self._item.function

    @property
    def cls(self):
        return self._item.cls

    @property
    def instance(self):
        if self.scope != "function" and self.scope != "class":
            return None
        return self._item.instance

    @property
    def module(self):
        return self._item.module

    @property
    def path(self):
        return self._item.path

    @property
    def config(self):
        return self._session.config

    @property
    def session(self):
        return self._session

    @property
    def keywords(self):
        return {m.name: m for m in self._item.iter_markers()}

    @property
    def fixturenames(self):
        return list(self._item.fixturenames)

    def applymarker(self, marker):
        self._item.add_marker(marker)

    def addfinalizer(self, finalizer):
        if self._fixturedef is not None:
            self._fixturedef.add_finalizer(finalizer)
        else:
            self._session.setup_state.add_finalizer(self._item, "function", finalizer)

    def getfixturevalue(self, argname):
        return self._session.fixture_value(argname, self._item, self)

    def __repr__(self):
        return f"<FixtureRequest for {self._item!r}>"


NOTSET = object()


def call_fixture(fdef, request, kwargs, instance):
    """Calls the fixture function; returns (value, teardown or None)."""
    func = fdef.func
    if fdef.is_method and instance is not None:
        func = func.__get__(instance, type(instance))
    if inspect.isgeneratorfunction(func):
        gen = func(**kwargs)
        try:
            value = next(gen)
        except StopIteration:
            raise ValueError(f"{fdef.name} did not yield a value") from None

        def teardown():
            try:
                next(gen)
            except StopIteration:
                return
            raise RuntimeError(f"fixture function {fdef.name!r} has more than one 'yield'")

        return value, teardown
    value = func(**kwargs)
    if isinstance(value, types.GeneratorType):
        gen = value
        value = next(gen)

        def teardown():
            try:
                next(gen)
            except StopIteration:
                return

        return value, teardown
    return value, None
