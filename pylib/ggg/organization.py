from ggg._base import Entity, OneToMany, String, TimestampedMixin


class Organization(Entity, TimestampedMixin):
    __alias__ = "name"
    name = String(min_length=2, max_length=256)
    owned_lands = OneToMany("Land", "owner_organization")
