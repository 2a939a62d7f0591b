"""The test tree as the runner sees it: paths (absolute, "/"-separated) and the host's file
primitives (`_testsession`; the `os` module stands in when the runner is tried on CPython)."""

import posixpath
import re

try:
    import _testsession as _host
except ImportError:  # CPython, for developing the runner itself
    import os as _os

    class _host:
        @staticmethod
        def read_text(path):
            with open(path, encoding="utf-8") as f:
                return f.read()

        @staticmethod
        def kind(path):
            return "dir" if _os.path.isdir(path) else "file" if _os.path.isfile(path) else None

        @staticmethod
        def listdir(path):
            return sorted(_os.listdir(path))


def capture_start():
    """Starts capturing what the next test prints (the host's capture; none on CPython)."""
    start = getattr(_host, "capture_start", None)
    if start is not None:
        start()


def capture_take():
    """What was printed since `capture_start()` (stdout, then stderr)."""
    take = getattr(_host, "capture_take", None)
    if take is None:
        return ""
    out, err = take()
    return out + err


def read_text(path):
    """The file's text."""
    return _host.read_text(path)


def isfile(path):
    """Whether a file is at `path`."""
    return _host.kind(path) == "file"


def isdir(path):
    """Whether a directory is at `path`."""
    return _host.kind(path) == "dir"


def listdir(path):
    """The names in the directory, sorted."""
    return _host.listdir(path)


join = posixpath.join
dirname = posixpath.dirname
basename = posixpath.basename


def parents(path):
    """`path`'s ancestors, nearest first, up to "/"."""
    out = []
    d = dirname(path)
    while True:
        out.append(d)
        up = dirname(d)
        if up == d:
            return out
        d = up


def is_relative_to(path, base):
    """Whether `path` is `base` or below it."""
    return path == base or path.startswith(base.rstrip("/") + "/")


def relative(path, base):
    """`path` relative to `base` ("." for the same path), with ".." where it lies outside."""
    return posixpath.relpath(path, base)


def stem(path):
    """The file name without its ".py"."""
    name = basename(path)
    return name[:-3] if name.endswith(".py") else name


_GLOB_CACHE = {}


def glob_match(pattern, text):
    """fnmatch rules (`*`, `?`, `[seq]`, `[!seq]`), case-sensitive, on the whole text."""
    rx = _GLOB_CACHE.get(pattern)
    if rx is None:
        out, i = [], 0
        while i < len(pattern):
            c = pattern[i]
            i += 1
            if c == "*":
                out.append(".*")
            elif c == "?":
                out.append(".")
            elif c == "[":
                j = pattern.find("]", i + 1 if i < len(pattern) and pattern[i] == "!" else i)
                if j < 0:
                    out.append("\\[")
                else:
                    body = pattern[i:j]
                    i = j + 1
                    if body.startswith("!"):
                        body = "^" + body[1:]
                    out.append("[" + body.replace("\\", "\\\\") + "]")
            else:
                out.append(re.escape(c))
        rx = _GLOB_CACHE[pattern] = re.compile("(?s:" + "".join(out) + r")\Z")
    return rx.match(text) is not None


def path_matches(pattern, path):
    """pytest's `fnmatch_ex`: a pattern without "/" matches the file name, otherwise the path."""
    if "/" not in pattern:
        return glob_match(pattern, basename(path))
    if not pattern.startswith("/"):
        pattern = "*/" + pattern
    return glob_match(pattern, path)
