from ggg._base import Entity, ManyToOne, String, TimestampedMixin


class Identity(Entity, TimestampedMixin):
    type = String()
    metadata = String()
    human = ManyToOne("Human", "identities")
