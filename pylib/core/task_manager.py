"""realms' core.task_manager names: the task entities and `TaskManager` (creating tasks)."""

from ggg.call import Call
from ggg.codex import Codex
from ggg.status import TaskStatus
from ggg.task import Task
from ggg.task_executions import TaskExecution
from ggg.task_schedule import TaskSchedule
from ggg.task_step import TaskStep

__all__ = ["Call", "Codex", "Task", "TaskExecution", "TaskManager", "TaskSchedule", "TaskStatus", "TaskStep"]


class TaskManager:
    """Keeps realms' API: `add_task(task)` then `run()`. In codexvm the scheduler runs every
    pending task by itself (timers), so `run()` only asks it to look again now."""

    tasks = []

    def add_task(self, task):
        if task not in self.tasks:
            self.tasks.append(task)

    def run(self):
        from codexvm import scheduler

        scheduler.arm_all()
