"""Call: how a step runs its codex (sync, or async through a generator `async_task`)."""
from ggg._base import Boolean, Entity, ManyToOne, OneToOne, TimestampedMixin


class Call(Entity, TimestampedMixin):
    is_async = Boolean()
    codex = ManyToOne("Codex", "calls")
    task_step = OneToOne("TaskStep", "call")
    _function_def = None
    _function_params = None
