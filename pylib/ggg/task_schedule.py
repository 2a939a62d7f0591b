"""TaskSchedule: when a task runs (`run_at`, seconds since the epoch; 0 = now) and how often
(`repeat_every` seconds; 0 = once)."""
from ggg._base import Boolean, Entity, Integer, ManyToOne, String, TimestampedMixin


class TaskSchedule(Entity, TimestampedMixin):
    __alias__ = "name"
    name = String(max_length=256)
    disabled = Boolean(default=False)
    task = ManyToOne("Task", "schedules")
    run_at = Integer(default=0)
    repeat_every = Integer(default=0)
    last_run_at = Integer(default=0)

    def __str__(self):
        return (f"TaskSchedule(name={self.name}, run_at={self.run_at}, repeat_every={self.repeat_every}, "
                f"last_run_at={self.last_run_at}, disabled={self.disabled})")
