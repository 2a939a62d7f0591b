from ggg._base import Entity, OneToOne, String, TimestampedMixin


class Realm(Entity, TimestampedMixin):
    __alias__ = "name"
    name = String(min_length=2, max_length=256)
    description = String(max_length=256)
    treasury = OneToOne("Treasury", "realm")
    principal_id = String(max_length=64)
    logo = String(max_length=512)
    manifest_data = String()
