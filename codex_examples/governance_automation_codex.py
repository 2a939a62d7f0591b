"""Governance automation: closes the proposals whose voting deadline has passed, in batches.

Run as a recurring task. Every execution takes up to BATCH_SIZE open proposals whose
`voting_deadline` (ISO 8601) is past, tallies their votes, stores the tally in the proposal's
`votes_yes` / `votes_no` / `votes_abstain` / `total_voters`, and sets `status` to "accepted"
(more than `required_threshold` of the yes/no votes are yes) or "rejected". Votes name their
proposal in their `metadata` JSON (see seed_governance.py); a vote whose choice is not
yes/no/abstain is not counted.

A proposal is closed exactly once: closing it changes its status, so it is never due again, and
a `ClosedProposal` record of the task's namespace keeps the outcome. Each execution is atomic,
so a failure closes none of its batch and the next execution redoes it.
"""
from datetime import datetime, timezone
import json

from ggg import Proposal, Vote
from kybra import ic
from kybra_simple_db import Integer, String

BATCH_SIZE = 5
CHOICES = ("yes", "no", "abstain")


class ClosedProposal(TaskEntity):
    __alias__ = "proposal_id"
    proposal_id = String()
    outcome = String()
    yes = Integer()
    no = Integer()
    abstain = Integer()
    closed_at = Integer()


class GovernanceState(TaskEntity):
    __alias__ = "key"
    key = String()
    value = String()


now = datetime.fromtimestamp(ic.time() / 1e9, tz=timezone.utc)


def deadline_passed(proposal):
    try:
        deadline = datetime.fromisoformat(proposal.voting_deadline)
    except (TypeError, ValueError):
        return False  # no deadline, or not ISO 8601: leave it open
    if deadline.tzinfo is None:
        deadline = deadline.replace(tzinfo=timezone.utc)
    return deadline <= now


def proposal_of(vote):
    try:
        return json.loads(vote.metadata or "{}").get("proposal_id")
    except (ValueError, AttributeError):
        return None


due = [p for p in Proposal.instances() if p.status == "open" and deadline_passed(p)]
to_close = due[:BATCH_SIZE]

tallies = {p.proposal_id: {c: 0 for c in CHOICES} for p in to_close}
if tallies:
    for vote in Vote.instances():
        tally = tallies.get(proposal_of(vote))
        if tally is not None and vote.vote_choice in tally:
            tally[vote.vote_choice] += 1

closed = []
for proposal in to_close:
    t = tallies[proposal.proposal_id]
    cast = t["yes"] + t["no"]
    threshold = proposal.required_threshold if proposal.required_threshold is not None else 0.5
    outcome = "accepted" if cast > 0 and t["yes"] > threshold * cast else "rejected"
    proposal.votes_yes = float(t["yes"])
    proposal.votes_no = float(t["no"])
    proposal.votes_abstain = float(t["abstain"])
    proposal.total_voters = float(t["yes"] + t["no"] + t["abstain"])
    proposal.status = outcome
    if ClosedProposal[proposal.proposal_id] is None:
        ClosedProposal(proposal_id=proposal.proposal_id, outcome=outcome, yes=t["yes"], no=t["no"],
                       abstain=t["abstain"], closed_at=int(ic.time()))
    closed.append(proposal.proposal_id)
    ic.print(f"🗳️ {proposal.proposal_id} {outcome}: {t['yes']} yes, {t['no']} no, {t['abstain']} abstain")

# A sweep ends when no due proposal is left; its count is kept for the progress report.
sweep = GovernanceState["sweep_closed"] or GovernanceState(key="sweep_closed", value="0")
closed_in_sweep = int(sweep.value) + len(closed)
remaining = len(due) - len(closed)
report_progress = globals().get("progress")  # codexvm's progress report (not in realms)
if report_progress and closed_in_sweep:
    report_progress(closed_in_sweep, closed_in_sweep + remaining)
sweep.value = "0" if remaining == 0 else str(closed_in_sweep)

ic.print(f"📊 Closed {len(closed)} proposals, {remaining} still due")
result = {"closed": closed, "remaining": remaining}
