"""A sandboxed `os` for codexes: no file system, no processes, no environment.

The canister has no operating system. Standard modules that import `os` get the names they use
(paths, `urandom`, `environ`, `uname`), and anything touching files or processes raises OSError,
as it would on a machine without them. `os.urandom` draws from the runtime's random source.
"""

import sys
import _ic
import posixpath as path

name = "posix"
sep = "/"
altsep = None
extsep = "."
pathsep = ":"
curdir = "."
pardir = ".."
defpath = "/bin:/usr/bin"
linesep = "\n"
devnull = "/dev/null"
supports_bytes_environ = False

F_OK, R_OK, W_OK, X_OK = 0, 4, 2, 1
O_RDONLY, O_WRONLY, O_RDWR = 0, 1, 2
O_APPEND, O_CREAT, O_EXCL, O_TRUNC = 1024, 64, 128, 512
SEEK_SET, SEEK_CUR, SEEK_END = 0, 1, 2

environ = {}
environb = {}

sys.modules["os.path"] = path


class PathLike:
    """Abstract base class for objects with a file-system path."""

    def __fspath__(self):
        raise NotImplementedError

    @classmethod
    def __subclasshook__(cls, subclass):
        if cls is PathLike:
            return hasattr(subclass, "__fspath__")
        return NotImplemented


def fspath(p):
    """Return the path representation of a path-like object."""
    if isinstance(p, (str, bytes)):
        return p
    method = getattr(type(p), "__fspath__", None)
    if method is None:
        raise TypeError("expected str, bytes or os.PathLike object, not " + type(p).__name__)
    value = method(p)
    if isinstance(value, (str, bytes)):
        return value
    raise TypeError("expected %s.__fspath__() to return str or bytes, not %s"
                    % (type(p).__name__, type(value).__name__))


def fsencode(filename):
    filename = fspath(filename)
    return filename.encode("utf-8", "surrogateescape") if isinstance(filename, str) else filename


def fsdecode(filename):
    filename = fspath(filename)
    return filename.decode("utf-8", "surrogateescape") if isinstance(filename, bytes) else filename


def urandom(size):
    """Return a bytes object of `size` random bytes from the runtime's random source."""
    if size < 0:
        raise ValueError("negative argument not allowed")
    return _ic.urandom(size)


def getenv(key, default=None):
    return environ.get(key, default)


def getcwd():
    return "/"


def getcwdb():
    return b"/"


def getpid():
    return 1


def getuid():
    return 0


def cpu_count():
    return 1


def strerror(code):
    return "error %d" % code


def isatty(fd):
    return False


class uname_result(tuple):
    @property
    def sysname(self): return self[0]
    @property
    def nodename(self): return self[1]
    @property
    def release(self): return self[2]
    @property
    def version(self): return self[3]
    @property
    def machine(self): return self[4]


def uname():
    return uname_result(("InternetComputer", "canister", "1", "1", "wasm32"))


def _no_filesystem(*args, **kwargs):
    raise OSError(38, "codexes have no file system")


stat = lstat = fstat = listdir = scandir = mkdir = makedirs = remove = unlink = rmdir = _no_filesystem
rename = replace = chdir = readlink = open = close = read = write = walk = _no_filesystem
system = popen = spawnv = execv = execve = kill = confstr = _no_filesystem


def _exit(code):
    raise SystemExit(code)


error = OSError
