"""Storage backends: the `Storage` interface, the heap `MemoryStorage`, and `DefaultStorage`,
the runtime's persistent store (stable memory in the canister, the state file natively).

Any object with `insert/get/remove/keys/items` works as a storage, as in kybra_simple_db; a
`DefaultStorage` or a Kybra `StableBTreeMap[str, str]` is served by the native engine.
"""

from abc import ABC, abstractmethod

import _db

#: Memory id of the default store (realms kept its database in `StableBTreeMap(memory_id=1)`).
DEFAULT_MEMORY_ID = 1
#: Bounds of the default store: realms' `max_key_size=100, max_value_size=10000`.
DEFAULT_MAX_KEY_SIZE = 100
DEFAULT_MAX_VALUE_SIZE = 10000


class Storage(ABC):
    """Abstract storage of string keys and values."""

    @abstractmethod
    def insert(self, key, value):
        raise NotImplementedError

    @abstractmethod
    def get(self, key):
        raise NotImplementedError

    @abstractmethod
    def remove(self, key):
        raise NotImplementedError

    @abstractmethod
    def items(self):
        raise NotImplementedError

    @abstractmethod
    def __contains__(self, key):
        raise NotImplementedError

    @abstractmethod
    def keys(self):
        raise NotImplementedError


class MemoryStorage(Storage):
    """Storage in a Python dict (insertion-ordered, gone when the execution ends)."""

    def __init__(self):
        self._data = {}

    def insert(self, key, value):
        self._data[key] = value

    def get(self, key):
        return self._data.get(key)

    def remove(self, key):
        if key in self._data:
            del self._data[key]
        else:
            raise KeyError(f"Key '{key}' not found in storage")

    def items(self):
        return iter(self._data.items())

    def __contains__(self, key):
        return key in self._data

    def keys(self):
        return iter(self._data.keys())


class DefaultStorage(Storage):
    """The runtime's persistent store, in key order (what `Database` uses unless told otherwise)."""

    def __init__(self, memory_id=DEFAULT_MEMORY_ID, max_key_size=DEFAULT_MAX_KEY_SIZE,
                 max_value_size=DEFAULT_MAX_VALUE_SIZE):
        self.memory_id = memory_id
        self.max_key_size = max_key_size
        self.max_value_size = max_value_size
        self._t = (memory_id, max_key_size, max_value_size)

    def insert(self, key, value):
        _db.put(self._t, key, value)

    def get(self, key):
        return _db.get(self._t, key)

    def remove(self, key):
        _db.remove(self._t, key)

    def _pairs(self):
        after = None
        while True:
            page = _db.scan(self._t, after, 256)
            if not page:
                return
            yield from page
            after = page[-1][0]

    def items(self):
        return self._pairs()

    def keys(self):
        return (k for k, _ in self._pairs())

    def __contains__(self, key):
        return _db.get(self._t, key) is not None

    def __repr__(self):
        return f"DefaultStorage(memory_id={self.memory_id})"


def native_table(storage):
    """`(memory_id, max_key_size, max_value_size)` if the native engine can serve `storage`."""
    if isinstance(storage, DefaultStorage):
        return (storage.memory_id, storage.max_key_size, storage.max_value_size)
    try:
        from kybra.stable_b_tree_map import StableBTreeMap
    except ImportError:
        return None
    if isinstance(storage, StableBTreeMap) and storage.holds_text():
        big = 1 << 62
        return (storage.memory_id, storage.max_key_size or big, storage.max_value_size or big)
    return None
