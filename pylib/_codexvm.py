"""Helpers the codexvm executor calls around each execution (not meant for codexes)."""

import gc
import json
import linecache
import traceback

import _db

import kybra_simple_db
from kybra_simple_db import context, entity as _entity
from kybra_simple_db.db_engine import Database
from kybra_simple_db.storage import DefaultStorage
from kybra_simple_db.system_time import SystemTime

#: Modules whose entity classes belong to one execution (codexes run as module "codex";
#: `TaskEntity` bases are made by core.execution for each execution).
_EPHEMERAL_MODULES = ("codex", "core.execution")

#: The database made at start-up, given a fresh state before every execution (a new instance
#: would be a change to the `Database` class, which empties the interpreter's type caches).
_DATABASE = None

#: The cycle collector's settings at start-up, restored before every execution.
_GC_THRESHOLD = gc.get_threshold()


def begin_execution():
    """Gives the next execution a fresh database view: the default store, an empty identity map,
    caller "system", the real clock, and no entity classes left over from earlier codexes."""
    global _DATABASE
    _db.reset()
    db = _DATABASE
    if db is not None and type(db) is not Database:
        try:
            object.__setattr__(db, "__class__", Database)  # a codex gave it a class of its own
        except TypeError:
            db = None
    if db is None:
        Database._instance = None
        _DATABASE = Database.init(audit_enabled=False, db_storage=DefaultStorage())
    else:
        if Database.__dict__.get("_instance") is not db:
            Database._instance = db
        db.__dict__.clear()
        Database.__init__(db, audit_enabled=False, db_storage=DefaultStorage())
    kybra_simple_db.Entity._context.clear()
    _db.drop_classes_of(_entity._defined_classes, _EPHEMERAL_MODULES)
    context.set_caller_id("system")
    SystemTime.get_instance().clear_time()
    _restore_collector()


def warm_schemas():
    """Computes the schema of every entity class defined at start-up (the catalogue, the task
    model), so that it is part of the pristine state: no execution or query computes it again
    (about 0.9 M instructions per class in the canister, where a query keeps nothing it does)."""
    for cls in list(_entity._defined_classes.values()):
        _db.warm_schema(cls)


def _restore_collector():
    """Undoes what an earlier codex may have done to the cycle collector (disabled it, raised its
    thresholds, froze objects, asked it to save garbage), which would otherwise let every later
    execution's cyclic garbage pile up in the canister's heap."""
    gc.set_debug(0)
    gc.unfreeze()
    del gc.garbage[:]
    gc.set_threshold(*_GC_THRESHOLD)
    gc.enable()


def result_json(value):
    """JSON text of a codex's `result`; values JSON cannot hold are given by their repr()."""
    return json.dumps(value, default=repr)


def format_exception(exc, filename, source):
    """The traceback of `exc` as CPython prints it, with the codex's own lines shown."""
    if source is not None:
        linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    try:
        return "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    finally:
        if source is not None:
            linecache.cache.pop(filename, None)
