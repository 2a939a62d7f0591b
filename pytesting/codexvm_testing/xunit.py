"""xunit-style set-up as pytest runs it: `setup_module`/`teardown_module` (or `setUpModule`/
`tearDownModule`), `setup_function`/`teardown_function`, `setup_class`/`teardown_class`,
`setup_method`/`teardown_method`, and unittest's `setUpClass`/`tearDownClass`, each made an
autouse fixture of its scope, so an error in set-up is an error of each test it covers and an
error in teardown one of the last."""

import inspect

import pytest

from .fixturedefs import FixtureDef


def _first_plain(holder, names):
    """The first of `names` on `holder` that is set and is not a fixture."""
    for name in names:
        meth = getattr(holder, name, None)
        if meth is not None and getattr(getattr(meth, "__func__", meth), "_pytestfixturefunction", None) is None:
            return meth
    return None


def call_optional(func, arg):
    """Calls `func(arg)` when it takes an argument (not counting a bound method's self), else `func()`."""
    code = getattr(getattr(func, "__func__", func), "__code__", None)
    count = code.co_argcount if code is not None else 1
    if inspect.ismethod(func):
        count -= 1
    if count:
        func(arg)
    else:
        func()


def _unbound(meth):
    """The plain function of a classmethod or staticmethod read from a class."""
    return getattr(meth, "__func__", meth)


def _fixture(name, scope, body, location):
    """An autouse fixture whose generator body runs the set-up, yields, and runs the teardown."""
    def fixture(request):
        yield from body(request)
    fixture.__name__ = name
    return FixtureDef(name, fixture, scope, None, None, True, location)


def module_fixtures(module, location):
    """The module's setup_module/teardown_module and setup_function/teardown_function fixtures."""
    out = []
    setup_m = _first_plain(module, ("setUpModule", "setup_module"))
    teardown_m = _first_plain(module, ("tearDownModule", "teardown_module"))
    if setup_m is not None or teardown_m is not None:
        def body(request):
            if setup_m is not None:
                call_optional(setup_m, request.module)
            yield
            if teardown_m is not None:
                call_optional(teardown_m, request.module)
        out.append(_fixture(f"_xunit_setup_module_fixture_{module.__name__}", "module", body, location))
    setup_f = _first_plain(module, ("setup_function",))
    teardown_f = _first_plain(module, ("teardown_function",))
    if setup_f is not None or teardown_f is not None:
        def body(request):
            if request.instance is not None:  # methods have setup_method
                yield
                return
            if setup_f is not None:
                call_optional(setup_f, request.function)
            yield
            if teardown_f is not None:
                call_optional(teardown_f, request.function)
        out.append(_fixture(f"_xunit_setup_function_fixture_{module.__name__}", "function", body, location))
    return out


def class_fixtures(cls, location):
    """The class's setup_class/teardown_class and setup_method/teardown_method fixtures."""
    return _class_fixtures(cls, location) + _method_fixtures(cls, location)


def _class_fixtures(cls, location):
    setup_c = _first_plain(cls, ("setup_class",))
    teardown_c = _first_plain(cls, ("teardown_class",))
    if setup_c is None and teardown_c is None:
        return []

    def body(request):
        if setup_c is not None:
            call_optional(_unbound(setup_c), cls)
        yield
        if teardown_c is not None:
            call_optional(_unbound(teardown_c), cls)
    return [_fixture(f"_xunit_setup_class_fixture_{cls.__qualname__}", "class", body, location)]


def _method_fixtures(cls, location):
    setup_name, teardown_name = "setup_method", "teardown_method"
    has_setup = _first_plain(cls, (setup_name,)) is not None
    has_teardown = _first_plain(cls, (teardown_name,)) is not None
    if not (has_setup or has_teardown):
        return []

    def body(request):
        method = request.function
        if has_setup:
            call_optional(getattr(request.instance, setup_name), method)
        yield
        if has_teardown:
            call_optional(getattr(request.instance, teardown_name), method)
    return [_fixture(f"_xunit_setup_method_fixture_{cls.__qualname__}", "function", body, location)]


def unittest_fixtures(cls, location):
    """setUpClass/tearDownClass (and class-level skips) of a unittest.TestCase, plus pytest's
    setup_method/teardown_method and setup_class/teardown_class, which pytest also honours there."""
    out = []
    setup = getattr(cls, "setUpClass", None)
    teardown = getattr(cls, "tearDownClass", None)

    def body(request):
        if getattr(cls, "__unittest_skip__", False):
            raise pytest.skip.Exception(getattr(cls, "__unittest_skip_why__", ""))
        if setup is not None:
            setup()
        yield
        if teardown is not None:
            teardown()
    out.append(_fixture(f"_unittest_setUpClass_fixture_{cls.__qualname__}", "class", body, location))
    return out + _method_fixtures(cls, location) + _class_fixtures(cls, location)
