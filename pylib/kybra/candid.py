"""Python values to Candid and back, guided by Kybra type annotations (`nat64`, `Opt[text]`,
`Vec[Account]`, `Record` and `Variant` subclasses, `Principal`, ...). Used by `Service`."""

import typing

import _ic
from kybra import types as kt
from kybra.principal import Principal

NoneType = type(None)


class CandidTypeError(TypeError):
    """A value does not fit its declared Candid type, or a type has no Candid form."""


def idl_hash(name):
    """Candid's field id of a name."""
    h = 0
    for b in name.encode():
        h = (h * 223 + b) % 2**32
    return h


def _optional_arg(t):
    """T if `t` is `Opt[T]` (`Optional[T]`), else None."""
    if typing.get_origin(t) is typing.Union:
        args = [a for a in typing.get_args(t) if a is not NoneType]
        if len(args) == 1 and len(typing.get_args(t)) == 2:
            return args[0]
    return None


def type_text(t):
    """The Candid text of a declared type."""
    if t is None or t is NoneType:
        return "null"
    if t is bool:
        return "bool"
    if isinstance(t, type) and hasattr(t, "__candid__") and t.__candid__ not in ("record", "variant"):
        return t.__candid__
    if t is int:
        return "int"
    if t is float:
        return "float64"
    if t is str:
        return "text"
    if t is bytes:
        return "blob"
    if t is Principal:
        return "principal"
    if t is typing.Any:
        return "reserved"
    inner = _optional_arg(t)
    if inner is not None:
        return "opt " + type_text(inner)
    if isinstance(t, kt._Subscriptable):
        if t._name == "Vec" and len(t._params) == 1:
            return "vec " + type_text(t._params[0])
        if t._name == "Tuple":
            return "record { " + "; ".join(type_text(p) for p in t._params) + " }"
        if t._name in ("Async", "Manual", "Alias") and len(t._params) == 1:
            return type_text(t._params[0])
    if isinstance(t, type) and issubclass(t, (kt.Record, kt.Variant)):
        fields = t.fields()
        if issubclass(t, kt.Record):
            return "record { " + "; ".join(f"{_label(n)} : {type_text(ft)}" for n, ft in fields.items()) + " }"
        return "variant { " + "; ".join(f"{_label(n)} : {type_text(ft)}" for n, ft in fields.items()) + " }"
    raise CandidTypeError(f"{t!r} has no Candid type (use kybra's type names: nat64, text, Opt[...], Vec[...], Record, Variant, ...)")


def _label(name):
    return name if name.isidentifier() else text_literal(name)


def text_literal(s):
    """A Candid text literal for `s` (quotes, backslashes and control characters escaped)."""
    out = []
    for ch in s:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append("\\%02x" % ord(ch))
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def value_text(v, t):
    """The Candid text of value `v` of declared type `t`."""
    where = f"{v!r} is not a {type_text(t)}"
    if t is None or t is NoneType:
        if v is not None:
            raise CandidTypeError(where)
        return "null"
    if t is typing.Any:
        return "null"
    if t is bool:
        if not isinstance(v, bool):
            raise CandidTypeError(where)
        return "true" if v else "false"
    inner = _optional_arg(t)
    if inner is not None:
        return "null" if v is None else "opt " + value_text(v, inner)
    if t is int or (isinstance(t, type) and issubclass(t, int)):
        if isinstance(v, bool) or not isinstance(v, int):
            raise CandidTypeError(where)
        return str(int(v))
    if t is float or (isinstance(t, type) and issubclass(t, float)):
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise CandidTypeError(where)
        return repr(float(v))
    if t is str:
        if not isinstance(v, str):
            raise CandidTypeError(where)
        return text_literal(v)
    if t is bytes:
        if not isinstance(v, (bytes, bytearray)):
            raise CandidTypeError(where)
        return 'blob "' + "".join("\\%02x" % b for b in v) + '"'
    if t is Principal:
        if isinstance(v, str):
            v = Principal.from_str(v)
        if not isinstance(v, Principal):
            raise CandidTypeError(where)
        return f'principal "{v.to_str()}"'
    if isinstance(t, kt._Subscriptable):
        if t._name == "Vec":
            if isinstance(v, (str, dict)) or not hasattr(v, "__iter__"):
                raise CandidTypeError(where)
            return "vec { " + "; ".join(value_text(x, t._params[0]) for x in v) + " }"
        if t._name == "Tuple":
            v = tuple(v)
            if len(v) != len(t._params):
                raise CandidTypeError(where)
            return "record { " + "; ".join(value_text(x, p) for x, p in zip(v, t._params)) + " }"
        if len(t._params) == 1:
            return value_text(v, t._params[0])
    if isinstance(t, type) and issubclass(t, kt.Record):
        if not isinstance(v, dict):
            raise CandidTypeError(where)
        fields = t.fields()
        unknown = set(v) - set(fields)
        if unknown:
            raise CandidTypeError(f"{t.__name__} has no field(s) {sorted(unknown)}")
        parts = []
        for name, ft in fields.items():
            if name not in v and _optional_arg(ft) is None:
                raise CandidTypeError(f"{t.__name__} needs field {name!r}")
            parts.append(f"{_label(name)} = {value_text(v.get(name), ft)}")
        return "record { " + "; ".join(parts) + " }"
    if isinstance(t, type) and issubclass(t, kt.Variant):
        if not isinstance(v, dict) or len(v) != 1:
            raise CandidTypeError(f"a {t.__name__} value is a one-key dict, not {v!r}")
        [(name, value)] = v.items()
        fields = t.fields()
        if name not in fields:
            raise CandidTypeError(f"{t.__name__} has no arm {name!r}")
        return f"variant {{ {_label(name)} = {value_text(value, fields[name])} }}"
    raise CandidTypeError(f"{t!r} has no Candid type")


def encode_args(values, types):
    """Binary Candid of the arguments `values` with declared `types`."""
    text = "(" + ", ".join(f"{value_text(v, t)} : {type_text(t)}" for v, t in zip(values, types)) + ")"
    return _ic.candid_encode(text)


def from_raw(raw, t):
    """A decoded reply value (`_ic.candid_decode_raw`) as the Python value of declared type `t`."""
    if isinstance(raw, tuple) and raw:
        tag = raw[0]
        if tag == "none":
            return None
        if tag == "opt":
            return from_raw(raw[1], _optional_arg(t) if t is not None else None)
        if tag == "principal":
            return Principal(raw[1])
        if tag == "func":
            return (Principal(raw[1]), raw[2])
        if tag == "record":
            pairs = raw[1]
            if isinstance(t, kt._Subscriptable) and t._name == "Tuple":
                return tuple(from_raw(v, p) for (_, v), p in zip(pairs, t._params))
            names = {}
            if isinstance(t, type) and issubclass(t, kt.Record):
                names = {idl_hash(n): (n, ft) for n, ft in t.fields().items()}
            return {names.get(i, (i, None))[0]: from_raw(v, names.get(i, (i, None))[1]) for i, v in pairs}
        if tag == "variant":
            names = {}
            if isinstance(t, type) and issubclass(t, kt.Variant):
                names = {idl_hash(n): (n, ft) for n, ft in t.fields().items()}
            name, ft = names.get(raw[1], (raw[1], None))
            return {name: from_raw(raw[2], ft)}
    if isinstance(raw, list):
        item = t._params[0] if isinstance(t, kt._Subscriptable) and t._name == "Vec" and t._params else None
        return [from_raw(x, item) for x in raw]
    if isinstance(raw, bytes) and isinstance(t, kt._Subscriptable) and t._name == "Vec":
        return list(raw)
    return raw


def decode_reply(reply, ret):
    """The Python value of a reply, for a method declared to return `ret`."""
    values = _ic.candid_decode_raw(reply)
    if isinstance(ret, kt._Subscriptable) and ret._name in ("Async", "Manual") and ret._params:
        ret = ret._params[0]
    if ret is None or ret is NoneType:
        return None
    if not values:
        return None
    return from_raw(values[0], ret)
