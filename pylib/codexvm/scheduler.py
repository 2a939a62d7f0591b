"""The task scheduler's state machine, over the task entities (Task, TaskStep, TaskSchedule,
TaskExecution, Call, Codex) so codexes and ggg see the same records.

The runtime (Rust) drives it: `reap` (executions a trap interrupted) -> `claim` (the next due
step; committed before the codex runs) -> run the codex in its own transaction -> `finish`
(record the outcome, advance the task). Times are seconds since the epoch.

Fixed against realms: a future `run_at` fires by itself and `run_after` is honoured (the runtime
arms a timer for `next_wakeup()`); a schedule runs exactly once per period; a failed step is a
failure (with an optional retry policy); a trapped step is detected and recorded.
"""

import ast

from ggg.call import Call
from ggg.codex import Codex
from ggg.task import Task
from ggg.task_executions import TaskExecution
from ggg.task_schedule import TaskSchedule
from ggg.task_step import TaskStep

#: Executions kept per task (older ones are deleted when a new one finishes).
KEEP_EXECUTIONS = 50
#: Longest task name: its namespace `task_<name>::<Class>_alias@<value>` must fit in the
#: store's 100-byte keys with room for class names and alias values.
MAX_NAME = 48
#: What one execution's `logs` and `result` keep (realms kept 4999 characters).
MAX_TEXT = 4999


class TaskError(ValueError):
    """A task operation was refused (unknown task, bad arguments, ...)."""


def is_async_source(code, filename="<codex>"):
    """True if the codex defines a module-level `async_task` (realms' async contract), found in
    the syntax tree (realms searched the text for 'yield')."""
    tree = ast.parse(code, filename)
    return any(isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.name == "async_task" for n in tree.body)


#: Default and largest heap allowance of one execution, in MiB (the canister's memory is 4 GiB).
DEFAULT_HEAP_MIB = 1024
MAX_HEAP_MIB = 3072
#: Largest time (seconds since the epoch) or delay (seconds) a task may name: the year 2286. The
#: clocks count nanoseconds in 64 bits, which end in 2554, so a time plus a delay still fits.
MAX_SECONDS = 10_000_000_000
#: Most retries of a failed step.
MAX_RETRIES = 1_000_000


def _check_count(label, v, low, high, unit=""):
    if not isinstance(v, int) or isinstance(v, bool) or not low <= v <= high:
        raise TaskError(f"{label} must be an integer between {low} and {high}{unit}, not {v!r}")


def _check_name(name):
    if not isinstance(name, str) or not name.strip():
        raise TaskError("a task needs a non-empty name")
    if len(name) > MAX_NAME:
        raise TaskError(f"task name {name[:20]!r}... is {len(name)} characters; at most {MAX_NAME}")
    if "@" in name or "::" in name:
        raise TaskError("a task name may not contain '@' or '::' (they delimit stored keys)")


def _codex_users(codex):
    """Names of the tasks whose steps run `codex`."""
    users = []
    for call in codex.calls:
        step = call.task_step
        if step is not None and step.task is not None and step.task.name not in users:
            users.append(step.task.name)
    return users


def _check_codex_name(i, codex_name, code, earlier):
    """Refuses step `i`'s codex when its name is taken by other code: a stored codex another
    task runs (it would run this code instead), or an earlier step of the same task. The same
    code under the same name is shared."""
    for other_name, other_code, _, _ in earlier:
        if other_name == codex_name and other_code != code:
            raise TaskError(f"step {i}: an earlier step names its codex {codex_name!r} too, with other code; "
                            "give each step's codex its own name")
    stored = Codex[codex_name]
    if stored is not None and stored.code != code:
        users = _codex_users(stored)
        if users:
            raise TaskError(f"step {i}: a codex named {codex_name!r} is stored with other code and run by "
                            f"task(s) {', '.join(sorted(users))}; give this step's codex another name")


def create_task(name, steps, now, repeat_every=0, run_at=0, run_after=0, max_retries=0, retry_delay=0,
                budget_percent=80, metadata="", heap_mib=1024):
    """Creates a task from `steps` (dicts with `code`, optional `codex_name`, `run_next_after`).
    Each step's source must compile; the first step is due at `max(run_at, now + run_after)`
    plus its `run_next_after`."""
    _check_name(name)
    if Task[name] is not None:
        raise TaskError(f"a task named {name!r} already exists")
    if not steps:
        raise TaskError("a task needs at least one step")
    for label, v in (("repeat_every", repeat_every), ("run_at", run_at), ("run_after", run_after),
                     ("retry_delay", retry_delay)):
        _check_count(label, v, 0, MAX_SECONDS, " seconds")
    _check_count("max_retries", max_retries, 0, MAX_RETRIES)
    _check_count("budget_percent", budget_percent, 1, 100)
    _check_count("heap_mib", heap_mib, 1, MAX_HEAP_MIB)
    made = []
    for i, s in enumerate(steps):
        code = s.get("code")
        codex_name = s.get("codex_name") or f"_{name}_step_{i}"
        if code is None:
            codex = Codex[codex_name]
            if codex is None:
                raise TaskError(f"step {i}: no code and no codex named {codex_name!r}")
            code = codex.code
        compile(code, codex_name, "exec")  # a SyntaxError names the line
        delay = s.get("run_next_after", 0)
        _check_count(f"step {i}: run_next_after", delay, 0, MAX_SECONDS, " seconds")
        made.append((codex_name, code, delay, is_async_source(code, codex_name)))
    for i, (codex_name, code, _, _) in enumerate(made):
        _check_codex_name(i, codex_name, code, made[:i])
    step_entities = []
    for codex_name, code, delay, is_async in made:
        codex = Codex[codex_name]
        if codex is None:
            codex = Codex(name=codex_name, code=code)
        elif codex.code != code:
            codex.code = code
        call = Call(is_async=is_async, codex=codex)
        step_entities.append(TaskStep(call=call, run_next_after=delay, status="pending"))
    task = Task(name=name, metadata=metadata, status="pending", step_to_execute=0, max_retries=max_retries,
                retry_delay=retry_delay, budget_percent=budget_percent, heap_mib=heap_mib)
    task.steps = step_entities
    TaskSchedule(name=f"schedule_{name}", task=task, run_at=run_at, repeat_every=repeat_every, last_run_at=0)
    task.next_run_at = max(run_at, now + run_after) + made[0][2]
    return task


def _task(name):
    t = Task[name]
    if t is None:
        raise TaskError(f"no task named {name!r}")
    return t


def _schedule(task):
    for s in task.schedules:
        return s
    return None


def _active(task):
    s = _schedule(task)
    return task.status != "cancelled" and task.next_run_at and not (s is not None and s.disabled)


def next_wakeup():
    """The earliest time a step of some task is due, or None."""
    times = [t.next_run_at for t in Task.instances() if _active(t)]
    return min(times) if times else None


def claim(now, only=None):
    """Claims the next due step (a TaskExecution marked running) and returns what to run, or
    None; `only` restricts it to one task. The claim is committed before the codex runs, so a
    trap during the run is seen later."""
    if only is not None:
        t = Task[only]
        candidates = [t] if t is not None else []
    else:
        candidates = Task.instances()
    due = [t for t in candidates if _active(t) and t.next_run_at <= now and not t.current_execution]
    if not due:
        return None
    task = min(due, key=lambda t: (t.next_run_at, int(t._id)))
    steps = list(task.steps)
    index = task.step_to_execute if task.step_to_execute < len(steps) else 0
    step = steps[index]
    codex = step.call.codex
    schedule = _schedule(task)
    if index == 0 and task.retries_used == 0 and schedule is not None:
        # A cycle starts; it serves the period `now` falls in (the schedule's grid keeps its phase).
        slot = task.next_run_at
        if schedule.repeat_every > 0 and slot < now:
            slot += (now - slot) // schedule.repeat_every * schedule.repeat_every
        schedule.last_run_at = slot
    execution = TaskExecution(name=f"{task.name}_execution", task=task, status="running", step=index,
                              started_at=now, logs="", result="")
    task.status = "running"
    task.next_run_at = 0
    task.current_execution = int(execution._id)
    step.status = "running"
    return {"execution": execution._id, "task": task.name, "step": index, "code": codex.code, "codex": codex.name,
            "is_async": bool(step.call.is_async), "budget_percent": task.budget_percent,
            "heap_mib": task.heap_mib or DEFAULT_HEAP_MIB}


def _text(s):
    s = "" if s is None else str(s)
    return s if len(s) <= MAX_TEXT else s[: MAX_TEXT - 1] + "…"


def finish(execution_id, ok, result, error, logs, instructions, now):
    """Records how the execution ended and advances its task."""
    ex = TaskExecution[str(execution_id)]
    if ex is None or ex.status != "running":
        return
    task = ex.task
    ex.status = "completed" if ok else "failed"
    ex.result = _text(result if ok else error)
    ex.logs = _text("\n".join(logs) if isinstance(logs, (list, tuple)) else logs)
    ex.finished_at = now
    ex.instructions = int(instructions)
    if task is None:
        return
    task.current_execution = 0
    steps = list(task.steps)
    i = ex.step
    if 0 <= i < len(steps):
        steps[i].status = "completed" if ok else "failed"
    if task.status == "cancelled":
        pass
    elif ok:
        task.retries_used = 0
        if i + 1 < len(steps):
            task.step_to_execute = i + 1
            task.next_run_at = now + steps[i + 1].run_next_after
        else:
            _end_cycle(task, steps, now, "completed")
    elif task.retries_used < task.max_retries:
        task.retries_used += 1
        task.status = "pending"  # waiting for its retry
        task.next_run_at = now + task.retry_delay
    else:
        task.retries_used = 0
        _end_cycle(task, steps, now, "failed")
    _trim(task)


def _end_cycle(task, steps, now, outcome):
    task.step_to_execute = 0
    for s in steps:
        if s.status != "pending":
            s.status = "pending"
    schedule = _schedule(task)
    if schedule is not None and schedule.repeat_every > 0 and not schedule.disabled:
        # Exactly once per period: the next cycle serves the period after the one this cycle
        # served. If that period has already begun (the cycle overran, or was reaped late), it runs
        # now, once; periods that passed entirely meanwhile are skipped, not run back to back.
        period = schedule.repeat_every
        nxt = schedule.last_run_at + period
        if nxt < now:
            nxt += (now - nxt) // period * period
        task.status = "pending" if outcome == "completed" else "failed"
        task.next_run_at = nxt
    else:
        task.status = outcome
        task.next_run_at = 0


def _trim(task):
    executions = list(task.executions)
    for old in executions[: max(0, len(executions) - KEEP_EXECUTIONS)]:
        task.executions.remove(old)
        old.delete()


def reap(now, live=()):
    """Marks as failed every execution still running except those in `live` (async executions
    waiting for a call's reply): its message trapped (the instruction limit, or any other trap),
    so nothing it did after its last commit point was kept. Returns how many."""
    live = {str(x) for x in live}
    n = 0
    for task in Task.instances():
        if task.current_execution:
            if str(task.current_execution) in live:
                continue
            ex = TaskExecution[str(task.current_execution)]
            if ex is not None and ex.status == "running":
                finish(ex._id, False, None, "the execution did not finish: its message trapped (for example at the "
                                            "instruction limit); none of its writes were kept", [], 0, now)
                n += 1
            else:
                task.current_execution = 0
    return n


def stop(name):
    """Cancels a task: no step of it runs until `start`."""
    task = _task(name)
    task.status = "cancelled"
    task.next_run_at = 0
    return task


def start(name, now):
    """Resumes a stopped, failed or completed task at its current step, now."""
    task = _task(name)
    if task.status == "running" and task.current_execution:
        raise TaskError(f"task {name!r} is running")
    task.status = "pending"
    task.retries_used = 0
    task.next_run_at = now
    return task


def arm_all():
    """realms' `TaskManager.run()`: nothing to do, the scheduler watches every task."""
    return None
