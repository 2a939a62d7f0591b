"""TimestampedMixin with a fixed clock and changing callers, ownership, and hooks."""
from kybra_simple_db import *
from kybra_simple_db.context import set_caller_id

SystemTime.get_instance().set_time(1742316676123)


class Doc(Entity, TimestampedMixin):
    __alias__ = "title"
    title = String()
    body = String()

    @staticmethod
    def on_event(entity, field_name, old_value, new_value, action):
        if field_name == "body" and isinstance(new_value, str):
            return True, new_value.strip()
        if field_name == "title" and new_value == "forbidden":
            return False, None
        return True, new_value


set_caller_id("alice")
d = Doc(title="t1", body="  hello  ")
SystemTime.get_instance().advance_time(1500)
d.body = "world "
set_caller_id("bob")
try:
    d.body = "bob was here"
except PermissionError as e:
    print("PermissionError", e)
e = Doc(title="t2")
try:
    e.title = "forbidden"
except ValueError as err:
    print("ValueError", err)
with Database.get_instance().as_user("carol"):
    f = Doc(title="t3", body="by carol")
print(d.serialize()["owner"], e._owner, f._creator, Doc["t3"].body)
