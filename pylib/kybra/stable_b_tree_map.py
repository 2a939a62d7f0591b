"""`StableBTreeMap[K, V](memory_id=..., max_key_size=..., max_value_size=...)` over the store.

Keys and values are encoded by their declared types: `str` as UTF-8, `bytes` as is, ints as
fixed-width big-endian (so int keys iterate in numeric order), bools as one byte, floats as
IEEE-754, principals as their bytes, and anything else as JSON. Sizes are checked against the
declared bounds after encoding, and an oversized key or value raises ValueError before
anything is written.
"""

import json
import struct
import _stable

_INT_OFFSET = 1 << 63


def _codec(t):
    from kybra.principal import Principal
    if t is str:
        return (lambda v: _check(v, str).encode("utf-8")), (lambda b: b.decode("utf-8"))
    if t is bytes:
        return (lambda v: bytes(_check(v, (bytes, bytearray)))), (lambda b: b)
    if t is bool:
        return (lambda v: b"\x01" if _check(v, bool) else b"\x00"), (lambda b: b == b"\x01")
    if t is int:
        return _enc_int, _dec_int
    if t is float:
        return (lambda v: struct.pack(">d", float(_check(v, (int, float))))), (lambda b: struct.unpack(">d", b)[0])
    if t is Principal:
        return (lambda v: _check(v, Principal).bytes), (lambda b: Principal(b))
    return (lambda v: json.dumps(v, sort_keys=True).encode("utf-8")), (lambda b: json.loads(b.decode("utf-8")))


def _check(v, types):
    if not isinstance(v, types):
        names = types.__name__ if isinstance(types, type) else " or ".join(t.__name__ for t in types)
        raise TypeError("expected %s, got %s" % (names, type(v).__name__))
    return v


def _enc_int(v):
    if isinstance(v, bool) or not isinstance(v, int):
        raise TypeError("expected int, got %s" % type(v).__name__)
    if not -_INT_OFFSET <= v < _INT_OFFSET:
        raise ValueError("int key/value %d does not fit in 64 bits" % v)
    return (v + _INT_OFFSET).to_bytes(8, "big")


def _dec_int(b):
    return int.from_bytes(b, "big") - _INT_OFFSET


def _base(t):
    """The runtime class behind a Candid type name (nat64 -> int, text -> str, ...)."""
    from kybra import types as kt
    return kt.runtime_type(t)


class StableBTreeMap:
    """A persistent ordered map in one memory of the store (memory ids 0..239)."""

    def __class_getitem__(cls, params):
        key_type, value_type = params

        def factory(memory_id, max_key_size=None, max_value_size=None):
            return cls(memory_id, max_key_size, max_value_size, key_type, value_type)

        return factory

    def __init__(self, memory_id, max_key_size=None, max_value_size=None, key_type=str, value_type=str):
        if isinstance(memory_id, bool) or not isinstance(memory_id, int):
            raise TypeError("memory_id must be an int")
        if not 0 <= memory_id <= 239:
            raise ValueError("memory_id %d is out of range (0..239; 240..254 are reserved by codexvm)" % memory_id)
        self.memory_id = memory_id
        self.max_key_size = max_key_size
        self.max_value_size = max_value_size
        self.key_type = _base(key_type)
        self.value_type = _base(value_type)
        self._ek, self._dk = _codec(self.key_type)
        self._ev, self._dv = _codec(self.value_type)

    def holds_text(self):
        """True for a `StableBTreeMap[str, str]` (usable as a kybra_simple_db storage)."""
        return self.key_type is str and self.value_type is str

    def _key(self, key):
        b = self._ek(key)
        if self.max_key_size is not None and len(b) > self.max_key_size:
            raise ValueError("key is %d bytes, more than max_key_size=%d" % (len(b), self.max_key_size))
        return b

    def _value(self, value):
        b = self._ev(value)
        if self.max_value_size is not None and len(b) > self.max_value_size:
            raise ValueError("value is %d bytes, more than max_value_size=%d" % (len(b), self.max_value_size))
        return b

    def _out(self, b):
        return None if b is None else self._dv(b)

    def get(self, key):
        return self._out(_stable.get(self.memory_id, self._key(key)))

    def insert(self, key, value):
        k, v = self._key(key), self._value(value)
        return self._out(_stable.insert(self.memory_id, k, v))

    def remove(self, key):
        return self._out(_stable.remove(self.memory_id, self._key(key)))

    def contains_key(self, key):
        return _stable.contains_key(self.memory_id, self._key(key))

    def len(self):
        return _stable.len(self.memory_id)

    def is_empty(self):
        return _stable.len(self.memory_id) == 0

    def _pairs(self, start_index=0, length=None):
        out, after, skipped = [], None, 0
        while length is None or len(out) < length:
            page = _stable.scan(self.memory_id, after, 512)
            if not page:
                break
            for k, v in page:
                if skipped < start_index:
                    skipped += 1
                    continue
                out.append((k, v))
                if length is not None and len(out) >= length:
                    break
            after = page[-1][0]
        return out

    def items(self, start_index=0, length=None):
        return [(self._dk(k), self._dv(v)) for k, v in self._pairs(start_index, length)]

    def keys(self, start_index=0, length=None):
        return [self._dk(k) for k, _ in self._pairs(start_index, length)]

    def values(self, start_index=0, length=None):
        return [self._dv(v) for _, v in self._pairs(start_index, length)]

    def __contains__(self, key):
        return self.contains_key(key)

    def __getitem__(self, key):
        v = self.get(key)
        if v is None:
            raise KeyError(key)
        return v

    def __setitem__(self, key, value):
        self.insert(key, value)

    def __iter__(self):
        return iter(self.keys())
