"""Tax collection in batches of 100 users (the seed guide's codex, made runnable).

Run as a recurring task: every execution charges the next 100 users, keeps its position in a
`TaxState` record of the task's namespace (`task_<task>::TaxState`), and starts a new cycle
after the last user. Each execution is atomic: if it fails mid-batch, its transfers and its
position are rolled back together, so the next execution redoes the same batch and nobody is
charged twice.
"""
from ggg import Instrument, Transfer, Treasury, User
from kybra import ic
from kybra_simple_db import String
import json

BATCH_SIZE = 100
TAX_RATE_PERCENT = 2


class TaxState(TaskEntity):
    __alias__ = "key"
    key = String()
    value = String()


def calculate_tax(user):
    return int(getattr(user, "income", 0) or 0) * TAX_RATE_PERCENT // 100


state = TaxState["batch_position"]
if not state:
    state = TaxState(key="batch_position", value="0")
cycle_state = TaxState["cycle"] or TaxState(key="cycle", value="1")
cycle = int(cycle_state.value)

position = int(state.value)
users = list(User.instances())
batch = users[position:position + BATCH_SIZE]
treasury = Treasury["main"]
token = Instrument["realm_token"]

total_collected = 0
for user in batch:
    tax = calculate_tax(user)
    if tax > 0:
        Transfer(
            id=f"tax_{cycle}_{user.id}",
            principal_from=user.id,
            principal_to=treasury.name,
            instrument=token.name,
            amount=tax,
            status="collected",
            tags=f"tax cycle {cycle}",
        )
        total_collected += tax
treasury.balance = treasury.balance + total_collected

new_position = min(position + BATCH_SIZE, len(users))
state.value = str(new_position)
if "progress" in globals():  # codexvm shows done/total in the task's state; realms has no progress()
    progress(new_position, len(users))
ic.print(f"💰 Collected {total_collected} from {len(batch)} users")
ic.print(f"📊 Progress: {new_position}/{len(users)}")

stats = TaxState["statistics"] or TaxState(key="statistics", value="{}")
s = json.loads(stats.value)
s["collected"] = s.get("collected", 0) + total_collected
s["last_run"] = int(ic.time())
stats.value = json.dumps(s)

if new_position >= len(users):
    ic.print(f"✅ Tax collection cycle {cycle} complete!")
    state.value = "0"
    cycle_state.value = str(cycle + 1)

result = {"cycle": cycle, "position": new_position, "total": len(users), "collected": total_collected}
