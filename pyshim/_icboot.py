"""Boot-time set-up of the codexvm interpreter (imported once when the interpreter is built).

- `sys.stdout`/`sys.stderr` write into the execution's captured output;
- `time` reads the runtime clock (`ic.time()` in the canister, the runner's clock natively);
- `random` seeds from the runtime's random source, never from the host's.
"""
import sys
import _ic
import time as _time


class _CapturedStream:
    """A text stream that appends to the current execution's captured output."""

    encoding = "utf-8"
    errors = "strict"
    newlines = None

    def __init__(self, fd, name):
        self._fd = fd
        self.name = name

    def write(self, s):
        if not isinstance(s, str):
            raise TypeError("write() argument must be str, not " + type(s).__name__)
        _ic.write(self._fd, s)
        return len(s)

    def writelines(self, lines):
        for line in lines:
            self.write(line)

    def flush(self):
        pass

    def isatty(self):
        return False

    def fileno(self):
        return self._fd

    def readable(self):
        return False

    def writable(self):
        return True

    def seekable(self):
        return False


sys.setrecursionlimit = _ic.setrecursionlimit  # capped below what the canister's stack holds
sys.stdout = sys.__stdout__ = _CapturedStream(1, "<stdout>")
sys.stderr = sys.__stderr__ = _CapturedStream(2, "<stderr>")


def _now():
    return _ic.time() / 1e9


def time():
    return _ic.time() / 1e9


def time_ns():
    return _ic.time()


def _struct(t=None):
    return _gm(_now() if t is None else t)


_gm = _time.gmtime
_fmt = _time.strftime


def gmtime(secs=None):
    return _gm(_now() if secs is None else secs)


def strftime(format, t=None):
    return _fmt(format, _gm(_now()) if t is None else t)


def asctime(t=None):
    return _time.asctime(_gm(_now()) if t is None else t)


def ctime(secs=None):
    return _time.asctime(_gm(_now() if secs is None else secs))


def monotonic():
    return _ic.time() / 1e9


def monotonic_ns():
    return _ic.time()


def perf_counter():
    return _ic.performance_counter(0) / 1e9


def perf_counter_ns():
    return _ic.performance_counter(0)


def process_time():
    return _ic.performance_counter(0) / 1e9


def process_time_ns():
    return _ic.performance_counter(0)


_time.time = time
_time.time_ns = time_ns
_time.gmtime = gmtime
_time.localtime = gmtime  # the canister's local time is UTC
_time.strftime = strftime
_time.asctime = asctime
_time.ctime = ctime
_time.monotonic = monotonic
_time.monotonic_ns = monotonic_ns
_time.perf_counter = perf_counter
_time.perf_counter_ns = perf_counter_ns
_time.process_time = process_time
_time.process_time_ns = process_time_ns
_time.tzname = ("UTC", "UTC")
_time.timezone = 0
_time.altzone = 0
_time.daylight = 0


def _patch_random():
    """Seed `random` from the runtime's random source (fixed natively unless asked otherwise)."""
    import random

    base_seed = random.Random.seed

    def seed(self, a=None, version=2):
        if a is None:
            a = int.from_bytes(_ic.urandom(32), "big")
        base_seed(self, a, version)

    random.Random.seed = seed
    # The module-level functions are bound methods of `random._inst`, taken at import time.
    random.seed = random._inst.seed
    random.seed(None)


_patch_random()


class BudgetExceeded(BaseException):
    """The execution used more instructions than its budget (a BaseException, so that
    `except Exception` does not swallow it); its writes are rolled back."""


_ic.BudgetExceeded = BudgetExceeded
_ic.set_budget_exception(BudgetExceeded)
