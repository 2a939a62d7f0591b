"""UserProfile: a named set of allowed operations, shared by users."""
from ggg._base import Entity, ManyToMany, String, TimestampedMixin


class Operations:
    ALL = "all"
    TASK_CREATE = "task.create"
    TASK_EDIT = "task.edit"
    TASK_DELETE = "task.delete"
    TASK_RUN = "task.run"
    TASK_SCHEDULE = "task.schedule"
    TASK_CANCEL = "task.cancel"


class Profiles:
    ADMIN = {"name": "admin", "allowed_to": [Operations.ALL]}
    MEMBER = {"name": "member", "allowed_to": []}


class UserProfile(Entity, TimestampedMixin):
    __alias__ = "name"
    name = String(max_length=256)
    description = String(max_length=256)
    allowed_to = String()
    users = ManyToMany(["User"], "profiles")

    def _ops(self):
        return [o for o in (self.allowed_to or "").split(",") if o]

    def add(self, operation):
        ops = self._ops()
        if operation not in ops:
            ops.append(operation)
            self.allowed_to = ",".join(ops)

    def remove(self, operation):
        ops = [o for o in self._ops() if o != operation]
        self.allowed_to = ",".join(ops)

    def is_allowed(self, operation):
        ops = self._ops()
        return Operations.ALL in ops or operation in ops
