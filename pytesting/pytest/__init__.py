"""The part of pytest's API that test files run by `codexvm test` use: `fixture`, `mark`
(`parametrize`, `skip`, `skipif`, `xfail`, `usefixtures`, custom marks), `param`, `raises`,
`approx`, `skip`, `fail`, `xfail`, `importorskip`, and the warning and outcome classes.

Marks are stored as pytest stores them (a `pytestmark` list on the function, class or module),
fixtures carry a `_pytestfixturefunction` definition; codexvm_testing reads both."""

import re as _re


class OutcomeException(BaseException):
    """Ends a test (or its collection) early with an outcome other than an error."""

    def __init__(self, msg="", pytrace=True):
        super().__init__(msg)
        self.msg = msg
        self.pytrace = pytrace

    def __str__(self):
        return self.msg


class Skipped(OutcomeException):
    """The test is skipped."""

    def __init__(self, msg="", pytrace=True, allow_module_level=False):
        super().__init__(msg, pytrace)
        self.allow_module_level = allow_module_level


class Failed(OutcomeException):
    """The test failed explicitly."""


class XFailed(Failed):
    """The test failed as expected (`pytest.xfail`)."""


def skip(reason="", *, allow_module_level=False):
    """Skips the running test (or, with `allow_module_level=True`, the module being collected)."""
    raise Skipped(reason, allow_module_level=allow_module_level)


def fail(reason="", pytrace=True):
    """Fails the running test with `reason`."""
    raise Failed(reason, pytrace)


def xfail(reason=""):
    """Marks the running test as an expected failure and ends it."""
    raise XFailed(reason)


skip.Exception = Skipped
fail.Exception = Failed
xfail.Exception = XFailed


def importorskip(modname, minversion=None, reason=None):
    """Imports and returns `modname`, or skips the test (or module) when it cannot be imported."""
    import importlib

    try:
        module = importlib.import_module(modname)
    except ImportError as e:
        raise Skipped(reason or f"could not import {modname!r}: {e}", allow_module_level=True) from None
    if minversion is not None:
        have = getattr(module, "__version__", None)
        if have is None or _version_key(have) < _version_key(minversion):
            raise Skipped(f"module {modname!r} has __version__ {have!r}, required is: {minversion!r}",
                          allow_module_level=True)
    return module


def _version_key(text):
    return [int(p) if p.isdigit() else p for p in _re.split(r"[.\-]", str(text))]


class PytestWarning(UserWarning):
    """Base class of the warnings the test runner issues."""


class PytestCollectionWarning(PytestWarning):
    """A test file, class or function could not be collected."""


class ExceptionInfo:
    """What `pytest.raises` caught: `.type`, `.value`, `.tb`, `.typename`, `.match(regex)`."""

    def __init__(self):
        self.type = None
        self.value = None
        self.tb = None

    @property
    def typename(self):
        return self.type.__name__ if self.type else None

    def errisinstance(self, exc):
        return isinstance(self.value, exc)

    def match(self, regexp):
        value = str(self.value)
        if not _re.search(regexp, value):
            raise AssertionError(f"Regex pattern did not match.\n Regex: {regexp!r}\n Input: {value!r}")
        return True

    def __repr__(self):
        if self.type is None:
            return "<ExceptionInfo for raises contextmanager>"
        return f"<ExceptionInfo {self.type.__name__}({self.value!r}) tblen={_tblen(self.tb)}>"


def _tblen(tb):
    n = 0
    while tb is not None:
        n, tb = n + 1, tb.tb_next
    return n


class RaisesContext:
    """`with pytest.raises(...)`: fails with "DID NOT RAISE" when nothing is raised."""

    def __init__(self, expected, match=None):
        types = expected if isinstance(expected, tuple) else (expected,)
        for t in types:
            if not (isinstance(t, type) and issubclass(t, BaseException)):
                raise TypeError(f"expected exception must be a BaseException type, not {type(t).__name__}")
        self.expected = types
        self.match_expr = match
        self.excinfo = ExceptionInfo()

    def __enter__(self):
        return self.excinfo

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            names = " or ".join(repr(t) for t in self.expected) if len(self.expected) > 1 \
                else repr(self.expected[0])
            raise Failed(f"DID NOT RAISE {names}")
        if not issubclass(exc_type, self.expected):
            return False
        self.excinfo.type, self.excinfo.value, self.excinfo.tb = exc_type, exc, tb
        if self.match_expr is not None:
            self.excinfo.match(self.match_expr)
        return True


def raises(expected_exception, *args, match=None, **kwargs):
    """`with pytest.raises(E, match=...)` or `pytest.raises(E, func, *args, **kwargs)`."""
    ctx = RaisesContext(expected_exception, match)
    if args:
        func, rest = args[0], args[1:]
        if not callable(func):
            raise TypeError(f"{func!r} object (type: {type(func)}) must be callable")
        with ctx:
            func(*rest, **kwargs)
        return ctx.excinfo
    if kwargs:
        raise TypeError(f"Unexpected keyword arguments passed to pytest.raises: {', '.join(sorted(kwargs))}")
    return ctx


SCOPES = ("session", "package", "module", "class", "function")


class FixtureFunctionDefinition:
    """What `@pytest.fixture` records about a fixture function."""

    def __init__(self, func, scope, params, autouse, ids, name):
        if scope not in SCOPES:
            raise ValueError(f"fixture {name or func.__name__!r} has an unknown scope {scope!r} "
                             f"(one of {', '.join(SCOPES)})")
        self.func = func
        self.scope = scope
        self.params = None if params is None else list(params)
        self.autouse = autouse
        self.ids = ids
        self.name = name or func.__name__


def fixture(fixture_function=None, *, scope="function", params=None, autouse=False, ids=None, name=None):
    """Declares a fixture: a function whose value (or first `yield`) tests receive by naming it."""

    def wrap(func):
        if getattr(func, "_pytestfixturefunction", None) is not None:
            raise ValueError(f"@pytest.fixture is being applied more than once to the same function {func.__name__!r}")
        func._pytestfixturefunction = FixtureFunctionDefinition(func, scope, params, autouse, ids, name)
        return func

    if fixture_function is not None and callable(fixture_function):
        return wrap(fixture_function)
    return wrap


yield_fixture = fixture


class Mark:
    """A mark: its name, positional and keyword arguments."""

    def __init__(self, name, args, kwargs):
        self.name, self.args, self.kwargs = name, tuple(args), dict(kwargs)

    def __repr__(self):
        return f"Mark(name={self.name!r}, args={self.args!r}, kwargs={self.kwargs!r})"


def _store_mark(obj, mark):
    own = obj.__dict__.get("pytestmark", []) if hasattr(obj, "__dict__") else []
    own = list(own) if isinstance(own, (list, tuple)) else [own]
    obj.pytestmark = [*own, mark]


class MarkDecorator:
    """`pytest.mark.NAME(...)`: applied to a function or class, it stores the mark on it."""

    def __init__(self, mark):
        self.mark = mark

    @property
    def name(self):
        return self.mark.name

    @property
    def args(self):
        return self.mark.args

    @property
    def kwargs(self):
        return self.mark.kwargs

    def with_args(self, *args, **kwargs):
        return MarkDecorator(Mark(self.mark.name, self.mark.args + args, {**self.mark.kwargs, **kwargs}))

    def __call__(self, *args, **kwargs):
        if args and not kwargs and len(args) == 1 and (isinstance(args[0], type) or callable(args[0])) \
                and not isinstance(args[0], (str, bytes)):
            _store_mark(args[0], self.mark)
            return args[0]
        return self.with_args(*args, **kwargs)

    def __repr__(self):
        return f"<MarkDecorator {self.mark!r}>"


class MarkGenerator:
    """`pytest.mark`: any attribute is a mark of that name."""

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        return MarkDecorator(Mark(name, (), {}))


mark = MarkGenerator()


class ParameterSet:
    """One set of values of `parametrize` (`pytest.param(*values, id=..., marks=...)`)."""

    def __init__(self, values, marks, id):
        self.values, self.marks, self.id = tuple(values), marks, id


def param(*values, marks=(), id=None):
    """One parameter set with its own id and marks."""
    if isinstance(marks, MarkDecorator):
        marks = (marks,)
    if id is not None and not isinstance(id, str):
        raise TypeError(f"Expected id to be a string, got {type(id)}: {id!r}")
    return ParameterSet(values, tuple(marks), id)


class approx:
    """Compares numbers (or sequences and dicts of numbers) within a tolerance."""

    def __init__(self, expected, rel=None, abs=None, nan_ok=False):
        self.expected, self.rel, self.abs, self.nan_ok = expected, rel, abs, nan_ok

    def _tolerance(self, b):
        absolute = 1e-12 if self.abs is None else self.abs
        relative = 1e-6 if self.rel is None else self.rel
        if self.rel is None and self.abs is not None:
            return absolute
        return max(relative * _abs(b), absolute)

    def _close(self, a, b):
        if a == b:
            return True
        if not (isinstance(a, (int, float, complex)) and isinstance(b, (int, float, complex))):
            return False
        if a != a or b != b:
            return self.nan_ok and a != a and b != b
        return _abs(a - b) <= self._tolerance(b)

    def __eq__(self, actual):
        e = self.expected
        if isinstance(e, dict):
            return isinstance(actual, dict) and actual.keys() == e.keys() and all(self._close(actual[k], e[k]) for k in e)
        if isinstance(e, (list, tuple)):
            try:
                return len(actual) == len(e) and all(self._close(a, b) for a, b in zip(actual, e))
            except TypeError:
                return False
        return self._close(actual, e)

    __hash__ = None

    def __ne__(self, actual):
        return not self == actual

    def __repr__(self):
        return f"approx({self.expected!r})"


_abs = abs
