"""A test session as pytest runs one: conftest.py files loaded from the rootdir's side down to
each argument, collection of the arguments, `-k` selection, then every test in order with its
scopes entered and left, each outcome reported as soon as it is known."""

import sys
import traceback

import pytest

from . import fs, importing
from .collection import DEFAULT_NORECURSE, CollectError, ModuleCollector
from .explain import KeywordError, keyword_matcher, user_traceback
from .fixturedefs import FixtureManager, Location, argnames
from . import runner


class UsageError(Exception):
    """The command line or configuration cannot be run (pytest's exit status 4)."""


class ConftestError(Exception):
    """A conftest.py failed to import."""

    def __init__(self, path, exc):
        super().__init__(path)
        self.path, self.exc = path, exc


class Config:
    """What conftest hooks see as `config`: the rootdir, the ini file and its options."""

    def __init__(self, raw):
        self.rootpath = raw["rootdir"]
        self.rootdir = raw["rootdir"]
        self.inipath = raw.get("inifile")
        self.inifile = self.inipath
        self.ini = dict(raw.get("ini") or {})
        self.args = [a for a, _ in raw.get("args", [])]
        self.confcutdir = raw.get("confcutdir")
        self.option = type("Options", (), {})()
        self.option.keyword = raw.get("keyword") or ""
        self.option.exitfirst = bool(raw.get("exitfirst"))
        self.option.verbose = int(raw.get("verbose") or 0)
        self.option.importmode = raw.get("import_mode") or "prepend"
        self.stash = {}
        self.cache = None

    def getini(self, name):
        value = self.ini.get(name)
        if value is None:
            return [] if name in ("markers", "python_files", "python_classes", "python_functions",
                                  "norecursedirs", "testpaths", "usefixtures", "pythonpath") else ""
        return value

    def addinivalue_line(self, name, line):
        current = self.ini.get(name)
        if not isinstance(current, list):
            current = [] if current in (None, "") else [current]
        current.append(line)
        self.ini[name] = current

    def getoption(self, name, default=None):
        return getattr(self.option, name.lstrip("-").replace("-", "_"), default)


def _hook(module, name, **available):
    """Calls hook `name` of a conftest with the arguments it declares."""
    fn = getattr(module, name, None)
    if fn is None or not callable(fn):
        return None
    return fn(**{a: available[a] for a in argnames(fn) if a in available})


class Session:
    """One run over the given paths; `run()` returns pytest's exit status."""

    def __init__(self, raw, report):
        self.config = Config(raw)
        self.raw = raw
        self.report = report
        self.mode = self.config.option.importmode
        if self.mode not in ("prepend", "append"):
            raise UsageError(f"--import-mode={self.mode} is not supported (codexvm test has prepend and append)")
        self.fixtures = FixtureManager()
        self.setup_state = runner.SetupState()
        self.conftests = {}  # conftest path -> module
        self._conftest_dirs = set()
        self.items = []
        self.testscollected = 0
        self.testsfailed = 0
        self.shouldstop = False
        self.collection_errors = 0
        ini = self.config.ini
        self.python_files = ini.get("python_files") or ["test_*.py", "*_test.py"]
        self.norecurse = ini.get("norecursedirs") or DEFAULT_NORECURSE
        self.usefixtures = list(ini.get("usefixtures") or [])
        self._keep_modules = {}

    # -- reporting --------------------------------------------------------------------------
    def emit(self, kind, nodeid, outcome, when="", longrepr="", output=""):
        self.report({"kind": kind, "nodeid": nodeid, "outcome": outcome, "when": when,
                     "longrepr": longrepr, "output": output})

    def warn(self, message, nodeid):
        self.emit("warning", nodeid, "warning", longrepr=f"PytestCollectionWarning: {message}")

    # -- paths ------------------------------------------------------------------------------
    def nodeid_of(self, path):
        rel = fs.relative(path, self.config.rootpath)
        return "" if rel == "." else rel

    def package_dirs(self, path):
        out = []
        for d in fs.parents(path):
            if fs.isfile(fs.join(d, "__init__.py")):
                out.append(d)
            else:
                break
        return list(reversed(out))

    def _in_confcutdir(self, d):
        cut = self.config.confcutdir
        return cut is None or d == cut or not fs.is_relative_to(cut, d)

    # -- conftest files ---------------------------------------------------------------------
    def load_conftests(self, directory):
        """Imports the conftest.py of `directory` and of the directories above it (outermost
        first), skipping those above the confcutdir; each once."""
        chain = []
        for d in [directory] + fs.parents(directory):
            if d not in chain:
                chain.append(d)
        for d in reversed(chain):
            if d in self._conftest_dirs or not self._in_confcutdir(d):
                continue
            self._conftest_dirs.add(d)
            path = fs.join(d, "conftest.py")
            if fs.isfile(path):
                try:
                    self._import_conftest(path, d)
                except Exception as e:
                    raise ConftestError(path, e) from e

    def _import_conftest(self, path, d):
        module = importing.import_conftest(path, self.mode)
        self.conftests[path] = module
        for plugin in self._plugins_of(module):
            self.fixtures.parse(plugin, Location("builtin", depth=1))
        self.fixtures.parse(module, Location("conftest", d, depth=d.count("/") + 1))
        if self._configured:
            _hook(module, "pytest_configure", config=self.config)

    _configured = False

    @staticmethod
    def _plugins_of(module):
        names = getattr(module, "pytest_plugins", ())
        if isinstance(names, str):
            names = [names]
        import importlib

        return [importlib.import_module(n) for n in names]

    def hooks(self, name, **available):
        for module in list(self.conftests.values()):
            _hook(module, name, **available)

    # -- collection -------------------------------------------------------------------------
    def ignored(self, path, is_dir):
        name = fs.basename(path)
        if name == "__pycache__":
            return True
        parent = fs.dirname(path)
        for cpath, module in self.conftests.items():
            cdir = fs.dirname(cpath)
            if not fs.is_relative_to(parent, cdir):
                continue
            ignore = getattr(module, "collect_ignore", None) or []
            if any(fs.join(cdir, str(x)).rstrip("/") == path for x in ignore):
                return True
            for pattern in getattr(module, "collect_ignore_glob", None) or []:
                if fs.glob_match(fs.join(cdir, str(pattern)), path):
                    return True
        if is_dir:
            if any(fs.path_matches(p, path) for p in self.norecurse):
                return True
            if fs.isfile(fs.join(path, "pyvenv.cfg")):
                return True
        return False

    def collect_dir(self, directory):
        try:
            self.load_conftests(directory)
        except ConftestError as e:
            self._collect_error(self.nodeid_of(e.path), user_traceback(e.exc))
            return
        for name in fs.listdir(directory):
            path = fs.join(directory, name)
            if fs.isdir(path):
                if not self.ignored(path, True):
                    yield from self.collect_dir(path)
            elif fs.isfile(path) and name.endswith(".py"):
                if self.ignored(path, False):
                    continue
                if any(fs.path_matches(p, path) for p in self.python_files):
                    yield from self.collect_module(path)

    def collect_module(self, path, select=()):
        nodeid = self.nodeid_of(path)
        try:
            self.load_conftests(fs.dirname(path))
        except ConftestError as e:
            self._collect_error(self.nodeid_of(e.path), user_traceback(e.exc))
            return
        try:
            module = importing.import_path(path, self.mode)
        except pytest.Skipped as e:
            if e.allow_module_level:
                self.emit("collect", nodeid, "skipped", longrepr=e.msg)
                return
            self._collect_error(nodeid, "Using pytest.skip outside of a test will skip the entire module. "
                                        "If that's your intention, pass `allow_module_level=True`. If you want "
                                        "to skip a specific test or an entire class, use the @pytest.mark.skip "
                                        "or @pytest.mark.skipif decorators.")
            return
        except importing.ImportPathMismatchError as e:
            self._collect_error(nodeid, importing.mismatch_message(e))
            return
        except ImportError as e:
            self._collect_error(nodeid, f"ImportError while importing test module '{path}'.\n"
                                        "Hint: make sure your test modules/packages have valid Python names.\n"
                                        f"Traceback:\n{user_traceback(e)}")
            return
        except KeyboardInterrupt:
            raise
        except BaseException as e:
            self._collect_error(nodeid, user_traceback(e))
            return
        try:
            items = ModuleCollector(self, path, nodeid, module, select).collect()
        except CollectError as e:
            self._collect_error(nodeid, e.longrepr)
            return
        except pytest.Failed as e:
            self._collect_error(nodeid, e.msg)
            return
        except BaseException as e:
            self._collect_error(nodeid, user_traceback(e))
            return
        yield from items

    def _collect_error(self, nodeid, longrepr):
        self.collection_errors += 1
        self.emit("collect", nodeid, "error", longrepr=longrepr)

    def collect(self):
        seen = set()
        for path, suffix in self.raw["args"]:
            if fs.isdir(path):
                found = list(self.collect_dir(path))
            elif fs.isfile(path):
                found = list(self.collect_module(path, [n for n in suffix.split("::") if n]))
            else:
                raise UsageError(f"file or directory not found: {path}{suffix}")
            if suffix:
                base = self.nodeid_of(path)
                want = base + suffix
                selected = [i for i in found if i.nodeid == want or i.nodeid.startswith(want + "::")
                            or i.nodeid.startswith(want + "[")]
                if not selected and not self.collection_errors:
                    raise UsageError(f"not found: {want}\n(no match in any of the collected items)")
                found = selected
            for item in found:
                if item.nodeid not in seen:
                    seen.add(item.nodeid)
                    self.items.append(item)
        for item in self.items:
            args = () if item.unittest else argnames(
                item.function, item.cls is not None and not isinstance(item.cls.__dict__.get(item.function.__name__), staticmethod))
            direct = set(item.callspec.params) if item.callspec is not None else set()
            item.fixturenames = self.closure_for(item, args, direct)

    def closure_for(self, item, args, direct):
        initial = list(self.fixtures.autouse_names(item)) + list(self.usefixtures)
        for m in item.iter_markers("usefixtures"):
            initial.extend(m.args)
        initial.extend(args)
        return self.fixtures.closure(item, initial, direct)

    def fixture_value(self, name, item, request):
        return runner.fixture_value(self, name, item, request)

    # -- running ----------------------------------------------------------------------------
    def run_item(self, item, nextitem):
        fs.capture_start()
        xf = None
        try:
            xf = runner.xfail_mark(item, self.config)
        except BaseException as e:
            setup = runner.Phase("setup", "failed", runner.describe(e), e)
        else:
            setup = runner.apply_xfail(runner.run_phase("setup", lambda: runner.setup_item(self, item)), xf)
        call = None
        subtests, subtests_passed = [], 0
        if setup.outcome == "passed":
            call = runner.apply_xfail(runner.run_phase("call", lambda: runner.call_item(self, item)), xf)
            if item.unittest and item.instance is not None:
                subtests, subtests_passed = runner.subtest_phases(item)
        teardown = runner.run_phase("teardown", lambda: self.setup_state.leave_until(nextitem))
        item.instance = None
        item.funcargs = {}
        output = fs.capture_take()
        self._restore_modules()
        if setup.outcome != "passed":
            outcome = "error" if setup.outcome == "failed" else setup.outcome
            self.emit("test", item.nodeid, outcome, "setup", setup.longrepr, output)
        else:
            for description, phase in subtests:
                self.emit("subtest", f"{item.nodeid} {description}", "failed", "call", phase.longrepr, output)
            if subtests_passed:
                self.emit("subtest", item.nodeid, "subtests passed", "call", str(subtests_passed), "")
            self.emit("test", item.nodeid, call.outcome, "call", call.longrepr, output)
        if teardown.outcome == "failed":
            self.emit("test", item.nodeid, "error", "teardown", teardown.longrepr, output)
        failed = setup.outcome == "failed" or (call is not None and call.outcome == "failed") \
            or teardown.outcome == "failed" or bool(subtests)
        if failed:
            self.testsfailed += 1
            if self.config.option.exitfirst:
                self.shouldstop = True

    def _restore_modules(self):
        # A codex run inside a test puts sys.modules back to the runtime's start-up state;
        # the test tree's modules (and this runner's) stay importable as they were.
        modules = sys.modules
        for name, module in self._keep_modules.items():
            if name not in modules:
                modules[name] = module

    def run(self):
        """Collects and runs; returns the exit status (0 passed, 1 failures, 2 interrupted,
        4 usage error, 5 nothing collected)."""
        steps = self.steps()
        while True:
            try:
                next(steps)
            except StopIteration as stop:
                return stop.value

    def steps(self):
        """The session as a generator: it pauses after collection and after each test (so the
        reports so far can be printed) and returns the exit status."""
        try:
            return (yield from self._steps())
        except (UsageError, KeywordError) as e:
            self.emit("usage", "", "error", longrepr=str(e))
            return 4

    def _steps(self):
        for p in reversed(self.config.getini("pythonpath") or []):
            sys.path.insert(0, p)
        importing.install_finder()
        from . import fixtures as builtin

        self.fixtures.parse(builtin, Location("builtin"))
        for path, _suffix in self.raw["args"]:
            anchor = path if fs.isdir(path) else fs.dirname(path)
            try:
                self.load_conftests(anchor)
                if fs.isdir(path):
                    for name in fs.listdir(path):
                        sub = fs.join(path, name)
                        if name.startswith("test") and fs.isdir(sub):
                            self.load_conftests(sub)
            except ConftestError as e:
                raise UsageError(f"ImportError while loading conftest '{e.path}'.\n{user_traceback(e.exc)}")
        self._configured = True
        self.hooks("pytest_configure", config=self.config)
        self.hooks("pytest_sessionstart", session=self)
        self.collect()
        self._keep_modules = dict(sys.modules)
        yield
        if self.collection_errors and not self.raw.get("continue_on_collection_errors"):
            n = self.collection_errors
            self.emit("interrupted", "", "interrupted",
                      longrepr=f"Interrupted: {n} error{'s' if n != 1 else ''} during collection")
            self.hooks("pytest_sessionfinish", session=self, exitstatus=2)
            return 2
        keyword = self.config.option.keyword
        if keyword:
            match = keyword_matcher(keyword)
            kept = []
            for item in self.items:
                names = item.chain_names + [m.name for m in item.iter_markers()]
                if match(names):
                    kept.append(item)
                else:
                    self.emit("deselected", item.nodeid, "deselected")
            self.items = kept
        self.hooks("pytest_collection_modifyitems", session=self, config=self.config, items=self.items)
        self.testscollected = len(self.items)
        for i, item in enumerate(self.items):
            nextitem = self.items[i + 1] if i + 1 < len(self.items) and not self.shouldstop else None
            self.run_item(item, nextitem)
            yield
            if self.shouldstop:
                break
        try:
            self.setup_state.leave_until(None)
        except BaseException as e:
            self.emit("test", "", "error", "teardown", runner.describe(e))
            self.testsfailed += 1
        status = 1 if self.testsfailed or self.collection_errors else (5 if not self.items else 0)
        self.hooks("pytest_sessionfinish", session=self, exitstatus=status)
        return status
