"""Tax collection with the adaptive batching helper: each execution charges as many users as
fit in 60 % of its instruction budget, from a cursor the helper keeps in the task's namespace,
and reports progress (done/total) in the task's state.
"""
from ggg import Instrument, Transfer, Treasury, User
from kybra import ic
from kybra_simple_db import String

TAX_RATE_PERCENT = 2


class TaxCycle(TaskEntity):
    __alias__ = "key"
    key = String()
    value = String()


cycle_state = TaxCycle["cycle"] or TaxCycle(key="cycle", value="1")
cycle = int(cycle_state.value)
treasury = Treasury["main"]
token = Instrument["realm_token"]

collected = 0
users = batch(User, share=0.6)
for user in users:
    tax = int(getattr(user, "income", 0) or 0) * TAX_RATE_PERCENT // 100
    if tax > 0:
        Transfer(id=f"atax_{cycle}_{user.id}", principal_from=user.id, principal_to=treasury.name,
                 instrument=token.name, amount=tax, status="collected", tags=f"tax cycle {cycle}")
        collected += tax
treasury.balance = treasury.balance + collected
if users.finished_cycle:
    ic.print(f"✅ Tax collection cycle {cycle} complete")
    cycle_state.value = str(cycle + 1)
ic.print(f"💰 Collected {collected} from {users.processed} users ({users.done}/{users.total})")
result = {"cycle": cycle, "processed": users.processed, "done": users.done, "total": users.total}
