"""Monitoring and maintenance of tasks: state, listing, clearing a namespace, deleting."""

import json

import _db
from kybra_simple_db import Database

from codexvm import scheduler
from ggg.task import Task


def _table():
    return Database.get_instance()._b.t


def namespace_records(name):
    """Every record stored in the task's namespace, as `{type: {id: record}}`, plus counters."""
    prefix = _db.task_namespace(name) + "::"
    records, counters = {}, {}
    for ns_key in (prefix, f"_system@{prefix}"):
        after = ns_key
        while True:
            page = _db.scan(_table(), after, 256)
            page = [(k, v) for k, v in page if k.startswith(ns_key)]
            if not page:
                break
            for k, v in page:
                if k.startswith("_system@"):
                    counters[k[len("_system@"):]] = json.loads(v)
                else:
                    type_name, _, ident = k.partition("@")
                    records.setdefault(type_name, {})[ident] = json.loads(v)
            after = page[-1][0]
    return records, counters


def progress_of(name):
    """The batching helper's progress record of the task, if any."""
    from codexvm.batch import progress_class

    p = progress_class(name)["progress"]
    if p is None:
        return None
    return {"done": p.done, "total": p.total, "cycles": p.cycles, "cursor": p.cursor}


def execution_view(ex):
    return {"id": ex._id, "step": ex.step or 0, "status": ex.status, "started_at": ex.started_at or 0,
            "finished_at": ex.finished_at or None, "instructions": ex.instructions or 0, "result": ex.result or "",
            "logs": ex.logs or ""}


def task_view(task, executions=5):
    schedule = scheduler._schedule(task)
    steps = []
    for i, s in enumerate(task.steps):
        codex = s.call.codex if s.call is not None else None
        steps.append({"index": i, "codex": codex.name if codex else None, "is_async": bool(s.call.is_async) if s.call else False,
                      "run_next_after": s.run_next_after or 0, "status": s.status})
    execs = list(task.executions)
    return {
        "id": task._id, "name": task.name, "status": task.status, "step_to_execute": task.step_to_execute,
        "next_run_at": task.next_run_at or 0, "max_retries": task.max_retries or 0, "retry_delay": task.retry_delay or 0,
        "budget_percent": task.budget_percent, "heap_mib": task.heap_mib, "steps": steps,
        "schedule": None if schedule is None else {"name": schedule.name, "run_at": schedule.run_at or 0,
                                                     "repeat_every": schedule.repeat_every or 0,
                                                     "last_run_at": schedule.last_run_at or 0, "disabled": bool(schedule.disabled)},
        "progress": progress_of(task.name),
        "executions_total": len(execs),
        "executions": [execution_view(e) for e in execs[-executions:]] if executions else [],
    }


def state(name, executions=10):
    """Everything about one task, including all its namespace's records."""
    task = scheduler._task(name)
    view = task_view(task, executions)
    records, counters = namespace_records(name)
    view["namespace"] = _db.task_namespace(name)
    view["records"] = records
    view["counters"] = counters
    return view


def list_tasks():
    return [task_view(t, executions=1) for t in Task.instances()]


def clear(name):
    """Deletes every record (and counter) of the task's namespace; returns how many keys."""
    scheduler._task(name)
    removed = 0
    prefix = _db.task_namespace(name) + "::"
    for ns_key in (prefix, "_system@" + prefix):
        while True:
            page = [(k, v) for k, v in _db.scan(_table(), ns_key, 256) if k.startswith(ns_key)]
            if not page:
                break
            for k, _ in page:
                _db.remove(_table(), k)
                removed += 1
    return removed


def delete(name):
    """Deletes the task, its steps, calls, schedules, executions, its own codexes and its
    namespace."""
    task = scheduler._task(name)
    removed = clear(name)
    for ex in list(task.executions):
        task.executions.remove(ex)
        ex.delete()
    for sched in list(task.schedules):
        task.schedules.remove(sched)
        sched.delete()
    for step in list(task.steps):
        call = step.call
        task.steps.remove(step)
        if call is not None:
            codex = call.codex
            step.call = None
            if codex is not None:
                codex.calls.remove(call)
                if codex.name.startswith(f"_{name}_step_"):
                    codex.delete()
            call.delete()
        step.delete()
    task.delete()
    return removed
