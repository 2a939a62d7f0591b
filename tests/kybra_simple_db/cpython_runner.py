"""Runs a conformance script under CPython with the real kybra_simple_db 0.5.0 and prints the
resulting store as `{key: value}` JSON on the last line of stdout.

    python cpython_runner.py SCRIPT
"""
import contextlib
import io
import json
import sys

with contextlib.redirect_stdout(io.StringIO()):
    import kybra_simple_db  # noqa: F401  (its logger prints a note on import)
from kybra_simple_db import Database, MemoryStorage

storage = MemoryStorage()
Database._instance = None
Database.init(audit_enabled=False, db_storage=storage)
source = open(sys.argv[1]).read()
scope = {"__name__": "codex"}
exec(compile(source, sys.argv[1], "exec"), scope)
print("@@STORE@@" + json.dumps(dict(storage.items())))
