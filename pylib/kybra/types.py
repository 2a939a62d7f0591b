"""Candid type names as Kybra defines them, usable in annotations (which are evaluated). The
integer kinds are `int` subclasses and the containers subscriptable, so that `Service`
methods know the Candid types of their arguments and replies; at run time the values are
plain Python ints, strs, lists and dicts."""

from typing import Any, Callable, Generator, NoReturn, Optional


class _CandidInt(int):
    """An integer Candid type (`nat64` etc.); values are plain ints."""

    __candid__ = "int"


def _int_kind(name):
    return type(name, (_CandidInt,), {"__candid__": name, "__module__": "kybra"})


nat = _int_kind("nat")
nat64 = _int_kind("nat64")
nat32 = _int_kind("nat32")
nat16 = _int_kind("nat16")
nat8 = _int_kind("nat8")
int64 = _int_kind("int64")
int32 = _int_kind("int32")
int16 = _int_kind("int16")
int8 = _int_kind("int8")


class float32(float):
    """Candid's float32; values are plain floats."""

    __candid__ = "float32"


float64 = float
text = str
blob = bytes
null = None
void = None
reserved = Any
empty = NoReturn
Opt = Optional
Duration = nat64
TimerId = nat64


class _StructMeta(type):
    """Lets `class Account(Record): owner: Principal` (and `total=False`) define a record type."""

    def __new__(mcls, name, bases, namespace, **kwargs):
        return super().__new__(mcls, name, bases, namespace)

    def __init__(cls, name, bases, namespace, **kwargs):
        super().__init__(name, bases, namespace)

    def fields(cls):
        """`{name: type}` of the record or variant, base classes' first."""
        out = {}
        for klass in reversed(cls.__mro__):
            if klass in (object, dict, Record, Variant):
                continue
            # Annotations are evaluated lazily (PEP 649): read them through the attribute.
            out.update(getattr(klass, "__annotations__", None) or {})
        return out


class Record(dict, metaclass=_StructMeta):
    """A Candid record type: subclass it with annotated fields; values are dicts."""

    __candid__ = "record"


class Variant(dict, metaclass=_StructMeta):
    """A Candid variant type: subclass it with annotated arms; values are one-key dicts."""

    __candid__ = "variant"


class _Subscriptable:
    """A generic Candid type name (`Vec[nat8]`, `Tuple[text, nat]`, `Async[text]`)."""

    def __init__(self, name, runtime=None, params=()):
        self._name = name
        self._runtime = runtime
        self._params = params

    def __getitem__(self, params):
        if not isinstance(params, tuple):
            params = (params,)
        return _Subscriptable(self._name, self._runtime, params)

    def __repr__(self):
        inner = ", ".join(getattr(p, "__name__", repr(p)) for p in self._params)
        return f"kybra.{self._name}[{inner}]" if self._params else "kybra." + self._name


Vec = _Subscriptable("Vec", list)
Func = _Subscriptable("Func")
Query = _Subscriptable("Query")
Update = _Subscriptable("Update")
Oneway = _Subscriptable("Oneway")
Tuple = _Subscriptable("Tuple", tuple)
Async = _Subscriptable("Async")
Manual = _Subscriptable("Manual")
Alias = _Subscriptable("Alias")


def runtime_type(t):
    """The class whose values a declared type holds (for StableBTreeMap's codecs)."""
    if isinstance(t, type) and issubclass(t, int) and t is not bool:
        return int
    if isinstance(t, type) and issubclass(t, float):
        return float
    if t in (str, bytes, bool):
        return t
    if isinstance(t, _Subscriptable):
        return t._runtime or object
    return t


class RejectionCode(Variant, total=False):
    """Why a call was rejected (Kybra's `RejectionCode`)."""

    NoError: null
    SysFatal: null
    SysTransient: null
    DestinationInvalid: null
    CanisterReject: null
    CanisterError: null
    Unknown: null


class GuardResult(Variant, total=False):
    """What a Kybra guard function returns."""

    Ok: null
    Err: text
