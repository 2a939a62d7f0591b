"""Social benefits: pays a monthly benefit from the treasury to every eligible user, in batches.

Run as a recurring task. A cycle is a calendar month (UTC, from `ic.time()`): every execution
goes through the next BATCH_SIZE users and pays BENEFIT to each eligible one with a `Transfer`
from the treasury. The month's progress is a `BenefitRun` record of the task's namespace
(alias: the month, e.g. "2027-01"); once every user has been seen the month is "done" and later
executions do nothing until the next month begins.

Eligible: an income below INCOME_LIMIT, and no `Member` record saying otherwise (a member whose
`public_benefits_eligibility` is set to anything but "eligible" is skipped).

Idempotent per cycle: a benefit transfer's id is `benefit_<month>_<user id>`, so a user is
never paid twice in a month, even if the cursor is lost (`codexvm task clear`) and the month is
walked again. Each execution is atomic: its transfers, the treasury's balance and the cursor
commit together. When the treasury cannot pay the next benefit, the month waits, at that user,
until it is funded again.
"""
from datetime import datetime, timezone

from ggg import Instrument, Transfer, Treasury, User
from kybra import ic
from kybra_simple_db import Integer, String

BATCH_SIZE = 100
BENEFIT = 50
INCOME_LIMIT = 2_000


class BenefitRun(TaskEntity):
    __alias__ = "period"
    period = String()
    position = Integer()
    paid_count = Integer()
    paid_total = Integer()
    status = String()


def eligible(user):
    if int(getattr(user, "income", 0) or 0) >= INCOME_LIMIT:
        return False
    member = user.member
    if member is not None and getattr(member, "public_benefits_eligibility", "eligible") != "eligible":
        return False
    return True


period = datetime.fromtimestamp(ic.time() / 1e9, tz=timezone.utc).strftime("%Y-%m")
run = BenefitRun[period] or BenefitRun(period=period, position=0, paid_count=0, paid_total=0, status="paying")
treasury = Treasury["main"]
token = Instrument["realm_token"]

paid = []
users = []
if run.status == "done":
    ic.print(f"✔️ Benefits for {period} already paid ({run.paid_count} users, {run.paid_total} in total)")
else:
    users = list(User.instances())
    available = treasury.balance
    position = run.position
    for user in users[run.position:run.position + BATCH_SIZE]:
        transfer_id = f"benefit_{period}_{user.id}"
        if eligible(user) and Transfer[transfer_id] is None:
            if available < BENEFIT:
                ic.print(f"⏸️ Treasury {treasury.name} has {available}, less than a benefit: waiting for funds")
                run.status = "waiting for funds"
                break
            Transfer(id=transfer_id, principal_from=treasury.name, principal_to=user.id,
                     instrument=token.name, amount=BENEFIT, status="paid", tags=f"benefit {period}")
            available -= BENEFIT
            paid.append(user.id)
        position += 1
    else:
        if run.status != "paying":
            run.status = "paying"
    if paid:
        treasury.balance = available
        run.paid_count = run.paid_count + len(paid)
        run.paid_total = run.paid_total + BENEFIT * len(paid)
    run.position = position
    if position >= len(users):
        run.status = "done"
        ic.print(f"✅ Benefits for {period} complete: {run.paid_count} users, {run.paid_total} in total")
    report_progress = globals().get("progress")  # codexvm's progress report (not in realms)
    if report_progress:
        report_progress(position, len(users))
    ic.print(f"💸 Paid {len(paid)} benefits; {period}: {position}/{len(users)} users seen")

result = {"period": period, "paid": len(paid), "position": run.position, "total": len(users), "status": run.status}
