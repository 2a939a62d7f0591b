from ggg._base import Entity, String, TimestampedMixin


class Instrument(Entity, TimestampedMixin):
    __alias__ = "name"
    name = String(max_length=256)
    principal_id = String(max_length=256)
    metadata = String(max_length=256)
