"""The Python side of `codexvm test`: collecting tests (pytest and unittest style) and running
one at a time. The Rust side gives every test a fresh, empty store and reports the results.

Test files, conftest.py files and their helper modules are handed over as sources (the
interpreter has no file system) and imported through a finder that serves them.
"""

import ast
import sys
import traceback
import types

import pytest
import unittest

import _codexvm
from codexvm_testing import fixtures as _builtin_fixtures


class _SourceFinder:
    """Imports modules from the sources given to the session (by file stem or package path)."""

    def __init__(self, modules):
        self.modules = modules  # name -> (path, source, is_package)

    def find_spec(self, name, path=None, target=None):
        if name not in self.modules:
            return None
        import importlib.machinery
        path_, _source, is_pkg = self.modules[name]
        spec = importlib.machinery.ModuleSpec(name, self, origin=path_, is_package=is_pkg)
        if is_pkg:
            spec.submodule_search_locations = []
        return spec

    def create_module(self, spec):
        return None

    def exec_module(self, module):
        path_, source, _ = self.modules[module.__name__]
        module.__file__ = path_
        exec(compile(source, path_, "exec"), module.__dict__)


def _module_names(sources):
    """Module names for every source file: its stem, or a dotted path inside packages."""
    dirs_with_init = {p.rsplit("/", 1)[0] for p in sources if p.endswith("/__init__.py")}
    names = {}
    for path, source in sources.items():
        parts = path.split("/")
        stem = parts[-1][:-3]
        is_pkg = stem == "__init__"
        d = "/".join(parts[:-1])
        chain = [] if is_pkg else [stem]
        while d in dirs_with_init:
            chain.insert(0, d.rsplit("/", 1)[-1])
            d = d.rsplit("/", 1)[0] if "/" in d else ""
        if chain:
            names[".".join(chain)] = (path, source, is_pkg)
    return names


class Item:
    """One runnable test."""

    def __init__(self, nodeid, func, module, cls=None, params=None, fixtures_scope=None):
        self.nodeid = nodeid
        self.func = func
        self.module = module
        self.cls = cls
        self.params = params or {}
        self.scope = fixtures_scope or {}
        marks = getattr(func, "_codexvm_marks", [])
        self.skip_reason = None
        for m in marks:
            if m.name == "skip":
                self.skip_reason = m.kwargs.get("reason", m.args[0] if m.args else "skipped")
            if m.name == "skipif" and m.args and m.args[0]:
                self.skip_reason = m.kwargs.get("reason", "condition true")
        unittest_skip = getattr(func, "__unittest_skip__", None)
        if unittest_skip:
            self.skip_reason = unittest_skip


def _argnames(func, bound):
    code = getattr(func, "__code__", None)
    if code is None:
        return []
    names = list(code.co_varnames[: code.co_argcount + code.co_kwonlyargcount])
    if bound and names:
        names = names[1:]
    return names


def _parametrize(func):
    """The parameter sets of `@pytest.mark.parametrize` marks (their cross product)."""
    sets = [({}, "")]
    for mark in reversed(getattr(func, "_codexvm_marks", [])):
        if mark.name != "parametrize":
            continue
        names, values = mark.args[0], mark.args[1]
        names = [n.strip() for n in names.split(",")] if isinstance(names, str) else list(names)
        ids = mark.kwargs.get("ids")
        new = []
        for base, base_id in sets:
            for i, v in enumerate(values):
                vals = v if len(names) > 1 else (v,)
                p = dict(base)
                p.update(zip(names, vals))
                label = ids[i] if ids else "-".join(_id_of(x) for x in vals)
                new.append((p, base_id + "-" + label if base_id else label))
        sets = new
    return sets


def _id_of(v):
    if isinstance(v, (str, int, float, bool)) or v is None:
        return str(v)
    return type(v).__name__


class Session:
    """A test session over the given sources."""

    def __init__(self, sources, test_files, keyword=None):
        self.sources = dict(sources)
        self.test_files = list(test_files)
        self.keyword = keyword
        self.items = []
        self.finder = _SourceFinder(_module_names(self.sources))
        sys.meta_path.insert(0, self.finder)
        import linecache
        for path, src in self.sources.items():
            linecache.cache[path] = (len(src), None, src.splitlines(True), path)
        self.conftests = {}

    def _conftest_fixtures(self, path):
        """Fixtures of every conftest.py from the top down to the test file's directory."""
        parts = path.split("/")[:-1]
        found = {}
        for i in range(len(parts) + 1):
            c = "/".join(parts[:i] + ["conftest.py"])
            if c in self.sources:
                if c not in self.conftests:
                    mod = types.ModuleType("conftest_" + str(len(self.conftests)))
                    mod.__file__ = c
                    exec(compile(self.sources[c], c, "exec"), mod.__dict__)
                    self.conftests[c] = _fixtures_in(mod.__dict__)
                found.update(self.conftests[c])
        return found

    def collect(self):
        """Imports each test file and returns the node ids of its tests."""
        errors = []
        for path in self.test_files:
            try:
                scope = dict(_builtin_fixtures.FIXTURES)
                scope.update(self._conftest_fixtures(path))
                name = path.rsplit("/", 1)[-1][:-3]
                module = types.ModuleType(name)
                module.__file__ = path
                sys.modules[name] = module
                exec(compile(self.sources[path], path, "exec"), module.__dict__)
                scope.update(_fixtures_in(module.__dict__))
                self._collect_module(path, module, scope)
            except BaseException:
                errors.append((path, traceback.format_exc()))
        if self.keyword:
            self.items = [i for i in self.items if _keyword_match(self.keyword, i.nodeid)]
        return [i.nodeid for i in self.items], [p for p, _ in errors], [t for _, t in errors]

    def _collect_module(self, path, module, scope):
        for name, obj in list(module.__dict__.items()):
            if name.startswith("test") and callable(obj) and isinstance(obj, types.FunctionType) \
                    and getattr(obj, "__module__", None) in (module.__name__, None):
                self._add(path + "::" + name, obj, module, None, scope)
            elif isinstance(obj, type) and getattr(obj, "__module__", None) == module.__name__:
                is_case = issubclass(obj, unittest.TestCase)
                if not (is_case or name.startswith("Test")):
                    continue
                if not is_case and "__init__" in obj.__dict__:
                    continue
                for attr in sorted(dir(obj)):
                    if attr.startswith("test") and callable(getattr(obj, attr)):
                        self._add(f"{path}::{name}::{attr}", getattr(obj, attr), module, obj, scope)

    def _add(self, nodeid, func, module, cls, scope):
        for params, label in _parametrize(func):
            nid = f"{nodeid}[{label}]" if label else nodeid
            self.items.append(Item(nid, func, module, cls, params, scope))

    def run(self, index):
        """Runs test `index`; returns `(outcome, message)` with outcome passed/failed/skipped."""
        item = self.items[index]
        if item.skip_reason is not None:
            return "skipped", str(item.skip_reason)
        _codexvm.begin_execution()
        teardowns = []
        instance = None
        try:
            values = {}
            for fx_name, fx in item.scope.items():
                if fx.autouse:
                    _resolve(fx_name, item.scope, values, teardowns, item)
            if item.cls is not None:
                instance = item.cls(item.func.__name__) if issubclass(item.cls, unittest.TestCase) else item.cls()
                for hook in ("setup_method",):
                    if hasattr(instance, hook):
                        getattr(instance, hook)(item.func)
                if hasattr(instance, "setUp"):
                    instance.setUp()
                call = getattr(instance, item.func.__name__)
                names = _argnames(item.func, bound=True)
            else:
                call = item.func
                names = _argnames(item.func, bound=False)
            kwargs = {}
            for n in names:
                if n in item.params:
                    kwargs[n] = item.params[n]
                else:
                    kwargs[n] = _resolve(n, item.scope, values, teardowns, item)
            expect_fail = getattr(item.func, "__unittest_expecting_failure__", False)
            try:
                call(**kwargs)
            except AssertionError:
                if expect_fail:
                    return "passed", "expected failure"
                raise
            if expect_fail:
                return "failed", "unexpected success"
            return "passed", ""
        except (pytest.Skipped, unittest.SkipTest) as e:
            return "skipped", str(e)
        except pytest.Failed as e:
            return "failed", e.msg
        except AssertionError as e:
            return "failed", _explain_assertion(e, self.sources)
        except BaseException:
            return "failed", traceback.format_exc()
        finally:
            if instance is not None:
                try:
                    if hasattr(instance, "tearDown"):
                        instance.tearDown()
                    if hasattr(instance, "teardown_method"):
                        instance.teardown_method(item.func)
                except BaseException:
                    pass
            for gen in reversed(teardowns):
                try:
                    next(gen)
                except StopIteration:
                    pass
                except BaseException:
                    pass


def _fixtures_in(namespace):
    return {fx.name: fx for fx in (getattr(v, "_codexvm_fixture", None) for v in namespace.values()) if fx}


def _resolve(name, scope, values, teardowns, item):
    if name in values:
        return values[name]
    if name == "request":
        return _Request(item)
    fx = scope.get(name)
    if fx is None:
        raise LookupError(f"fixture '{name}' not found (available: {', '.join(sorted(scope))})")
    kwargs = {}
    for n in _argnames(fx.func, bound=False):
        kwargs[n] = _resolve(n, scope, values, teardowns, item)
    result = fx.func(**kwargs)
    if isinstance(result, types.GeneratorType):
        teardowns.append(result)
        result = next(result)
    values[name] = result
    return result


class _Request:
    def __init__(self, item):
        self.node = item
        self.function = item.func
        self.cls = item.cls
        self.module = item.module
        self.param = None


def _keyword_match(expr, nodeid):
    """`-k` expressions: words, `and`, `or`, `not`, parentheses (substring match on the id)."""
    tokens = expr.replace("(", " ( ").replace(")", " ) ").split()
    code = []
    for t in tokens:
        if t in ("and", "or", "not", "(", ")"):
            code.append(t)
        else:
            code.append(repr(t.lower()) + " in _id")
    try:
        return bool(eval(" ".join(code), {"_id": nodeid.lower()}))
    except SyntaxError:
        return expr.lower() in nodeid.lower()


def _explain_assertion(exc, sources):
    """The failing assert with its operands' values (by re-evaluating them in the frame)."""
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    if exc.args:
        head = f"AssertionError: {exc.args[0]}"
    else:
        head = "AssertionError"
    if tb is None:
        return head
    frame, line = tb.tb_frame, tb.tb_lineno
    filename = frame.f_code.co_filename
    where = f"{filename}:{line}"
    source = sources.get(filename)
    if source is None:
        return f"{where}: {head}"
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return f"{where}: {head}"
    for node in ast.walk(tree):
        if isinstance(node, ast.Assert) and node.lineno <= line <= (node.end_lineno or node.lineno):
            text = ast.get_source_segment(source, node) or ""
            detail = ""
            test = node.test
            if isinstance(test, ast.Compare) and len(test.ops) == 1:
                try:
                    env = dict(frame.f_globals)
                    env.update(frame.f_locals)
                    left = eval(ast.get_source_segment(source, test.left), env)
                    right = eval(ast.get_source_segment(source, test.comparators[0]), env)
                    op = {ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=",
                          ast.In: "in", ast.NotIn: "not in", ast.Is: "is", ast.IsNot: "is not"}.get(type(test.ops[0]), "?")
                    detail = f"\n  where: {left!r} {op} {right!r}"
                except BaseException:
                    pass
            return f"{where}: {head}\n  {text}{detail}"
    return f"{where}: {head}"
