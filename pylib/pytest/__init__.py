"""The part of pytest's API that tests run by `codexvm test` use: `raises`, `fixture`,
`mark.parametrize`, `mark.skip`/`skipif`, `skip`, `fail`, `approx`."""

import re as _re


class _Outcome(BaseException):
    """Raised by skip()/fail() to end a test early."""

    def __init__(self, msg=""):
        super().__init__(msg)
        self.msg = msg


class Skipped(_Outcome):
    pass


class Failed(_Outcome):
    pass


def skip(reason=""):
    raise Skipped(reason)


def fail(reason="", pytrace=True):
    raise Failed(reason)


class ExceptionInfo:
    """What `pytest.raises` caught: `.type`, `.value`, `.match(regex)`."""

    def __init__(self):
        self.type = None
        self.value = None
        self.tb = None

    def match(self, regexp):
        if not _re.search(regexp, str(self.value)):
            raise AssertionError(f"Regex pattern {regexp!r} does not match {str(self.value)!r}.")
        return True

    def __repr__(self):
        return f"<ExceptionInfo {self.type.__name__ if self.type else None}: {self.value!r}>"


class _Raises:
    def __init__(self, expected, match=None):
        self.expected = expected
        self.match_expr = match
        self.excinfo = ExceptionInfo()

    def __enter__(self):
        return self.excinfo

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            names = self.expected.__name__ if isinstance(self.expected, type) else \
                " or ".join(e.__name__ for e in self.expected)
            raise Failed(f"DID NOT RAISE {names}")
        if not issubclass(exc_type, self.expected):
            return False
        self.excinfo.type, self.excinfo.value, self.excinfo.tb = exc_type, exc, tb
        if self.match_expr is not None:
            self.excinfo.match(self.match_expr)
        return True


def raises(expected_exception, *args, match=None, **kwargs):
    """`with pytest.raises(E, match=...)` or `pytest.raises(E, func, *args)`."""
    ctx = _Raises(expected_exception, match)
    if args:
        func, rest = args[0], args[1:]
        with ctx:
            func(*rest, **kwargs)
        return ctx.excinfo
    return ctx


class _Fixture:
    def __init__(self, func, autouse=False, scope="function", name=None, params=None):
        self.func = func
        self.autouse = autouse
        self.scope = scope
        self.name = name or func.__name__
        self.params = params


def fixture(func=None, *, autouse=False, scope="function", name=None, params=None):
    """Marks a fixture (function scope; `yield` fixtures tear down after the test)."""
    def wrap(f):
        f._codexvm_fixture = _Fixture(f, autouse, scope, name, params)
        return f
    return wrap(func) if func is not None else wrap


class _Mark:
    def __init__(self, name, args, kwargs):
        self.name, self.args, self.kwargs = name, args, kwargs

    def __call__(self, func):
        func.__dict__.setdefault("_codexvm_marks", []).append(self)
        return func


class _MarkFactory:
    def __getattr__(self, name):
        def make(*args, **kwargs):
            if len(args) == 1 and callable(args[0]) and not kwargs and name not in ("parametrize", "skipif"):
                return _Mark(name, (), {})(args[0])
            return _Mark(name, args, kwargs)
        return make


mark = _MarkFactory()


class approx:
    """Compare numbers (or sequences of numbers) within a tolerance."""

    def __init__(self, expected, rel=None, abs=None):
        self.expected, self.rel, self.abs = expected, rel, abs

    def _close(self, a, b):
        rel = 1e-6 if self.rel is None else self.rel
        tol = 1e-12 if self.abs is None else self.abs
        return a == b or abs(a - b) <= max(rel * abs(b), tol)

    def __eq__(self, actual):
        if isinstance(self.expected, (list, tuple)):
            return len(actual) == len(self.expected) and all(self._close(a, b) for a, b in zip(actual, self.expected))
        return self._close(actual, self.expected)

    def __repr__(self):
        return f"approx({self.expected!r})"
