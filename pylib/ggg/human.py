from ggg._base import Entity, OneToMany, OneToOne, String, TimestampedMixin


class Human(Entity, TimestampedMixin):
    __alias__ = "name"
    name = String(max_length=256)
    date_of_birth = String(max_length=256)
    user = OneToOne("User", "human")
    identities = OneToMany("Identity", "human")
