"""kybra_simple_db for codexvm: the API of kybra_simple_db 0.5.0 over codexvm's native engine.

Entities are stored byte-for-byte as 0.5.0 stores them (`{type}@{id}` -> JSON, counters under
`_system@...`, alias index `{type}_alias@{value}`). The default database lives in the runtime's
persistent store; see `codexvm`'s README for the few deliberate deviations (all of them fixes
of data-losing behaviour).
"""

from .constants import ACTION_CREATE, ACTION_DELETE, ACTION_MODIFY
from .db_engine import Database
from .entity import Entity
from .mixins import TimestampedMixin
from .properties import Boolean, Float, Integer, ManyToMany, ManyToOne, OneToMany, OneToOne, String
from .storage import DefaultStorage, MemoryStorage, Storage
from .system_time import SystemTime

__version__ = "0.5.0"
__all__ = [
    "Database",
    "Entity",
    "Storage",
    "MemoryStorage",
    "TimestampedMixin",
    "String",
    "Integer",
    "Float",
    "Boolean",
    "OneToOne",
    "OneToMany",
    "ManyToOne",
    "ManyToMany",
    "SystemTime",
    "ACTION_CREATE",
    "ACTION_MODIFY",
    "ACTION_DELETE",
]
