"""TaskExecution: one run of one step (status, times, result, captured logs, instructions)."""
from ggg._base import Entity, Integer, ManyToOne, String, TimestampedMixin


class TaskExecution(Entity, TimestampedMixin):
    __alias__ = "name"
    name = String(max_length=256)
    task = ManyToOne("Task", "executions")
    status = String(max_length=50)
    logs = String(max_length=5000)
    result = String(max_length=5000)
    # codexvm: which step, when (seconds since the epoch), and the instructions it used.
    step = Integer(default=0)
    started_at = Integer(default=0)
    finished_at = Integer(default=0)
    instructions = Integer(default=0)
