"""Runs a plan of codex executions under CPython 3.11 with the real kybra_simple_db 0.5.0 and
the Kybra stand-in of this directory, and prints one JSON line: each execution's printed lines
and result, and the final store as `{key: value}`.

    python driver.py PLAN.json     # {"steps": [{"source", "time_s", "task"?, "raw_rand_hex"?}]}

Each execution runs as realms runs a codex: fresh globals (with `TaskEntity` for a task), the
entity registry cleared (as after an upgrade; codexvm gives every execution a fresh view), and
the store kept; an execution that raises leaves its writes (0.5.0 has no transactions).
"""
import contextlib
import io
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)             # the Kybra stand-in first
sys.path.append(os.path.join(REPO, "pylib"))  # then ggg and core (the venv's kybra_simple_db wins)

with contextlib.redirect_stdout(io.StringIO()):
    import kybra_simple_db  # noqa: F401  (prints a note on import)
from kybra_simple_db import Database, MemoryStorage, SystemTime

import kybra
from core.execution import create_task_entity_class

storage = MemoryStorage()
Database._instance = None
Database.init(audit_enabled=False, db_storage=storage)
plan = json.load(open(sys.argv[1]))
out = []
for step in plan["steps"]:
    kybra._Clock.now_ns = step["time_s"] * 1_000_000_000
    SystemTime.get_instance().set_time(step["time_s"] * 1000)
    Database.get_instance().clear_registry()
    scope = {"__name__": "codex"}
    if step.get("task"):
        scope["TaskEntity"] = create_task_entity_class(step["task"])
    printed = io.StringIO()
    record = {}
    try:
        with contextlib.redirect_stdout(printed):
            exec(compile(step["source"], step.get("filename", "<codex>"), "exec"), scope)
            result = scope.get("result")
            if step.get("task") and callable(scope.get("async_task")):
                gen = scope["async_task"]()
                reply = None
                try:
                    while True:
                        call = gen.send(reply)
                        assert call.method == "raw_rand", call.method
                        reply = kybra.CallResult(Ok=bytes.fromhex(step["raw_rand_hex"]))
                except StopIteration as stop:
                    result = stop.value
        record["result"] = result
    except Exception as e:
        record["error"] = f"{type(e).__name__}: {e}"
    record["printed"] = printed.getvalue().splitlines()
    out.append(record)
print(json.dumps({"executions": out, "store": dict(storage.items())}, default=str))
