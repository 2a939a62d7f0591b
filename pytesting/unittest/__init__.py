"""A compact `unittest` for tests run by `codexvm test`: `TestCase` with the usual assertion
methods, `setUp`/`tearDown`, `setUpClass`/`tearDownClass`, `addCleanup`, `subTest`,
`skip`/`skipIf`/`expectedFailure`, `SkipTest`. The runner (codexvm_testing) calls them in the
order pytest does for unittest classes."""

import re as _re


class SkipTest(Exception):
    pass


def skip(reason):
    def wrap(f):
        f.__unittest_skip__ = True
        f.__unittest_skip_why__ = reason
        return f
    return wrap


def skipIf(condition, reason):
    return skip(reason) if condition else (lambda f: f)


def skipUnless(condition, reason):
    return (lambda f: f) if condition else skip(reason)


def expectedFailure(f):
    f.__unittest_expecting_failure__ = True
    return f


class _AssertRaises:
    def __init__(self, expected, regex=None):
        self.expected, self.regex, self.exception = expected, regex, None

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            name = getattr(self.expected, "__name__", str(self.expected))
            raise AssertionError(f"{name} not raised")
        if not issubclass(exc_type, self.expected):
            return False
        self.exception = exc
        if self.regex is not None and not _re.search(self.regex, str(exc)):
            raise AssertionError(f'"{self.regex}" does not match "{exc}"')
        return True


class _SubTest:
    """`with self.subTest(...)`: a failure inside is recorded and the test goes on."""

    def __init__(self, case, msg, params):
        self.case, self.msg, self.params = case, msg, params

    def description(self):
        parts = [] if self.msg is None else [f"[{self.msg}]"]
        if self.params:
            parts.append("(" + ", ".join(f"{k}={v!r}" for k, v in self.params.items()) + ")")
        return " ".join(parts) or "(<subtest>)"

    def __enter__(self):
        return None

    def __exit__(self, exc_type, exc, tb):
        if exc_type is not None and issubclass(exc_type, SkipTest):
            return False
        if exc_type is not None and not issubclass(exc_type, Exception):
            return False
        self.case._subtest_results.append((self.description(), None if exc_type is None else (exc_type, exc, tb)))
        return True


class TestCase:
    """Base class of unittest-style tests."""

    maxDiff = 640
    failureException = AssertionError

    def __init__(self, methodName="runTest"):
        self._testMethodName = methodName
        self._cleanups = []
        self._subtest_results = []  # (description, None | (exc_type, exc, tb)), filled by subTest

    def addCleanup(self, function, /, *args, **kwargs):
        self._cleanups.append((function, args, kwargs))

    def doCleanups(self):
        """Runs the cleanups, last added first; re-raises the first error after running all."""
        error = None
        while self._cleanups:
            function, args, kwargs = self._cleanups.pop()
            try:
                function(*args, **kwargs)
            except Exception as e:
                error = error or e
        if error is not None:
            raise error

    def subTest(self, msg=None, **params):
        return _SubTest(self, msg, params)

    def id(self):
        return f"{type(self).__module__}.{type(self).__qualname__}.{self._testMethodName}"

    def setUp(self):
        pass

    def tearDown(self):
        pass

    @classmethod
    def setUpClass(cls):
        pass

    @classmethod
    def tearDownClass(cls):
        pass

    def skipTest(self, reason):
        raise SkipTest(reason)

    def fail(self, msg=None):
        raise AssertionError(msg)

    def _fail(self, default, msg):
        raise AssertionError(default if msg is None else f"{default} : {msg}")

    def assertEqual(self, first, second, msg=None):
        if not first == second:
            self._fail(f"{first!r} != {second!r}", msg)

    assertEquals = assertEqual

    def assertNotEqual(self, first, second, msg=None):
        if not first != second:
            self._fail(f"{first!r} == {second!r}", msg)

    def assertTrue(self, expr, msg=None):
        if not expr:
            self._fail(f"{expr!r} is not true", msg)

    def assertFalse(self, expr, msg=None):
        if expr:
            self._fail(f"{expr!r} is not false", msg)

    def assertIs(self, a, b, msg=None):
        if a is not b:
            self._fail(f"{a!r} is not {b!r}", msg)

    def assertIsNot(self, a, b, msg=None):
        if a is b:
            self._fail(f"unexpectedly identical: {a!r}", msg)

    def assertIsNone(self, obj, msg=None):
        if obj is not None:
            self._fail(f"{obj!r} is not None", msg)

    def assertIsNotNone(self, obj, msg=None):
        if obj is None:
            self._fail("unexpectedly None", msg)

    def assertIn(self, member, container, msg=None):
        if member not in container:
            self._fail(f"{member!r} not found in {container!r}", msg)

    def assertNotIn(self, member, container, msg=None):
        if member in container:
            self._fail(f"{member!r} unexpectedly found in {container!r}", msg)

    def assertIsInstance(self, obj, cls, msg=None):
        if not isinstance(obj, cls):
            self._fail(f"{obj!r} is not an instance of {cls!r}", msg)

    def assertNotIsInstance(self, obj, cls, msg=None):
        if isinstance(obj, cls):
            self._fail(f"{obj!r} is an instance of {cls!r}", msg)

    def assertGreater(self, a, b, msg=None):
        if not a > b:
            self._fail(f"{a!r} not greater than {b!r}", msg)

    def assertGreaterEqual(self, a, b, msg=None):
        if not a >= b:
            self._fail(f"{a!r} not greater than or equal to {b!r}", msg)

    def assertLess(self, a, b, msg=None):
        if not a < b:
            self._fail(f"{a!r} not less than {b!r}", msg)

    def assertLessEqual(self, a, b, msg=None):
        if not a <= b:
            self._fail(f"{a!r} not less than or equal to {b!r}", msg)

    def assertAlmostEqual(self, first, second, places=7, msg=None, delta=None):
        if first == second:
            return
        if delta is not None:
            if abs(first - second) <= delta:
                return
            self._fail(f"{first!r} != {second!r} within {delta!r} delta", msg)
        if round(abs(second - first), places) == 0:
            return
        self._fail(f"{first!r} != {second!r} within {places} places", msg)

    def assertCountEqual(self, first, second, msg=None):
        if sorted(map(repr, first)) != sorted(map(repr, second)):
            self._fail(f"Element counts were not equal: {first!r} vs {second!r}", msg)

    def assertDictEqual(self, d1, d2, msg=None):
        self.assertEqual(d1, d2, msg)

    def assertListEqual(self, l1, l2, msg=None):
        self.assertEqual(l1, l2, msg)

    def assertRegex(self, text, regex, msg=None):
        if not _re.search(regex, text):
            self._fail(f"Regex didn't match: {regex!r} not found in {text!r}", msg)

    def assertRaises(self, expected, *args, **kwargs):
        ctx = _AssertRaises(expected)
        if not args:
            return ctx
        with ctx:
            args[0](*args[1:], **kwargs)

    def assertRaisesRegex(self, expected, regex, *args, **kwargs):
        ctx = _AssertRaises(expected, regex)
        if not args:
            return ctx
        with ctx:
            args[0](*args[1:], **kwargs)


def main(*args, **kwargs):
    """Tests run through `codexvm test`; calling main() does nothing."""
