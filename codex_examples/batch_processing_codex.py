"""Batch processing with TaskEntity (the seed guide's canonical example, made runnable).

Run as a recurring task: every execution processes the next BATCH_SIZE users, keeps its
position in a `ProcessingState` record of the task's namespace (`task_<task>::ProcessingState`)
and its running statistics as JSON in another one. After the last user the cycle's statistics
are kept under `cycle_<n>` and the position goes back to 0, so the next execution starts a new
cycle. Nothing is written to the users themselves: the example only reads them.
"""
from ggg import User
from kybra import ic
from kybra_simple_db import String
import json

BATCH_SIZE = 100


class ProcessingState(TaskEntity):
    __alias__ = "key"
    key = String()
    value = String(max_length=5000)


def new_cycle_stats():
    return {"processed": 0, "income_total": 0, "brackets": {"low": 0, "middle": 0, "high": 0}}


def bracket_of(income):
    if income < 3_000:
        return "low"
    if income < 7_000:
        return "middle"
    return "high"


# Get or create the state (loaded by alias in every later execution)
state = ProcessingState["batch_position"]
if not state:
    state = ProcessingState(key="batch_position", value="0")
stats_state = ProcessingState["statistics"]
if not stats_state:
    stats_state = ProcessingState(key="statistics",
                                  value=json.dumps({"runs": 0, "cycles_completed": 0, "cycle": new_cycle_stats()}))

position = int(state.value)
stats = json.loads(stats_state.value)

# Process the batch
users = list(User.instances())
batch_users = users[position:position + BATCH_SIZE]
cycle = stats["cycle"]
for user in batch_users:
    income = int(getattr(user, "income", 0) or 0)
    cycle["processed"] += 1
    cycle["income_total"] += income
    cycle["brackets"][bracket_of(income)] += 1

# Update the position and the statistics
new_position = min(position + BATCH_SIZE, len(users))
state.value = str(new_position)
stats["runs"] += 1
stats["last_run"] = int(ic.time())
percent = new_position * 100 // len(users) if users else 100
ic.print(f"📦 Processed {len(batch_users)} users ({position}..{new_position})")
ic.print(f"📊 Progress: {new_position}/{len(users)} ({percent}%)")

# codexvm shows done/total in `codexvm task show`; realms has no `progress`, so only if present.
report_progress = globals().get("progress")
if report_progress:
    report_progress(new_position, len(users))

completed = None
if users and new_position >= len(users):
    stats["cycles_completed"] += 1
    completed = stats["cycles_completed"]
    ProcessingState(key=f"cycle_{completed}", value=json.dumps(cycle))
    ic.print(f"✅ Cycle {completed} complete: {cycle['processed']} users, income total {cycle['income_total']}")
    stats["cycle"] = new_cycle_stats()
    state.value = "0"  # reset for the next cycle
stats_state.value = json.dumps(stats)

result = {"position": new_position, "total": len(users), "processed": len(batch_users), "percent": percent,
          "cycle_completed": completed}
