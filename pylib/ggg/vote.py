from ggg._base import Entity, ManyToOne, String, TimestampedMixin


class Vote(Entity, TimestampedMixin):
    proposal = ManyToOne("Proposal", "votes")
    voter = ManyToOne("User", "votes")
    vote_choice = String(max_length=16)
    metadata = String(max_length=256)
