"""The runtime's entry points into the scheduler and monitoring, with JSON text in and out (the
Rust side wraps each call in its own transaction)."""

import json

from codexvm import monitor, scheduler


def _out(value):
    return json.dumps(value)


def create_task(spec_json, now):
    """`spec`: {name, steps: [{code, codex_name?, run_next_after?}], repeat_every?, run_at?,
    run_after?, max_retries?, retry_delay?, budget_percent?, metadata?, heap_mib?}."""
    spec = json.loads(spec_json)
    if not isinstance(spec, dict):
        raise scheduler.TaskError("a task spec is a JSON object")
    known = {"name", "steps", "repeat_every", "run_at", "run_after", "max_retries", "retry_delay",
             "budget_percent", "metadata", "heap_mib"}
    unknown = set(spec) - known
    if unknown:
        raise scheduler.TaskError(f"unknown task fields: {', '.join(sorted(unknown))}")
    steps = spec.get("steps")
    if not isinstance(steps, list) or not all(isinstance(s, dict) for s in steps):
        raise scheduler.TaskError("steps must be a list of objects")
    args = {k: v for k, v in spec.items() if k not in ("name", "steps")}
    task = scheduler.create_task(spec.get("name"), steps, now, **args)
    return _out(monitor.task_view(task, executions=0))


def claim(now, live_json="[]", only=""):
    reaped = scheduler.reap(now, json.loads(live_json))
    c = scheduler.claim(now, only or None)
    if c is not None:
        c["reaped"] = reaped
    return _out(c)


def finish(outcome_json, now):
    o = json.loads(outcome_json)
    scheduler.finish(o["execution"], o["ok"], o.get("result"), o.get("error"), o.get("logs", []),
                     o.get("instructions", 0), now)
    return _out(None)


def reap(now):
    return _out(scheduler.reap(now))


def next_wakeup():
    return _out(scheduler.next_wakeup())


def view(name, executions):
    """A task's view (Rust reads views from the records, `src/tasks/records.rs`; this is the
    reference its test compares with)."""
    return _out(monitor.task_view(scheduler._task(name), executions))


def state(name, executions):
    return _out(monitor.state(name, executions))


def list_tasks():
    return _out(monitor.list_tasks())


def stop(name):
    return _out(monitor.task_view(scheduler.stop(name), executions=0))


def start(name, now):
    return _out(monitor.task_view(scheduler.start(name, now), executions=0))


def clear(name):
    return _out(monitor.clear(name))


def delete(name):
    return _out(monitor.delete(name))
