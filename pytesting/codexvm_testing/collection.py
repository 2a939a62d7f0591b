"""Collection by pytest's rules: which files, classes and functions are tests, in which order,
with which node ids and parameter sets."""

import inspect
import sys

import pytest

from . import fs, xunit
from .fixturedefs import Location, argnames

# Names pytest never looks at as tests.
_IGNORED = frozenset({"__builtins__", "__dict__", "__doc__", "__file__", "__module__", "__weakref__"})

DEFAULT_NORECURSE = ["*.egg", ".*", "_darcs", "build", "CVS", "dist", "node_modules", "venv", "{arch}"]


class CollectError(Exception):
    """A file could not be collected; `longrepr` says why as pytest would."""

    def __init__(self, longrepr):
        super().__init__(longrepr)
        self.longrepr = longrepr


class CallSpec:
    """One parameter set of a test: values by argument name, its id, its marks, and the index of
    each fixture's parameter."""

    def __init__(self):
        self.params = {}
        self.indices = {}
        self.ids = []
        self.marks = []
        self.fixture_params = {}  # fixture name -> value

    def copy(self):
        c = CallSpec()
        c.params, c.indices = dict(self.params), dict(self.indices)
        c.ids, c.marks = list(self.ids), list(self.marks)
        c.fixture_params = dict(self.fixture_params)
        return c

    @property
    def id(self):
        return "-".join(self.ids)


class Item:
    """One test: a function or method, possibly one parameter set of it."""

    def __init__(self, nodeid, name, path, module, cls, function, callspec, marks, unittest, chain_names):
        self.nodeid, self.name, self.path = nodeid, name, path
        self.module, self.cls, self.function = module, cls, function
        self.callspec = callspec
        self.own_marks = marks
        self.added_marks = []
        self.unittest = unittest
        self.chain_names = chain_names
        self.fixturenames = []
        self.instance = None
        self.package_dirs = []
        self.keywords = {}

    def __repr__(self):
        return f"<Item {self.nodeid}>"

    @property
    def originalname(self):
        return self.function.__name__

    def add_marker(self, marker, append=True):
        m = marker.mark if isinstance(marker, pytest.MarkDecorator) else \
            pytest.Mark(marker, (), {}) if isinstance(marker, str) else marker
        if append:
            self.added_marks.append(m)
        else:
            self.added_marks.insert(0, m)

    def iter_markers(self, name=None):
        marks = self.added_marks + self.own_marks
        return [m for m in marks if name is None or m.name == name]

    def get_closest_marker(self, name, default=None):
        found = self.iter_markers(name)
        return found[0] if found else default


def marks_of(obj, consider_mro=True):
    """The marks stored on a function, class (and its bases) or module, as pytest reads them."""
    out = []
    if isinstance(obj, type) and consider_mro:
        for cls in obj.__mro__:
            own = cls.__dict__.get("pytestmark", [])
            out.extend(own if isinstance(own, (list, tuple)) else [own])
    else:
        own = getattr(obj, "pytestmark", [])
        out.extend(own if isinstance(own, (list, tuple)) else [own])
    return [m.mark if isinstance(m, pytest.MarkDecorator) else m for m in out]


def _matches_prefix_or_glob(options, name):
    for option in options:
        if name.startswith(option):
            return True
        if any(c in option for c in "*?[") and fs.glob_match(option, name):
            return True
    return False


def _is_unittest_case(obj):
    ut = sys.modules.get("unittest")
    return ut is not None and isinstance(obj, type) and issubclass(obj, ut.TestCase)


def _idval(value, argname, idx, idfn):
    if idfn is not None:
        try:
            s = idfn(value)
        except Exception as e:
            raise ValueError(f"error raised while trying to determine id of parameter '{argname}' at position {idx}: {e}")
        if s is not None:
            return _escape(str(s))
    if isinstance(value, str):
        return _escape(value)
    if isinstance(value, bytes):
        return _escape(value.decode("ascii", "backslashreplace"))
    if value is None or isinstance(value, (int, float, complex, bool)):
        return str(value)
    pattern = getattr(value, "pattern", None)
    if isinstance(pattern, str) and hasattr(value, "match"):
        return _escape(pattern)
    name = getattr(value, "__name__", None)
    if isinstance(name, str) and (isinstance(value, type) or callable(value)):
        return name
    cls = type(value)
    if any(b.__name__ == "Enum" for b in cls.__mro__):
        return str(value)
    return f"{argname}{idx}"


_ESCAPES = {"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"}


def _escape(text):
    """What pytest shows of a string in an id: the `unicode_escape` form, ASCII only."""
    out = []
    for c in text:
        o = ord(c)
        if c in _ESCAPES:
            out.append(_ESCAPES[c])
        elif 0x20 <= o < 0x7F:
            out.append(c)
        elif o <= 0xFF:
            out.append(f"\\x{o:02x}")
        elif o <= 0xFFFF:
            out.append(f"\\u{o:04x}")
        else:
            out.append(f"\\U{o:08x}")
    return "".join(out)


def _disambiguate(ids):
    """pytest's suffixes for repeated ids: `a0`, `a1`; `1_0`, `1_1` when the id ends in a digit."""
    counts = {}
    for i in ids:
        counts[i] = counts.get(i, 0) + 1
    seen = {}
    out = []
    for i in ids:
        if counts[i] > 1:
            n = seen.get(i, 0)
            seen[i] = n + 1
            suffix = "_" if i and i[-1].isdigit() else ""
            out.append(f"{i}{suffix}{n}")
        else:
            out.append(i)
    return out


def _parametrize(specs, mark, func, path):
    """Applies one `parametrize` mark to the parameter sets made so far."""
    if not mark.args and "argnames" not in mark.kwargs:
        raise CollectError(f"{func.__name__}: parametrize needs argument names")
    names = mark.kwargs.get("argnames", mark.args[0] if mark.args else None)
    values = mark.kwargs.get("argvalues", mark.args[1] if len(mark.args) > 1 else None)
    if values is None:
        raise CollectError(f"{func.__name__}: parametrize needs argument values")
    force_tuple = False
    if isinstance(names, str):
        names = [n.strip() for n in names.split(",") if n.strip()]
        force_tuple = len(names) == 1 and "," in mark.args[0] if mark.args else False
    else:
        names = list(names)
        force_tuple = len(names) == 1
    sets = []
    for v in values:
        if isinstance(v, pytest.ParameterSet):
            sets.append(v)
        elif len(names) == 1 and not force_tuple:
            sets.append(pytest.ParameterSet((v,), (), None))
        else:
            sets.append(pytest.ParameterSet(tuple(v), (), None))
    for s in sets:
        if len(s.values) != len(names):
            raise CollectError(
                f"{path}::{func.__name__}: in \"parametrize\" the number of names ({len(names)}):\n"
                f"  {names}\nmust be equal to the number of values ({len(s.values)}):\n  {s.values}")
    ids = mark.kwargs.get("ids")
    idfn = ids if callable(ids) else None
    labels = []
    for idx, s in enumerate(sets):
        if s.id is not None:
            labels.append(s.id)
        elif ids is not None and not callable(ids) and idx < len(ids) and ids[idx] is not None:
            labels.append(_escape(str(ids[idx])))
        else:
            labels.append("-".join(_idval(v, n, idx, idfn) for v, n in zip(s.values, names)))
    labels = _disambiguate(labels)
    if not sets:
        reason = f"got empty parameter set {names}, function {func.__name__} at {path}"
        new = []
        for base in specs:
            c = base.copy()
            for n in names:
                c.params[n] = None
            c.ids.append("NOTSET")
            c.marks.append(pytest.Mark("skip", (), {"reason": reason}))
            new.append(c)
        return new, names
    new = []
    for base in specs:
        for idx, (s, label) in enumerate(zip(sets, labels)):
            c = base.copy()
            for n, v in zip(names, s.values):
                if n in c.params:
                    raise CollectError(f"{path}::{func.__name__}: duplicate parametrization of {n!r}")
                c.params[n] = v
                c.indices[n] = idx
            c.ids.append(label)
            c.marks.extend(m.mark if isinstance(m, pytest.MarkDecorator) else m for m in s.marks)
            new.append(c)
    return new, names


class ModuleCollector:
    """Turns an imported test module into items (registering its fixtures and xunit set-ups)."""

    def __init__(self, session, path, nodeid, module, select=()):
        self.session, self.path, self.nodeid, self.module = session, path, nodeid, module
        # A node id's names below the module (`Class`, `test[param]`): only those are looked
        # at, as pytest collects nothing else of the module then.
        self.select = [n.split("[", 1)[0] for n in select]
        ini = session.config.ini
        self.python_classes = ini.get("python_classes") or ["Test"]
        self.python_functions = ini.get("python_functions") or ["test"]
        self.module_marks = marks_of(module, consider_mro=False)

    def collect(self):
        fm = self.session.fixtures
        location = Location("module", self.path)
        for fdef in xunit.module_fixtures(self.module, location):
            fm.add(fdef)
        fm.parse(self.module, location)
        return self._collect_namespace(self.module, [self.module.__dict__], None, self.nodeid, 0)

    def _is_test_function(self, obj, name):
        if not (_matches_prefix_or_glob(self.python_functions, name) or getattr(obj, "__test__", False) is True):
            return False
        if isinstance(obj, (staticmethod, classmethod)):
            obj = getattr(obj, "__func__", None)
        return callable(obj) and getattr(obj, "_pytestfixturefunction", None) is None

    def _is_test_class(self, obj, name):
        if not (_matches_prefix_or_glob(self.python_classes, name) or getattr(obj, "__test__", False) is True):
            return False
        return not inspect.isabstract(obj)

    def _collect_namespace(self, holder, dicts, cls, prefix, depth):
        seen = set()
        per_dict = []
        wanted = self.select[depth] if depth < len(self.select) else None
        for d in dicts:
            values = []
            for name, obj in list(d.items()):
                if name in _IGNORED or name in seen or (wanted is not None and name != wanted):
                    continue
                seen.add(name)
                values.extend(self._make_items(name, obj, cls, prefix))
            per_dict.append(values)
        out = []
        for values in reversed(per_dict):
            out.extend(values)
        return out

    def _make_items(self, name, obj, cls, prefix):
        if isinstance(obj, type):
            if cls is not None:
                return []  # nested classes are not collected from classes here
            if _is_unittest_case(obj):
                return self._collect_unittest(name, obj, prefix)
            if self._is_test_class(obj, name):
                if not getattr(obj, "__test__", True):
                    return []
                return self._collect_class(name, obj, prefix)
            return []
        if self._is_test_function(obj, name):
            func = getattr(obj, "__func__", obj)
            if not inspect.isfunction(func):
                self.session.warn(f"cannot collect {name!r} because it is not a function.", self.nodeid)
                return []
            if not getattr(func, "__test__", True):
                return []
            if inspect.isgeneratorfunction(func):
                raise CollectError(f"'yield' keyword is allowed in fixtures, but not in tests ({name})")
            return self._gen_functions(name, func, cls, prefix, is_static=isinstance(obj, staticmethod))
        return []

    def _collect_class(self, name, cls, prefix):
        nodeid = f"{prefix}::{name}"
        if cls.__init__ is not object.__init__:
            self.session.warn(f"cannot collect test class {cls.__name__!r} because it has a __init__ constructor "
                              f"(from: {self.nodeid})", nodeid)
            return []
        if cls.__new__ is not object.__new__:
            self.session.warn(f"cannot collect test class {cls.__name__!r} because it has a __new__ constructor "
                              f"(from: {self.nodeid})", nodeid)
            return []
        self._register_class_fixtures(cls, xunit.class_fixtures)
        dicts = [cls.__dict__] + [b.__dict__ for b in cls.__mro__]
        return self._collect_namespace(cls, dicts, cls, nodeid, 1)

    def _register_class_fixtures(self, cls, xunit_fixtures):
        """The class's xunit set-ups (registered first, as pytest does) and its own fixtures."""
        fm = self.session.fixtures
        location = Location("class", self.path, cls)
        for fdef in xunit_fixtures(cls, location):
            fm.add(fdef)
        fm.parse(cls, location, is_class=True)

    def _collect_unittest(self, name, cls, prefix):
        nodeid = f"{prefix}::{name}"
        if not getattr(cls, "__test__", True):
            return []
        self._register_class_fixtures(cls, xunit.unittest_fixtures)
        names = sorted(n for n in dir(cls) if n.startswith("test") and callable(getattr(cls, n, None)))
        if len(self.select) > 1:
            names = [n for n in names if n == self.select[1]]
        items = []
        for n in names:
            func = getattr(cls, n)
            if not getattr(func, "__test__", True):
                continue
            marks = marks_of(func) + marks_of(cls) + self.module_marks
            items.append(self._item(f"{nodeid}::{n}", n, cls, func, None, marks, unittest=True))
        return items

    def _gen_functions(self, name, func, cls, prefix, is_static=False):
        marks = marks_of(func) + (marks_of(cls) if cls is not None else []) + self.module_marks
        specs = [CallSpec()]
        direct = set()
        parametrized = False
        for m in marks:
            if m.name == "parametrize":
                specs, names = _parametrize(specs, m, func, self.nodeid)
                direct.update(names)
                parametrized = True
        args = argnames(func, is_method=cls is not None and not is_static)
        missing = [n for n in direct if n not in args and n not in self._fixture_args(func, cls, direct)]
        if missing:
            raise CollectError(f"In {name}: function uses no argument '{sorted(missing)[0]}'")
        # Parametrized fixtures multiply the sets too (after the marks, in closure order).
        probe = self._item(f"{prefix}::{name}", name, cls, func, None, marks, unittest=False)
        closure = self.session.closure_for(probe, args, direct)
        for fname in closure:
            if fname in direct:
                continue
            defs = self.session.fixtures.visible(fname, probe)
            if not defs or defs[-1].params is None:
                continue
            fdef = defs[-1]
            new = []
            for base in specs:
                for idx, value in enumerate(fdef.params):
                    c = base.copy()
                    pvalue = value.values[0] if isinstance(value, pytest.ParameterSet) else value
                    c.fixture_params[fname] = pvalue
                    c.indices[fname] = idx
                    if isinstance(value, pytest.ParameterSet) and value.id is not None:
                        c.ids.append(value.id)
                    elif fdef.ids is not None and not callable(fdef.ids):
                        c.ids.append(str(fdef.ids[idx]))
                    else:
                        c.ids.append(_idval(pvalue, fname, idx, fdef.ids if callable(fdef.ids) else None))
                    if isinstance(value, pytest.ParameterSet):
                        c.marks.extend(m.mark if isinstance(m, pytest.MarkDecorator) else m for m in value.marks)
                    new.append(c)
            specs = new
            parametrized = True
        if not parametrized:
            return [probe]
        items = []
        for spec in specs:
            nid = f"{prefix}::{name}[{spec.id}]"
            items.append(self._item(nid, f"{name}[{spec.id}]", cls, func, spec, spec.marks + marks, unittest=False))
        return items

    def _fixture_args(self, func, cls, direct):
        # parametrize may also name an argument of a fixture the test uses.
        probe = self._item("", func.__name__, cls, func, None, [], unittest=False)
        return self.session.closure_for(probe, argnames(func, cls is not None), set())

    def _item(self, nodeid, name, cls, func, callspec, marks, unittest):
        parts = [p for p in self.nodeid.split("/") if p]
        chain = parts + ([cls.__name__] if cls is not None else []) + [name]
        item = Item(nodeid, name, self.path, self.module, cls, func, callspec, marks, unittest, chain)
        item.package_dirs = self.session.package_dirs(self.path)
        return item
