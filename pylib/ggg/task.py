"""Task: steps run in order, on the schedules attached to it."""
from ggg._base import Entity, Integer, OneToMany, String, TimestampedMixin


class Task(Entity, TimestampedMixin):
    __alias__ = "name"
    name = String(max_length=256)
    metadata = String(max_length=256)
    status = String(max_length=32, default="pending")
    step_to_execute = Integer(default=0)
    steps = OneToMany("TaskStep", "task")
    schedules = OneToMany("TaskSchedule", "task")
    executions = OneToMany("TaskExecution", "task")
    # codexvm: retry policy, instruction budget (share of the message limit, in percent) and the
    # time (seconds since the epoch) at which the scheduler will next run a step of this task.
    max_retries = Integer(default=0)
    retry_delay = Integer(default=0)
    retries_used = Integer(default=0)
    budget_percent = Integer(default=80)
    heap_mib = Integer(default=1024)  # how much one execution may grow the heap, in MiB
    next_run_at = Integer(default=0)
    current_execution = Integer(default=0)
