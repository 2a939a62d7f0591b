"""`run_code` and `create_task_entity_class`, as realms' core.execution provides them."""

import io
import sys
import traceback
from contextlib import redirect_stderr, redirect_stdout

from kybra_simple_logging import get_logger

logger = get_logger("execution")


def create_task_entity_class(task_name):
    """A new `TaskEntity` base class whose entities live in the namespace `task_<task_name>`."""
    from kybra_simple_db import Entity, TimestampedMixin

    class TaskEntity(Entity, TimestampedMixin):
        __namespace__ = f"task_{task_name}"

    return TaskEntity


def codex_globals(task_name=None, task_logger=None):
    """The names a codex finds without importing them (realms' sync and async executors)."""
    import ggg
    import kybra
    from kybra import Async, Duration, TimerId, ic, void
    from kybra_simple_db import Boolean, Entity, Integer, ManyToOne, OneToMany, OneToOne, String, TimestampedMixin
    from enum import Enum
    from typing import Callable, List

    from core import task_manager

    g = {
        "ggg": ggg, "kybra": kybra, "ic": ic, "Async": Async, "Duration": Duration, "TimerId": TimerId, "void": void,
        "Boolean": Boolean, "Entity": Entity, "Integer": Integer, "ManyToOne": ManyToOne, "OneToMany": OneToMany,
        "OneToOne": OneToOne, "String": String, "TimestampedMixin": TimestampedMixin, "Enum": Enum,
        "Callable": Callable, "List": List, "traceback": traceback, "get_logger": get_logger,
        "run_code": run_code, "create_task_entity_class": create_task_entity_class,
        "io": io, "sys": sys, "redirect_stdout": redirect_stdout, "redirect_stderr": redirect_stderr,
    }
    for name in ("Codex", "TaskStatus", "TaskExecution", "TaskSchedule", "Call", "TaskStep", "Task", "TaskManager"):
        g[name] = getattr(task_manager, name)
    g["GGGTask"] = task_manager.Task
    g["logger"] = g["log"] = task_logger or logger
    if task_name:
        g["TaskEntity"] = create_task_entity_class(task_name)
    return g


def run_code(source_code, locals={}, task_name=None, task_logger=None):
    """Runs `source_code` in fresh globals and returns `{success, result, logs}` or
    `{success: False, error, logs}` (realms' result shape). Output is captured into `logs`."""
    safe_globals = {"__name__": "core.execution", "__builtins__": __builtins__}
    safe_globals.update(codex_globals(task_name, task_logger))
    out, err = io.StringIO(), io.StringIO()
    try:
        with redirect_stdout(out), redirect_stderr(err):
            exec(source_code, safe_globals, safe_globals)
        return {"success": True, "result": safe_globals.get("result"), "logs": _lines(out, err)}
    except Exception:
        return {"success": False, "error": traceback.format_exc(), "logs": _lines(out, err)}


def _lines(out, err):
    lines = []
    for buf in (out, err):
        text = buf.getvalue().strip()
        if text:
            lines.extend(text.split("\n"))
    return lines
