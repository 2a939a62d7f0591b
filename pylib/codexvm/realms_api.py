"""The realms canister's task and object endpoints, with their JSON reply shapes, over our
scheduler (the Rust side checks the caller's role and wraps each call in a transaction).

Kept from realms: names, arguments, reply fields, id-prefix lookup of tasks. Fixed: `run_after`
is honoured, async is detected from the syntax tree (also for multi-step tasks), sync code sent
to `execute_code` runs at once and its result is in the reply.
"""

import base64
import binascii
import json

import ggg
from ggg.task import Task
from kybra_simple_logging import get_logs

from codexvm import monitor, scheduler


def _out(value):
    return json.dumps(value)


def _error(e):
    return _out({"success": False, "error": str(e)})


def _b64(text, what):
    try:
        return base64.b64decode(text.encode("ascii"), validate=True).decode("utf-8")
    except (binascii.Error, ValueError, UnicodeError) as e:
        raise scheduler.TaskError(f"{what} is not valid base64 of UTF-8 text: {e}") from None


def find_task(task_id):
    """realms' lookup: the first task whose id starts with `task_id`; then an exact name."""
    task_id = str(task_id)
    if task_id:
        for t in Task.instances():
            if t._id.startswith(task_id):
                return t
    t = Task[task_id] if task_id else None
    if t is None:
        raise scheduler.TaskError(f"task {task_id!r} not found")
    return t


def _schedule_reply(task, **extra):
    s = scheduler._schedule(task)
    reply = {"success": True, "task_id": task._id, "task_name": task.name,
             "schedule_id": s._id if s is not None else None, "run_at": task.next_run_at,
             "repeat_every": s.repeat_every if s is not None else 0}
    reply.update(extra)
    return reply


def create_scheduled_task(name, code_b64, repeat_every, run_after, now):
    try:
        code = _b64(code_b64, "code")
        task = scheduler.create_task(name, [{"code": code, "codex_name": f"_scheduled_{name}_{now}"}], now,
                                     repeat_every=int(repeat_every), run_after=int(run_after))
        return _out(_schedule_reply(task))
    except (scheduler.TaskError, SyntaxError, ValueError) as e:
        return _error(e)


def create_multi_step_scheduled_task(name, steps_config, repeat_every, run_after, now):
    try:
        try:
            config = json.loads(steps_config)
        except ValueError as e:
            raise scheduler.TaskError(f"steps_config is not JSON: {e}") from None
        if not isinstance(config, list) or not config:
            raise scheduler.TaskError("steps_config must be a non-empty JSON array of {code, run_next_after}")
        steps = []
        for i, s in enumerate(config):
            if not isinstance(s, dict) or not isinstance(s.get("code"), str):
                raise scheduler.TaskError(f"step {i}: expected {{\"code\": base64, \"run_next_after\": seconds}}")
            steps.append({"code": _b64(s["code"], f"step {i} code"), "codex_name": f"_{name}_step_{i}_{now}",
                          "run_next_after": s.get("run_next_after", 0)})
        task = scheduler.create_task(name, steps, now, repeat_every=int(repeat_every), run_after=int(run_after))
        return _out(_schedule_reply(task, steps_count=len(steps)))
    except (scheduler.TaskError, SyntaxError, ValueError) as e:
        return _error(e)


def create_shell_task(code, now):
    """`execute_code`'s task: one step, run once, now. Returns {task, is_async} or an error reply."""
    name = f"Shell Task _shell_{now}"
    n = 1
    while Task[name] is not None:
        n += 1
        name = f"Shell Task _shell_{now}_{n}"
    task = scheduler.create_task(name, [{"code": code, "codex_name": f"_shell_{now}_{n}"}], now)
    return _out({"task": task.name, "task_id": task._id, "is_async": bool(list(task.steps)[0].call.is_async)})


def execute_code_reply(task_name, outcome_json):
    """The reply of `execute_code` once the sync codex ran (`outcome` as the runtime reports it)."""
    task = Task[task_name]
    o = json.loads(outcome_json)
    reply = {"type": "sync", "task_id": task._id if task else None, "status": "completed" if o["ok"] else "failed",
             "logs": "\n".join(o.get("logs", []))}
    if o["ok"]:
        result = json.loads(o["result"]) if o.get("result") is not None else None
        reply["result"] = result
        reply["message"] = "Code executed successfully" + (" (no return value)" if result is None else "")
    else:
        reply["error"] = (o.get("error") or "").strip().splitlines()[-1] if o.get("error") else "failed"
        reply["traceback"] = o.get("error")
    return _out(reply)


def execute_code_async_reply(task_name):
    task = Task[task_name]
    return _out({"type": "async", "task_id": task._id, "task_name": task.name, "status": task.status,
                 "message": "Async code scheduled; poll get_task_logs with the task_id for its result"})


def stop_task(task_id):
    try:
        t = find_task(task_id)
        scheduler.stop(t.name)
        for s in t.schedules:
            s.disabled = True
        return _out({"success": True, "task_id": t._id, "name": t.name})
    except scheduler.TaskError as e:
        return _error(e)


def start_task(task_id, now):
    try:
        t = find_task(task_id)
        for s in t.schedules:
            if s.disabled:
                s.disabled = False
        scheduler.start(t.name, now)
        return _out({"success": True, "task_id": t._id, "name": t.name})
    except scheduler.TaskError as e:
        return _error(e)


def get_task_logs(task_id, limit):
    try:
        t = find_task(task_id)
    except scheduler.TaskError as e:
        return _error(e)
    execs = list(t.executions)
    shown = execs[-int(limit):] if int(limit) > 0 else []
    return _out({
        "success": True, "task_id": t._id, "task_name": t.name, "status": t.status,
        "executions": [{"started_at": int(e._timestamp_created or 0), "status": e.status, "logs": e.logs,
                        "result": e.result, "step": e.step, "instructions": e.instructions} for e in shown],
        "total_executions": len(execs),
    })


def get_task_logs_by_name(task_name, from_entry, max_entries):
    """The task logger's entries (this canister instance's in-memory log, as in realms)."""
    try:
        t = find_task(task_name)
    except scheduler.TaskError:
        return _out([])
    entries = get_logs(from_entry=int(from_entry) or None, max_entries=int(max_entries) or None,
                       logger_name=f"task_{t.name}")
    return _out([e if isinstance(e, dict) else e.to_dict() for e in entries])


def _entity_class(class_name):
    cls = getattr(ggg, str(class_name), None)
    from kybra_simple_db import Entity

    if not (isinstance(cls, type) and issubclass(cls, Entity)):
        raise scheduler.TaskError(f"unknown entity class {class_name!r}")
    return cls


def get_objects(pairs_json):
    """`[[class_name, id_or_alias], ...]` -> JSON texts of the entities found (misses skipped)."""
    out = []
    for class_name, key in json.loads(pairs_json):
        cls = _entity_class(class_name)
        e = cls[key]
        if e is not None:
            out.append(json.dumps(e.serialize()))
    return _out(out)


def get_objects_paginated(class_name, page_num, page_size, order):
    cls = _entity_class(class_name)
    page_num, page_size = int(page_num), int(page_size)
    if page_size < 1:
        raise scheduler.TaskError("page_size must be at least 1")
    if order not in ("asc", "desc"):
        raise scheduler.TaskError(f"order must be 'asc' or 'desc', not {order!r}")
    total = cls.count()
    total_pages = (total + page_size - 1) // page_size
    objects = []
    if total and page_num < total_pages:
        everything = list(cls.instances())
        if order == "desc":
            everything.reverse()
        objects = [json.dumps(e.serialize()) for e in everything[page_num * page_size:(page_num + 1) * page_size]]
    return _out({"objects": objects, "pagination": {"page_num": page_num, "page_size": page_size,
                                                    "total_items_count": total, "total_pages": total_pages}})


def _catalogue_classes():
    """`(name, class)` of each entity class of the catalogue, in `ggg.__all__` order."""
    from kybra_simple_db import Entity

    for name in ggg.__all__:
        cls = getattr(ggg, name)
        if isinstance(cls, type) and issubclass(cls, Entity):
            yield name, cls


def catalogue():
    """The catalogue's class names with their stored type names (what `status` counts; the
    Rust side reads the counters itself)."""
    return _out([[name, cls.get_full_type_name()] for name, cls in _catalogue_classes()])


def status():
    """Counts of the catalogue's entities and of tasks by status (the canister's `status` reads
    the same from the records in Rust; this is the reference its test compares with)."""
    counts = {}
    for name, cls in _catalogue_classes():
        n = cls.count()
        if n:
            counts[name] = n
    by_status = {}
    for t in Task.instances():
        by_status[t.status] = by_status.get(t.status, 0) + 1
    return _out({"entity_counts": counts, "tasks_by_status": by_status})
