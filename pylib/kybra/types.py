"""Candid type names as Kybra defines them. They are plain aliases (or subscriptable
stand-ins), so annotations like `-> Async[str]` evaluate, and map to runtime classes."""

from typing import Any, Callable, Generator, NoReturn, Optional, TypedDict

int64 = int32 = int16 = int8 = int
nat = nat64 = nat32 = nat16 = nat8 = int
float64 = float32 = float
text = str
blob = bytes
null = None
void = None
reserved = Any
empty = NoReturn
Opt = Optional
Record = TypedDict
Variant = TypedDict
Duration = int
TimerId = int


class _Subscriptable:
    """A name that may be subscripted in annotations (`Vec[int]`, `Async[str]`)."""

    def __init__(self, name, runtime=None):
        self._name = name
        self._runtime = runtime

    def __getitem__(self, params):
        return self

    def __repr__(self):
        return "kybra." + self._name


Vec = _Subscriptable("Vec", list)
Tuple = _Subscriptable("Tuple", tuple)
Async = _Subscriptable("Async")
Manual = _Subscriptable("Manual")
Alias = _Subscriptable("Alias")


def runtime_type(t):
    """The class whose values a declared type holds (for StableBTreeMap's codecs)."""
    if t in (int, str, bytes, bool, float):
        return t
    if isinstance(t, _Subscriptable):
        return t._runtime or object
    return t
