"""Seeds proposals and votes for the governance examples (run it after seed_realm.py).

Creates PROPOSALS proposals. Even-numbered ones (prop_000, prop_002, ...) have a voting
deadline that has already passed, the odd-numbered ones close in 3 days. The first VOTERS users
vote on each proposal. In kybra_simple_db 0.5.0 `Vote.proposal` cannot be set, because
`Proposal` declares no `votes` side, so each vote names its proposal in its `metadata` JSON.
Two ballots are deliberately bad, to show error handling: a spoiled one (choice "maybe") and a
vote for a withdrawn proposal. Idempotent: proposals that exist are kept.

    scripts/codexvm run codex_examples/seed_governance.py
"""
from datetime import datetime, timedelta, timezone
import json

from ggg import Proposal, User, Vote
from kybra import ic

PROPOSALS = 20
VOTERS = 50
CHOICES = ("yes", "no", "yes", "abstain", "yes", "no", "no")

now = datetime.fromtimestamp(ic.time() / 1e9, tz=timezone.utc)
voters = [u for u in (User.load(str(i)) for i in range(1, VOTERS + 1)) if u is not None]
if not voters:
    raise RuntimeError("no users: run codex_examples/seed_realm.py first")

created = 0
for n in range(PROPOSALS):
    pid = f"prop_{n:03d}"
    if Proposal[pid] is not None:
        continue
    deadline = now - timedelta(hours=1) if n % 2 == 0 else now + timedelta(days=3)
    Proposal(proposal_id=pid, title=f"Proposal {n}", description=f"Example proposal number {n}",
             proposer=voters[n % len(voters)], status="open",
             voting_deadline=deadline.isoformat(timespec="seconds"), required_threshold=0.5,
             votes_yes=0.0, votes_no=0.0, votes_abstain=0.0, total_voters=0.0)
    for v, user in enumerate(voters):
        Vote(voter=user, vote_choice=CHOICES[(n * 3 + v) % len(CHOICES)],
             metadata=json.dumps({"proposal_id": pid}))
    created += 1

if created == PROPOSALS:
    # The two bad ballots, with the first seeding.
    Vote(voter=voters[0], vote_choice="maybe", metadata=json.dumps({"proposal_id": "prop_000"}))
    Vote(voter=voters[-1], vote_choice="yes", metadata=json.dumps({"proposal_id": "prop_withdrawn"}))

ic.print(f"governance seeded: {Proposal.count()} proposals ({created} new), {Vote.count()} votes")
result = {"proposals": Proposal.count(), "votes": Vote.count(), "created": created}
