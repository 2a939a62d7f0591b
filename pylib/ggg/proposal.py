from ggg._base import Entity, Float, ManyToOne, String, TimestampedMixin


class Proposal(Entity, TimestampedMixin):
    __alias__ = "proposal_id"
    proposal_id = String(max_length=64)
    title = String(max_length=256)
    description = String(max_length=2048)
    code_url = String(max_length=512)
    code_checksum = String(max_length=128)
    proposer = ManyToOne("User", "proposals")
    status = String(max_length=32)
    voting_deadline = String(max_length=64)
    votes_yes = Float()
    votes_no = Float()
    votes_abstain = Float()
    total_voters = Float()
    required_threshold = Float()
    metadata = String(max_length=256)
