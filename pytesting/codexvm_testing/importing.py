"""Importing test files, conftest.py files and the helper modules they import, by pytest's
rules for the `prepend` and `append` import modes: a file inside packages (directories with an
`__init__.py`) is imported by its dotted name with the directory above the outermost package
on `sys.path`; any other file by its bare name with its own directory on `sys.path`."""

import importlib
import importlib.machinery
import linecache
import sys

from . import fs


class ImportPathMismatchError(ImportError):
    """The module imported under a test file's name is another file (same basename elsewhere)."""

    def __init__(self, name, module_file, path):
        super().__init__(name, module_file, path)
        self.name_, self.module_file, self.path_ = name, module_file, path


def mismatch_message(err):
    """pytest's explanation of an import file mismatch."""
    return (
        "import file mismatch:\n"
        f"imported module {err.name_!r} has this __file__ attribute:\n"
        f"  {err.module_file}\n"
        "which is not the same as the test file we want to collect:\n"
        f"  {err.path_}\n"
        "HINT: remove __pycache__ / .pyc files and/or use a unique basename for your test file modules"
    )


class FileFinder:
    """Finds modules in the real directories on `sys.path` (and in packages' `__path__`), for
    what the frozen modules do not provide: the test tree's own packages and helpers."""

    def __init__(self):
        self._kinds = {}

    def _kind(self, path):
        k = self._kinds.get(path, 0)
        if k == 0:
            k = self._kinds[path] = fs._host.kind(path)
        return k

    def invalidate_caches(self):
        self._kinds.clear()

    def find_spec(self, name, path=None, target=None):
        tail = name.rpartition(".")[2]
        if path is None:
            dirs = [p for p in sys.path if isinstance(p, str) and p.startswith("/")]
        else:
            dirs = [p for p in path if isinstance(p, str) and p.startswith("/")]
        namespace = []
        for d in dirs:
            if self._kind(d) != "dir":
                continue
            pkg = fs.join(d, tail)
            init = fs.join(pkg, "__init__.py")
            if self._kind(init) == "file":
                spec = importlib.machinery.ModuleSpec(name, self, origin=init, is_package=True)
                spec.submodule_search_locations = [pkg]
                return spec
            module = pkg + ".py"
            if self._kind(module) == "file":
                spec = importlib.machinery.ModuleSpec(name, self, origin=module)
                return spec
            if self._kind(pkg) == "dir":
                namespace.append(pkg)
        if namespace:
            spec = importlib.machinery.ModuleSpec(name, None, is_package=True)
            spec.submodule_search_locations = namespace
            return spec
        return None

    def create_module(self, spec):
        return None

    def exec_module(self, module):
        path = module.__spec__.origin
        source = fs.read_text(path)
        linecache.cache[path] = (len(source), None, source.splitlines(True), path)
        module.__file__ = path
        module.__cached__ = None
        code = compile(source, path, "exec", dont_inherit=True)
        exec(code, module.__dict__)


_finder = None


def install_finder():
    """Puts the file finder at the end of `sys.meta_path` (frozen modules come first)."""
    global _finder
    if _finder is None:
        _finder = FileFinder()
    if _finder not in sys.meta_path:
        sys.meta_path.append(_finder)
    return _finder


def resolve_package_path(path):
    """The outermost package directory containing `path` (consecutive `__init__.py`
    directories with identifier names), or None."""
    result = None
    for parent in fs.parents(path):
        if not fs.isdir(parent):
            continue
        if not fs.isfile(fs.join(parent, "__init__.py")) or not fs.basename(parent).isidentifier():
            break
        result = parent
    return result


def module_name_and_root(path):
    """(dotted module name, the directory that must be on sys.path to import it by that name)."""
    pkg = resolve_package_path(path)
    if pkg is None:
        return fs.stem(path), fs.dirname(path)
    root = fs.dirname(pkg)
    names = fs.relative(path, root)[:-3].split("/")
    if names[-1] == "__init__":
        names.pop()
    return ".".join(names), root


def import_path(path, mode="prepend"):
    """Imports the file at `path` as pytest does in `mode`; returns the module."""
    name, root = module_name_and_root(path)
    if mode == "append":
        if root not in sys.path:
            sys.path.append(root)
    elif not sys.path or sys.path[0] != root:
        sys.path.insert(0, root)
    if _finder is not None:
        _finder.invalidate_caches()
    importlib.import_module(name)
    module = sys.modules[name]
    if fs.basename(path) == "__init__.py":
        return module
    module_file = getattr(module, "__file__", None)
    if module_file is None:
        raise ImportPathMismatchError(name, module_file, path)
    if module_file.endswith("/__init__.py"):
        module_file = module_file[: -len("/__init__.py")]
    if module_file != path:
        raise ImportPathMismatchError(name, module_file, path)
    return module


def import_conftest(path, mode="prepend"):
    """Imports a conftest.py; outside packages, an earlier `conftest` module is dropped first so
    each directory's conftest is its own module."""
    if resolve_package_path(path) is None:
        sys.modules.pop("conftest", None)
    return import_path(path, mode)
