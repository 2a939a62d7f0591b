"""TaskStep: one step of a task; `run_next_after` is the delay (seconds) before it starts."""
from ggg._base import Entity, Integer, ManyToOne, OneToOne, String, TimestampedMixin


class TaskStep(Entity, TimestampedMixin):
    call = OneToOne("Call", "task_step")
    status = String(default="pending")
    run_next_after = Integer(default=0)
    timer_id = Integer()
    task = ManyToOne("Task", "steps")
