"""Several TaskEntity types in one task namespace: a vote audit that walks the realm's votes in
batches.

- `BatchState` (alias `key`): the position in the votes and their total;
- `ProcessingMetrics` (alias `metric_name`): a run counter held as a string, and the tally of the
  current pass and of the last completed pass as JSON;
- `ErrorLog` (alias `error_id`): one record per invalid vote (unknown proposal, bad choice or
  bad metadata), written once even though every pass sees the vote again.

All three live side by side in `task_<task>::BatchState`, `task_<task>::ProcessingMetrics` and
`task_<task>::ErrorLog`, each with its own ids and counters.
"""
import json

from ggg import Proposal, Vote
from kybra import ic
from kybra_simple_db import Integer, String

BATCH_SIZE = 25
CHOICES = ("yes", "no", "abstain")


class BatchState(TaskEntity):
    __alias__ = "key"
    key = String()
    position = Integer()
    total = Integer()


class ProcessingMetrics(TaskEntity):
    __alias__ = "metric_name"
    metric_name = String()
    value = String()


class ErrorLog(TaskEntity):
    __alias__ = "error_id"
    error_id = String()
    timestamp = Integer()
    message = String()


def metric(name, default):
    m = ProcessingMetrics[name]
    if m is None:
        m = ProcessingMetrics(metric_name=name, value=default)
    return m


def empty_tally():
    return json.dumps({"yes": 0, "no": 0, "abstain": 0, "invalid": 0})


state = BatchState["votes"] or BatchState(key="votes", position=0, total=0)
runs = metric("runs", "0")
runs.value = str(int(runs.value) + 1)
current = metric("current_tally", empty_tally())
tally = json.loads(current.value)

known = {p.proposal_id for p in Proposal.instances()}
votes = list(Vote.instances())
start = state.position
end = min(start + BATCH_SIZE, len(votes))

for vote in votes[start:end]:
    try:
        pid = json.loads(vote.metadata or "{}").get("proposal_id")
        if pid not in known:
            raise KeyError(f"vote {vote._id} is for an unknown proposal {pid!r}")
        if vote.vote_choice not in CHOICES:
            raise ValueError(f"vote {vote._id} has an invalid choice {vote.vote_choice!r}")
        tally[vote.vote_choice] += 1
    except (KeyError, ValueError, AttributeError) as e:
        tally["invalid"] += 1
        error_id = f"vote_{vote._id}"
        if ErrorLog[error_id] is None:
            ErrorLog(error_id=error_id, timestamp=int(ic.time()), message=str(e)[:200])

state.position = end
if state.total != len(votes):
    state.total = len(votes)
current.value = json.dumps(tally)
ic.print(f"🔎 Audited votes {start}..{end} of {len(votes)} (run {runs.value})")

report_progress = globals().get("progress")  # codexvm's progress report (not in realms)
if report_progress:
    report_progress(end, len(votes))

if votes and end >= len(votes):
    metric("last_tally", empty_tally()).value = current.value
    cycles = metric("cycles_completed", "0")
    cycles.value = str(int(cycles.value) + 1)
    current.value = empty_tally()
    state.position = 0  # the next execution starts a new pass
    ic.print(f"✅ Pass {cycles.value} complete: {tally}, {ErrorLog.count()} invalid votes on record")

result = {"position": state.position, "total": len(votes), "tally": tally, "errors": ErrorLog.count()}
